// How a request meets the response cache: whether it may use it (planCache), then serving it —
// from a stored answer (JSON, or replayed as SSE), by joining an identical call already in flight, or
// by calling upstream and storing the answer once it is complete. Every answer says which in the
// `x-proxy-cache` header (HIT, MISS, BYPASS) and `_proxy_info.cache_hit`.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ChunkStream, JsonResult, Operation } from '../providers/types.js';
import type { DispatchResult } from '../routing/router.js';
import { sendJsonResult, writeStream, type OpenedStream } from '../routes/respond.js';
import type { Config } from '../config/schema.js';
import { summarise, type CachedResponse } from './entry.js';
import type { ResponseCache } from './response-cache.js';
import { cacheKey } from './key.js';
import { replayChunks, StreamAssembler } from './stream-entry.js';

const CACHEABLE: ReadonlySet<Operation> = new Set(['chat', 'completions', 'embeddings']);

export type CachePlan =
  | { cache: ResponseCache; config: Config; mode: 'bypass' }
  /** `refresh` (Cache-Control: no-cache) skips the lookup but stores the fresh answer. */
  | { cache: ResponseCache; config: Config; mode: 'lookup' | 'refresh'; op: Operation; key: string; includeUsage: boolean };

export interface CacheCalls {
  json: () => Promise<DispatchResult<JsonResult>>;
  /** Set when the client asked for a stream. */
  stream: (() => Promise<DispatchResult<OpenedStream>>) | null;
  /** Extra `_proxy_info` members for an answer fetched from upstream (cost). */
  info?: (outcome: DispatchResult<JsonResult>) => Record<string, unknown> | undefined;
}

function header(request: FastifyRequest, name: string): string {
  const value = request.headers[name];
  return (Array.isArray(value) ? value.join(',') : (value ?? '')).toLowerCase();
}

/**
 * Null when caching is off (the request takes the uncached path at no cost). Otherwise: embeddings,
 * and chat or completions at temperature 0 (any temperature with `cache_nondeterministic` or
 * `x-proxy-cache: force`) are looked up; `x-proxy-cache: bypass` and `Cache-Control: no-store` skip.
 */
export function planCache(cache: ResponseCache, config: Config, request: FastifyRequest, op: Operation, body: object): CachePlan | null {
  const caching = config.caching;
  if (!caching.enabled) return null;
  const directive = header(request, 'x-proxy-cache');
  const control = header(request, 'cache-control');
  if (!CACHEABLE.has(op) || directive === 'bypass' || control.includes('no-store')) return { cache, config, mode: 'bypass' };
  const params = body as Record<string, unknown>;
  const deterministic = op === 'embeddings' || params.temperature === 0;
  if (!deterministic && !caching.cache_nondeterministic && directive !== 'force') return { cache, config, mode: 'bypass' };
  const key = cacheKey(op, params, caching.shared_across_keys ? null : request.proxy.keyHash, config);
  const includeUsage = Boolean((params.stream_options as { include_usage?: unknown } | null | undefined)?.include_usage);
  return { cache, config, mode: control.includes('no-cache') ? 'refresh' : 'lookup', op, key, includeUsage };
}

