// Fixed-window counters, from @fastify/rate-limit's own stores: in memory (exact within one process)
// or in Redis (one atomic Lua INCR+PEXPIRE per hit, exact across replicas). Client rate limits and
// provider quotas both count with them.
import { createRequire } from 'node:module';
import type { Redis } from 'ioredis';

export interface WindowCount {
  /** Hits in the current window, this one included. */
  current: number;
  /** Milliseconds until the window resets. */
  ttl: number;
}

type Callback = (error: Error | null, result?: WindowCount) => void;

export interface CounterStore {
  incr(key: string, callback: Callback, timeWindowMs: number, max: number): void;
  read(key: string, callback: Callback, timeWindowMs: number, max: number): void;
}

type LocalStoreCtor = new (continueExceeding: boolean, exponentialBackoff: boolean, cache?: number) => CounterStore;
type RedisStoreCtor = new (continueExceeding: boolean, exponentialBackoff: boolean, redis: Redis, key?: string) => CounterStore;

// The stores are not re-exported by the package's entry point; their files are part of its published contents.
const require = createRequire(import.meta.url);
const LocalStore = require('@fastify/rate-limit/store/LocalStore.js') as LocalStoreCtor;
const RedisStore = require('@fastify/rate-limit/store/RedisStore.js') as RedisStoreCtor;

/** Counters in this process; `capacity` keys are kept (least recently used ones are dropped beyond it). */
export function memoryCounters(capacity = 100_000): CounterStore {
  return new LocalStore(false, false, capacity);
}

/** Counters in Redis under `prefix`. */
export function redisCounters(client: Redis, prefix: string): CounterStore {
  return new RedisStore(false, false, client, prefix);
}

export function increment(store: CounterStore, key: string, windowMs: number, max: number): Promise<WindowCount> {
  return new Promise((resolve, reject) => {
    store.incr(key, (error, result) => (error || !result ? reject(error ?? new Error('counter store returned nothing')) : resolve(result)), windowMs, max);
  });
}
