// Client rate limits on @fastify/rate-limit, layered per request: a global limit and a burst limit per
// client, a per-route limit, a per-API-key limit (`user_limits`) and a per-address limit (`ip_limits`).
// A client is its key's SHA-256 when authenticated, else its address. Limits are read from the
// configuration in force on every request, so a reload changes them without a restart; counters live
// in memory or, with `redis.url`, in Redis shared by every replica. Probes and allow-listed addresses
// are never limited.
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { Config } from '../config/schema.js';
import { ProxyError } from '../errors.js';
import type { Runtime } from '../runtime.js';
import type { CounterStore } from '../state/counters.js';
import type { SharedRedis } from '../state/redis.js';
import type { SharedStores } from '../state/shared-stores.js';
import { addressRules, clientIp, isProbe } from './ip-access.js';

/** Route limits in force unless `rate_limit.routes` says otherwise. */
export const DEFAULT_ROUTE_LIMITS: Readonly<Record<string, string>> = {
  '/v1/chat/completions': '100/minute',
  '/v1/completions': '100/minute',
  '/v1/embeddings': '200/minute',
  '/v1/models': '60/minute',
  '/health': '60/minute',
  '/metrics': '30/minute',
};

const UNIT_MS = { second: 1000, minute: 60_000, hour: 3_600_000, day: 86_400_000 } as const;

export interface Limit {
  max: number;
  windowMs: number;
}

/** "100/minute" → 100 per 60 000 ms. */
export function parseLimit(text: string): Limit {
  const [count, unit] = text.split('/');
  return { max: Number(count), windowMs: UNIT_MS[unit as keyof typeof UNIT_MS] };
}

const routeTables = new WeakMap<Config['rate_limit'], Map<string, Limit>>();

export function routeLimits(section: Config['rate_limit']): Map<string, Limit> {
  let table = routeTables.get(section);
  if (!table) {
    table = new Map(Object.entries({ ...DEFAULT_ROUTE_LIMITS, ...section.routes }).map(([route, text]) => [route, parseLimit(text)]));
    routeTables.set(section, table);
  }
  return table;
}

const LAYERS = ['global', 'burst', 'route', 'user', 'user_burst', 'ip'] as const;
type Layer = (typeof LAYERS)[number];

interface Check extends Limit {
  layer: Layer;
  key: string;
}

/** The limits that apply to one request, each with the counter key it increments. */
export function checksFor(request: FastifyRequest, config: Config, ip: string): Check[] {
  const section = config.rate_limit;
  const keyHash = request.proxy.keyHash;
  const client = keyHash ? `key:${keyHash}` : `ip:${ip}`;
  const checks: Check[] = [{ layer: 'global', key: `global:${client}`, max: section.requests_per_window, windowMs: section.window_seconds * 1000 }];
  if (section.burst_limit < section.requests_per_window) {
    checks.push({ layer: 'burst', key: `burst:${client}`, max: section.burst_limit, windowMs: 1000 });
  }
  const route = request.proxy.route;
  const routeLimit = route ? routeLimits(section).get(route) : undefined;
  if (routeLimit) checks.push({ layer: 'route', key: `route:${route}:${client}`, ...routeLimit });
  const user = section.user_limits;
  if (user.enabled && keyHash) {
    checks.push({ layer: 'user', key: `user:${keyHash}`, max: user.requests_per_minute, windowMs: 60_000 });
    if (user.burst_limit < user.requests_per_minute) checks.push({ layer: 'user_burst', key: `user_burst:${keyHash}`, max: user.burst_limit, windowMs: 1000 });
  }
  if (section.ip_limits.enabled) checks.push({ layer: 'ip', key: `ip:${ip}`, max: section.ip_limits.requests_per_minute, windowMs: 60_000 });
  return checks;
}

/** Seconds a client is told to wait: the window's remaining time, rounded up, at least 1. */
export function retryAfterSeconds(ttlMs: number): number {
  return Math.max(1, Math.ceil(ttlMs / 1000));
}

