// The floor: the least a Node.js HTTP proxy can do. node:http in, one raw undici Pool out, no routing,
// validation, auth or logging; method, path and body bytes go upstream, and the answer's status,
// content type and body chunks come back as they arrive. What llm-proxy costs above this is features.
// Run: node --import tsx bench/minimal-proxy.ts <upstream origin> [port] → prints {"port": N} when ready.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import { Pool } from 'undici';

export function createMinimalProxy(upstreamOrigin: string): { server: Server; pool: Pool } {
  const pool = new Pool(upstreamOrigin, { connections: 100, pipelining: 1, keepAliveTimeout: 30_000 });
  const server = createServer({ keepAliveTimeout: 120_000 }, (req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (part: Buffer) => parts.push(part));
    req.on('end', () => {
      const headers: Record<string, string> = {};
      const type = req.headers['content-type'];
      if (type) headers['content-type'] = type;
      const auth = req.headers.authorization;
      if (auth) headers.authorization = auth;
      pool
        .request({
          method: req.method as 'GET' | 'POST',
          path: req.url ?? '/',
          headers,
          body: parts.length === 0 ? undefined : parts.length === 1 ? parts[0] : Buffer.concat(parts),
        })
        .then(({ statusCode, headers: upstreamHeaders, body }) => {
          const out: Record<string, string> = {};
          const contentType = upstreamHeaders['content-type'];
          if (typeof contentType === 'string') out['content-type'] = contentType;
          res.writeHead(statusCode, out);
          body.on('data', (chunk: Buffer) => res.write(chunk));
          body.on('end', () => res.end());
          body.on('error', () => res.destroy());
          res.on('close', () => {
            if (!res.writableFinished) body.destroy();
          });
        })
        .catch((error: Error) => {
          res.writeHead(502, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ error: { message: error.message } }));
        });
    });
  });
  server.headersTimeout = 0;
  server.requestTimeout = 0;
  return { server, pool };
}

function main(): void {
  const [origin, port] = process.argv.slice(2);
  if (!origin) {
    process.stderr.write('usage: minimal-proxy.ts <upstream origin> [port]\n');
    process.exit(2);
  }
  const { server, pool } = createMinimalProxy(origin);
  server.listen(Number(port ?? 0), '127.0.0.1', () => {
    process.stdout.write(`${JSON.stringify({ port: (server.address() as AddressInfo).port })}\n`);
  });
  const stop = () => server.close(() => void pool.close().then(() => process.exit(0)));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) main();
