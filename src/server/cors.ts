// CORS for browser clients, from `server.cors_origins` (none by default, so browsers are refused).
import cors from '@fastify/cors';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { Config } from '../config/schema.js';

async function corsPlugin(app: FastifyInstance, opts: { server: Config['server'] }): Promise<void> {
  const origins = opts.server.cors_origins;
  if (origins.length === 0) return;
  await app.register(cors, {
    origin: origins.includes('*') ? '*' : origins,
    methods: ['GET', 'POST', 'PUT', 'DELETE', 'OPTIONS'],
    allowedHeaders: ['authorization', 'content-type', 'x-api-key', 'x-request-id', 'x-proxy-cache', 'traceparent', 'tracestate', 'anthropic-version'],
    exposedHeaders: ['x-request-id', 'x-proxy-provider', 'x-proxy-cache', 'x-proxy-condensed', 'x-proxy-overhead-ms', 'retry-after'],
    maxAge: 600,
  });
}

export default fp(corsPlugin, { name: 'cors', fastify: '5.x' });
