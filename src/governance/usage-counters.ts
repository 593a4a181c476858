// Counters the token and parallel-request limits need beyond fixed-window hit counts: add N to a
// window (tokens per minute) and up/down gauges (requests in flight). In Redis (one Lua call each,
// exact across replicas) when configured, else in this process.
import type { Redis } from 'ioredis';

export interface UsageCounters {
  /** Adds `amount` to the window `key` (created for `windowMs`); resolves the total and ms left. */
  add(key: string, amount: number, windowMs: number): Promise<{ total: number; ttl: number }>;
  /** Raises a gauge unless that would pass `max`; resolves whether it was raised and the value. */
  acquire(key: string, max: number): Promise<{ ok: boolean; value: number }>;
  release(key: string): Promise<void>;
}

const ADD = `local v = redis.call('INCRBY', KEYS[1], ARGV[1])
local t = redis.call('PTTL', KEYS[1])
if t < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[2]); t = tonumber(ARGV[2]) end
return {v, t}`;

// A gauge in Redis expires if nothing touches it for 10 minutes, so a replica that died mid-request
// cannot hold a key's slots for ever.
const ACQUIRE = `local v = tonumber(redis.call('GET', KEYS[1]) or '0')
if v >= tonumber(ARGV[1]) then return {0, v} end
v = redis.call('INCR', KEYS[1])
redis.call('PEXPIRE', KEYS[1], 600000)
return {1, v}`;

const RELEASE = `local v = redis.call('DECR', KEYS[1])
if v <= 0 then redis.call('DEL', KEYS[1]) end
return v`;

export function redisUsageCounters(client: Redis, prefix: string): UsageCounters {
  return {
    async add(key, amount, windowMs) {
      const [total, ttl] = (await client.eval(ADD, 1, prefix + key, String(Math.max(0, Math.round(amount))), String(windowMs))) as [number, number];
      return { total, ttl };
    },
    async acquire(key, max) {
      const [ok, value] = (await client.eval(ACQUIRE, 1, prefix + key, String(max))) as [number, number];
      return { ok: ok === 1, value };
    },
    async release(key) {
      await client.eval(RELEASE, 1, prefix + key);
    },
  };
}

export function memoryUsageCounters(): UsageCounters {
  const windows = new Map<string, { total: number; resetAt: number }>();
  const gauges = new Map<string, number>();
  return {
    async add(key, amount, windowMs) {
      const now = Date.now();
      let window = windows.get(key);
      if (!window || window.resetAt <= now) {
        window = { total: 0, resetAt: now + windowMs };
        windows.set(key, window);
      }
      window.total += Math.max(0, Math.round(amount));
      if (windows.size > 100_000) for (const [k, w] of windows) if (w.resetAt <= now) windows.delete(k);
      return { total: window.total, ttl: window.resetAt - now };
    },
    async acquire(key, max) {
      const value = gauges.get(key) ?? 0;
      if (value >= max) return { ok: false, value };
      gauges.set(key, value + 1);
      return { ok: true, value: value + 1 };
    },
    async release(key) {
      const value = (gauges.get(key) ?? 1) - 1;
      if (value <= 0) gauges.delete(key);
      else gauges.set(key, value);
    },
  };
}
