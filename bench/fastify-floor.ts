// The framework's floor: what the minimal proxy does, on Fastify. Fastify 5 in (no logger, no hooks,
// the body read as bytes), one raw undici Pool out; method, path and body bytes go upstream, and the
// answer's status, content type and body come back: event streams piped as they arrive, other
// answers read whole and sent as one Buffer (Fastify's cheapest way, and what llm-proxy does).
// Measured beside the minimal proxy and llm-proxy, it splits llm-proxy's cost into the framework's
// share and the features' share.
// Run: node --import tsx bench/fastify-floor.ts <upstream origin> [port] → prints {"port": N} when ready.
import { pathToFileURL } from 'node:url';
import Fastify, { type FastifyInstance } from 'fastify';
import { Pool } from 'undici';
import { serveFloor } from './floor-cli.js';

export function createFastifyFloor(upstreamOrigin: string): { app: FastifyInstance; pool: Pool } {
  const pool = new Pool(upstreamOrigin, { connections: 100, pipelining: 1, keepAliveTimeout: 30_000 });
  const app = Fastify({ logger: false, keepAliveTimeout: 120_000, bodyLimit: 64 * 1024 * 1024 });
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
  app.route({
    method: ['GET', 'POST'],
    url: '/*',
    handler: async (request, reply) => {
      const headers: Record<string, string> = {};
      const type = request.headers['content-type'];
      if (type) headers['content-type'] = type;
      const auth = request.headers.authorization;
      if (auth) headers.authorization = auth;
      const upstream = await pool.request({ method: request.method as 'GET' | 'POST', path: request.url, headers, body: request.body as Buffer | undefined });
      const contentType = upstream.headers['content-type'];
      reply.code(upstream.statusCode);
      if (typeof contentType === 'string') reply.header('content-type', contentType);
      if (typeof contentType === 'string' && contentType.startsWith('text/event-stream')) return reply.send(upstream.body);
      return reply.send(Buffer.from(await upstream.body.arrayBuffer()));
    },
  });
  return { app, pool };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) void serveFloor('fastify-floor.ts', createFastifyFloor);