export function rateLimitedError(seconds: number): ProxyError {
  return new ProxyError('rate_limited', `Rate limit exceeded. Try again in ${seconds} seconds.`, null, { retry_after: seconds }, { 'retry-after': String(seconds) });
}

interface Outcome {
  max: number;
  remaining: number;
  ttl: number;
  isExceeded: boolean;
}

async function rateLimitPlugin(app: FastifyInstance, opts: { runtime: Runtime; redis: SharedRedis | null; stores: SharedStores }): Promise<void> {
  const { runtime, redis } = opts;
  const counters: CounterStore = opts.stores.counters('rl:');
  const store = (): CounterStore => counters;
  // Every layer keys its own counters, so one store serves them all.
  class LayeredStore {
    incr(key: string, callback: Parameters<CounterStore['incr']>[1], timeWindow: number, max: number): void {
      store().incr(key, callback, timeWindow, max);
    }
    child(): LayeredStore {
      return this;
    }
  }
  await app.register(rateLimit, { global: false, store: LayeredStore, skipOnError: false });

  const pending = new WeakMap<FastifyRequest, Map<Layer, Check>>();
  const current = (request: FastifyRequest, layer: Layer): Check => pending.get(request)!.get(layer)!;
  const limiters = Object.fromEntries(
    LAYERS.map((layer) => [
      layer,
      app.createRateLimit({
        keyGenerator: (request) => current(request, layer).key,
        max: (request) => current(request, layer).max,
        timeWindow: (request) => current(request, layer).windowMs,
      }),
    ]),
  ) as Record<Layer, ReturnType<FastifyInstance['createRateLimit']>>;

  // Counters, cache and quotas share the connection: start serving once it is up (or has failed).
  await redis?.ready(2000);

  // Callback style, so a proxy without rate limits pays no promise per request.
  app.addHook('onRequest', (request, reply, done) => {
    if (!runtime.config.rate_limit.enabled || isProbe(request)) done();
    else limit(request, reply).then(() => done(), done);
  });

  async function limit(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const config = runtime.config;
    const ip = clientIp(request, config);
    if (addressRules(config).allow.has(ip)) return;
    const checks = checksFor(request, config, ip);
    pending.set(request, new Map(checks.map((check) => [check.layer, check])));
    let outcomes: Outcome[];
    try {
      const results = await Promise.all(checks.map((check) => limiters[check.layer](request)));
      outcomes = results.flatMap((result) => (result.isAllowed ? [] : [result]));
    } catch (error) {
      redis?.report('rate_limit', error);
      if (config.rate_limit.on_store_error === 'closed') {
        throw new ProxyError('provider_unavailable', 'Rate limiting is unavailable because its store cannot be reached; try again shortly', null, {}, { 'retry-after': '1' });
      }
      return;
    } finally {
      pending.delete(request);
    }
    applyOutcomes(reply, outcomes);
  }
}

/** Headers from the most restrictive limit; a 429 when any limit is exceeded. */
function applyOutcomes(reply: FastifyReply, outcomes: readonly Outcome[]): void {
  if (outcomes.length === 0) return;
  let shown: Outcome | null = null;
  for (const outcome of outcomes) {
    if (outcome.isExceeded) {
      // The limit that blocks longest decides when a retry can succeed.
      if (!shown || !shown.isExceeded || outcome.ttl > shown.ttl) shown = outcome;
    } else if (!shown || (!shown.isExceeded && (outcome.remaining < shown.remaining || (outcome.remaining === shown.remaining && outcome.max < shown.max)))) {
      shown = outcome;
    }
  }
  const limit = shown!;
  const seconds = retryAfterSeconds(limit.ttl);
  reply.header('x-ratelimit-limit', limit.max);
  reply.header('x-ratelimit-remaining', limit.isExceeded ? 0 : limit.remaining);
  reply.header('x-ratelimit-reset', seconds);
  if (limit.isExceeded) throw rateLimitedError(seconds);
}

export default fp(rateLimitPlugin, { name: 'rate-limit', fastify: '5.x', dependencies: ['request-context', 'auth'] });