export async function serveCached(plan: CachePlan, request: FastifyRequest, reply: FastifyReply, calls: CacheCalls): Promise<unknown> {
  const { cache, config } = plan;
  if (plan.mode === 'bypass') {
    cache.bypassed++;
    mark(request, reply, 'BYPASS');
    if (calls.stream) return writeStream(request, reply, await calls.stream());
    const outcome = await calls.json();
    return sendJsonResult(request, reply, outcome, { enabled: config.server.proxy_info, extra: { ...calls.info?.(outcome), cache_hit: false } });
  }

  for (;;) {
    if (plan.mode === 'lookup') {
      const hit = await cache.lookup(plan.key);
      if (hit) {
        cache.hits++;
        return sendHit(plan, request, reply, hit, calls.stream !== null);
      }
    }
    const flight = cache.inflight.get(plan.key);
    if (!flight) break;
    // An identical request is in flight: share its answer (or its error). Null, or an abort, means it
    // ended without one we can use (its client left, its stream broke): look again, else call ourselves.
    let shared: CachedResponse | null;
    try {
      shared = await flight;
    } catch (error) {
      if ((error as Error)?.name !== 'AbortError') throw error;
      shared = null;
    }
    if (shared) {
      cache.hits++;
      cache.coalesced++;
      request.proxy.extra.cache_coalesced = true;
      return sendHit(plan, request, reply, shared, calls.stream !== null);
    }
  }

  cache.misses++;
  mark(request, reply, 'MISS');
  let settle!: (entry: CachedResponse | null) => void;
  let fail!: (error: unknown) => void;
  const flight = new Promise<CachedResponse | null>((resolve, reject) => {
    settle = resolve;
    fail = reject;
  });
  flight.catch(() => undefined);
  cache.inflight.set(plan.key, flight);
  // The flight stays registered until the entry is stored, so no identical request misses in between.
  const finish = (entry: CachedResponse | null) => {
    settle(entry);
    if (!entry) cache.inflight.delete(plan.key);
    else void cache.store(plan.key, entry).finally(() => cache.inflight.delete(plan.key));
  };

  if (calls.stream) {
    let outcome: DispatchResult<OpenedStream>;
    try {
      outcome = await calls.stream();
    } catch (error) {
      cache.inflight.delete(plan.key);
      fail(error);
      throw error;
    }
    const assembler = new StreamAssembler(plan.op);
    const tracked = track(outcome.value, assembler);
    try {
      await writeStream(request, reply, { ...outcome, value: tracked.opened });
    } finally {
      const answer = tracked.completed() ? assembler.result() : null;
      finish(answer ? entryFrom(plan.op, outcome, Buffer.from(JSON.stringify(answer)), answer) : null);
    }
    return;
  }

  let outcome: DispatchResult<JsonResult>;
  try {
    outcome = await calls.json();
  } catch (error) {
    cache.inflight.delete(plan.key);
    fail(error);
    throw error;
  }
  const { data, raw } = outcome.value;
  finish(data.error === undefined ? entryFrom(plan.op, outcome, raw ?? Buffer.from(JSON.stringify(data)), data) : null);
  return sendJsonResult(request, reply, outcome, { enabled: config.server.proxy_info, extra: { ...calls.info?.(outcome), cache_hit: false } });
}

function mark(request: FastifyRequest, reply: FastifyReply, status: 'HIT' | 'MISS' | 'BYPASS'): void {
  reply.header('x-proxy-cache', status);
  request.proxy.extra.cache = status;
}

function entryFrom(op: Operation, outcome: DispatchResult<unknown>, body: Buffer, data: Record<string, unknown>): CachedResponse {
  return { op, provider: outcome.provider, providerType: outcome.providerType, model: outcome.model, body, summary: summarise(data), storedAt: Date.now() };
}

function hitOutcome<T>(entry: CachedResponse, value: T): DispatchResult<T> {
  return { value, provider: entry.provider, providerType: entry.providerType, model: entry.model, attempts: 0, upstreamMs: 0, log: [] };
}

async function sendHit(plan: Extract<CachePlan, { key: string }>, request: FastifyRequest, reply: FastifyReply, entry: CachedResponse, streamed: boolean): Promise<unknown> {
  mark(request, reply, 'HIT');
  if (streamed && plan.op !== 'embeddings') {
    const answer = JSON.parse(entry.body.toString('utf8')) as Record<string, unknown>;
    const stream = replay(replayChunks(plan.op, answer, plan.includeUsage));
    const first = await stream.next();
    return writeStream(request, reply, hitOutcome(entry, { stream, first }));
  }
  // `data` carries the answer's small members (usage for accounting); the bytes are sent as stored.
  const outcome = hitOutcome<JsonResult>(entry, { data: entry.summary, raw: entry.body });
  return sendJsonResult(request, reply, outcome, { enabled: plan.config.server.proxy_info, extra: { cache_hit: true } });
}

async function* replay(chunks: readonly string[]): ChunkStream {
  for (const chunk of chunks) yield chunk;
}

/** Feeds every chunk the client gets to the assembler and notes whether the upstream stream ended cleanly. */
function track(opened: OpenedStream, assembler: StreamAssembler): { opened: OpenedStream; completed: () => boolean } {
  let completed = false;
  if (opened.first.done) return { opened, completed: () => false };
  assembler.add(opened.first.value);
  const inner = opened.stream;
  async function* relay(): ChunkStream {
    try {
      for (;;) {
        const next = await inner.next();
        if (next.done) {
          completed = true;
          return;
        }
        assembler.add(next.value);
        yield next.value;
      }
    } finally {
      if (!completed) await inner.return(undefined).catch(() => undefined);
    }
  }
  return { opened: { stream: relay(), first: opened.first }, completed: () => completed };
}
