// The features' floor: the bare Fastify floor plus the per-request work issue #2 asks of every chat
// request, each done the cheapest way we know and nothing else: request id, API-key check (SHA-256
// digest, constant-time compare), the body parsed and validated with llm-proxy's own zod schema, the
// answer's usage read and `_proxy_info` spliced in, the x-request-id / x-proxy-* headers, two
// Prometheus series and one pino log line through llm-proxy's own logger. No routing, retries,
// breakers, health, cache or config reload. It answers what the required features cost on this
// framework at their least, so llm-proxy's figures can be read against it.
// Run: node --import tsx bench/feature-floor.ts <upstream origin> [port] → prints {"port": N} when ready.
import { hash, randomUUID, timingSafeEqual } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import Fastify, { type FastifyInstance } from 'fastify';
import { Counter, Histogram, Registry } from 'prom-client';
import { Pool } from 'undici';
import { serveFloor } from './floor-cli.js';
import { chatRequestSchema } from '../src/providers/canonical.js';
import { createLogger } from '../src/observability/logger.js';
import { spliceMember } from '../src/routes/respond.js';
import { RawJson, usageOf } from '../src/upstream/raw-json.js';

/** The client key the bench sends (bench/run.ts, CLIENT_KEY). */
const CLIENT_KEY = 'bench-client-key';

interface Work {
  started: number;
  model: string | null;
  tokens: unknown;
  raw: Buffer | null;
}

declare module 'fastify' {
  interface FastifyRequest {
    work: Work;
  }
}

const unauthorized = JSON.stringify({ error: { message: 'Invalid or missing API key', type: 'invalid_request_error', param: null, code: 'unauthorized' } });

export function createFeatureFloor(upstreamOrigin: string): { app: FastifyInstance; pool: Pool } {
  const pool = new Pool(upstreamOrigin, { connections: 100, pipelining: 1, keepAliveTimeout: 30_000 });
  const keys = [hash('sha256', CLIENT_KEY, 'buffer')];
  // Where the bench sends llm-proxy's log (its stdout): /dev/null, so formatting and writing are paid for.
  // Redaction as llm-proxy sets it up for the bench's config.
  const log = createLogger(
    { level: 'info', format: 'json', file: '/dev/null', redact: [] },
    { api_keys: [CLIENT_KEY], admin_keys: [], api_key_header: 'X-API-Key', public_paths: ['/health/live', '/health/ready'] },
  );
  const registry = new Registry();
  const labelNames = ['route', 'provider', 'model', 'status'] as const;
  const requests = new Counter({ name: 'floor_requests_total', help: 'Requests', labelNames, registers: [registry] });
  const duration = new Histogram({ name: 'floor_request_duration_seconds', help: 'Request duration', labelNames, registers: [registry] });
  const app = Fastify({
    logger: false,
    keepAliveTimeout: 120_000,
    bodyLimit: 10 * 1024 * 1024,
    genReqId: (request) => {
      const incoming = request.headers['x-request-id'];
      return typeof incoming === 'string' && incoming !== '' ? incoming : randomUUID();
    },
  });
  app.decorateRequest('work', null as unknown as Work);
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (request, body, done) => {
    request.work.raw = body as Buffer;
    try {
      done(null, JSON.parse((body as Buffer).toString('utf8')));
    } catch (error) {
      done(error as Error);
    }
  });
  app.addHook('onRequest', (request, reply, done) => {
    request.work = { started: performance.now(), model: null, tokens: null, raw: null };
    const authorization = request.headers.authorization;
    const key = typeof authorization === 'string' && authorization.startsWith('Bearer ') ? authorization.slice(7) : '';
    const digest = hash('sha256', key, 'buffer');
    let found = false;
    for (const candidate of keys) found = timingSafeEqual(digest, candidate) || found;
    if (!found) {
      reply.code(401).header('content-type', 'application/json').send(unauthorized);
      return;
    }
    done();
  });
  app.addHook('onResponse', (request, reply, done) => {
    const { work } = request;
    const ms = performance.now() - work.started;
    const labels = { route: '/v1/chat/completions', provider: 'mock', model: work.model ?? '', status: String(reply.statusCode) };
    requests.inc(labels);
    duration.observe(labels, ms / 1000);
    log.info(
      { request_id: request.id, method: request.method, route: labels.route, model: work.model, provider: 'mock', status: reply.statusCode, duration_ms: Math.round(ms * 1000) / 1000, attempts: 1, tokens: work.tokens },
      'request completed',
    );
    done();
  });
  app.post('/v1/chat/completions', async (request, reply) => {
    const body = chatRequestSchema.parse(request.body);
    request.work.model = body.model;
    const sent = performance.now();
    const upstream = await pool.request({
      method: 'POST',
      path: '/v1/chat/completions',
      headers: { 'content-type': 'application/json', authorization: 'Bearer sk-bench-upstream-key' },
      body: request.work.raw!,
    });
    const contentType = upstream.headers['content-type'];
    reply.code(upstream.statusCode).header('x-request-id', request.id).header('x-proxy-provider', 'mock');
    if (typeof contentType === 'string') reply.header('content-type', contentType);
    if (typeof contentType === 'string' && contentType.startsWith('text/event-stream')) return reply.send(upstream.body);
    const answer = Buffer.from(await upstream.body.arrayBuffer());
    const upstreamMs = performance.now() - sent;
    // llm-proxy's own pieces: usage found in the bytes and parsed alone, `_proxy_info` spliced in.
    request.work.tokens = usageOf(new RawJson(answer, (raw) => JSON.parse(raw.toString('utf8')) as Record<string, unknown>));
    const info = { provider: 'mock', attempt_number: 1, response_time: upstreamMs / 1000, request_id: request.id };
    reply.header('x-proxy-overhead-ms', (performance.now() - request.work.started - upstreamMs).toFixed(3));
    return reply.send(spliceMember(answer, '_proxy_info', JSON.stringify(info)));
  });
  return { app, pool };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) void serveFloor('feature-floor.ts', createFeatureFloor);
