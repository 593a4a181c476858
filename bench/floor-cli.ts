// The Fastify floors' command line: listen on 127.0.0.1, print {"port": N} as the first line of
// stdout, close on SIGTERM/SIGINT.
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import type { Pool } from 'undici';

export async function serveFloor(file: string, create: (upstreamOrigin: string) => { app: FastifyInstance; pool: Pool }): Promise<void> {
  const [origin, port] = process.argv.slice(2);
  if (!origin) {
    process.stderr.write(`usage: ${file} <upstream origin> [port]\n`);
    process.exit(2);
  }
  const { app, pool } = create(origin);
  await app.listen({ host: '127.0.0.1', port: Number(port ?? 0) });
  process.stdout.write(`${JSON.stringify({ port: (app.server.address() as AddressInfo).port })}\n`);
  const stop = () => void app.close().then(() => pool.close().then(() => process.exit(0)));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}
