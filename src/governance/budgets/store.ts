// Budget counters: what each key's or team's current period has spent and has reserved for requests in
// flight. reserve() checks every budget a request falls under and reserves its worst case on all of
// them, or on none, atomically: one Lua script in Redis (exact across replicas: N replicas can never
// spend more than the budget plus what is in flight), a plain check in memory without Redis.
import type { Redis } from 'ioredis';

export interface BudgetEntry {
  /** Counter name, period included (so a new period starts at zero). */
  key: string;
  max: number;
  /** Milliseconds the counter must live (to its period's end, with a margin). */
  ttlMs: number;
}

export type Reservation = { ok: true; spent: number[]; reserved: number[] } | { ok: false; index: number; spent: number; reserved: number } | { missing: number };

export interface BudgetStore {
  readonly shared: boolean;
  reserve(entries: readonly BudgetEntry[], amount: number): Promise<Reservation>;
  settle(entries: readonly BudgetEntry[], reserved: number, actual: number): Promise<void>;
  /** Sets a counter's spend (rebuilt from the ledger) unless it exists already. */
  init(entry: BudgetEntry, spent: number): Promise<void>;
  read(entry: BudgetEntry): Promise<{ spent: number; reserved: number } | null>;
}

// KEYS: counters; ARGV: amount, then max and ttl per counter. {1, spent..., reserved...} reserved;
// {0, index, spent, reserved} over budget; {-1, index} a counter is missing (to be rebuilt).
const RESERVE = `local amount = tonumber(ARGV[1])
local spent, reserved = {}, {}
for i, key in ipairs(KEYS) do
  local s = redis.call('HGET', key, 'spent')
  if not s then return {-1, i} end
  spent[i] = tonumber(s)
  reserved[i] = tonumber(redis.call('HGET', key, 'reserved') or '0')
  if spent[i] + reserved[i] + amount > tonumber(ARGV[2 * i]) then return {0, i, tostring(spent[i]), tostring(reserved[i])} end
end
local out = {1}
for i, key in ipairs(KEYS) do
  reserved[i] = tonumber(redis.call('HINCRBYFLOAT', key, 'reserved', amount))
  redis.call('PEXPIRE', key, ARGV[2 * i + 1])
  out[#out + 1] = tostring(spent[i])
end
for i = 1, #KEYS do out[#out + 1] = tostring(reserved[i]) end
return out`;

const SETTLE = `for i, key in ipairs(KEYS) do
  if redis.call('EXISTS', key) == 1 then
    redis.call('HINCRBYFLOAT', key, 'reserved', -tonumber(ARGV[1]))
    redis.call('HINCRBYFLOAT', key, 'spent', ARGV[2])
  end
end
return 1`;

const INIT = `if redis.call('HSETNX', KEYS[1], 'spent', ARGV[1]) == 1 then
  redis.call('HSETNX', KEYS[1], 'reserved', '0')
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 1`;

export function redisBudgetStore(client: Redis, prefix: string): BudgetStore {
  const keys = (entries: readonly BudgetEntry[]) => entries.map((e) => prefix + e.key);
  return {
    shared: true,
    async reserve(entries, amount) {
      const args = entries.flatMap((e) => [String(e.max), String(e.ttlMs)]);
      const out = (await client.eval(RESERVE, entries.length, ...keys(entries), String(amount), ...args)) as Array<number | string>;
      if (Number(out[0]) === -1) return { missing: Number(out[1]) - 1 };
      if (Number(out[0]) === 0) return { ok: false, index: Number(out[1]) - 1, spent: Number(out[2]), reserved: Number(out[3]) };
      const values = out.slice(1).map(Number);
      return { ok: true, spent: values.slice(0, entries.length), reserved: values.slice(entries.length) };
    },
    async settle(entries, reserved, actual) {
      await client.eval(SETTLE, entries.length, ...keys(entries), String(reserved), String(actual));
    },
    async init(entry, spent) {
      await client.eval(INIT, 1, prefix + entry.key, String(spent), String(entry.ttlMs));
    },
    async read(entry) {
      const [spent, reserved] = await client.hmget(prefix + entry.key, 'spent', 'reserved');
      return spent === null ? null : { spent: Number(spent), reserved: Number(reserved ?? 0) };
    },
  };
}

export function memoryBudgetStore(): BudgetStore {
  const counters = new Map<string, { spent: number; reserved: number }>();
  return {
    shared: false,
    async reserve(entries, amount) {
      const found = entries.map((e) => counters.get(e.key));
      const missing = found.findIndex((c) => !c);
      if (missing >= 0) return { missing };
      const over = entries.findIndex((e, i) => found[i]!.spent + found[i]!.reserved + amount > e.max);
      if (over >= 0) return { ok: false, index: over, spent: found[over]!.spent, reserved: found[over]!.reserved };
      for (const c of found) c!.reserved += amount;
      return { ok: true, spent: found.map((c) => c!.spent), reserved: found.map((c) => c!.reserved) };
    },
    async settle(entries, reserved, actual) {
      for (const e of entries) {
        const c = counters.get(e.key);
        if (!c) continue;
        c.reserved = Math.max(0, c.reserved - reserved);
        c.spent += actual;
      }
    },
    async init(entry, spent) {
      if (!counters.has(entry.key)) counters.set(entry.key, { spent, reserved: 0 });
    },
    async read(entry) {
      return counters.get(entry.key) ?? null;
    },
  };
}
