// Budget counters: what each key's or team's current period has spent and has reserved for requests in
// flight. reserve() checks every budget a request falls under and reserves its worst case on all of
// them, or on none, atomically: one Lua script in Redis (exact across replicas: N replicas can never
// spend more than the budget plus what is in flight), a plain check in memory without Redis.
//
// Each reservation is a lease with an expiry, renewed while its request runs. A lease whose process
// died is settled by whichever process next sweeps for expired leases, at its reserved worst case (a
// budget is never under-counted), and handed back so a ledger row can record it. Settling a lease is
// atomic with removing it, so a lease is settled exactly once: by its request, or by the sweep.
import type { Redis } from 'ioredis';

export interface BudgetEntry {
  /** Counter name, period included (so a new period starts at zero). */
  key: string;
  max: number;
  /** Milliseconds the counter must live (to its period's end, with a margin). */
  ttlMs: number;
}

/** What a lease remembers of its request, for the ledger row written if it expires. */
export interface LeaseRecord {
  id: string;
  amount: number;
  /** The counters (store keys) it holds a reservation on. */
  counters: string[];
  request_id: string;
  key_id: string | null;
  key_alias: string | null;
  team_id: string | null;
  route: string;
  model: string | null;
  created_at: string;
}

export type Reservation = { ok: true; spent: number[]; reserved: number[] } | { ok: false; index: number; spent: number; reserved: number } | { missing: number };

export interface BudgetStore {
  readonly shared: boolean;
  /** Reserves `amount` on every entry, or none; on success the lease is held until `expiresAt`. */
  reserve(entries: readonly BudgetEntry[], amount: number, lease: Omit<LeaseRecord, 'counters' | 'amount'>, expiresAt: number): Promise<Reservation>;
  /** Settles a lease to `actual`; false when it was no longer held (the sweep settled it at its worst case). */
  settle(entries: readonly BudgetEntry[], reserved: number, actual: number, leaseId: string): Promise<boolean>;
  /** Pushes the expiry of leases still held by live requests. */
  renew(leaseIds: readonly string[], expiresAt: number): Promise<void>;
  /** Settles up to `limit` leases expired at `now` at their reserved amount, and returns them. */
  expire(now: number, limit: number): Promise<LeaseRecord[]>;
  /** Sets a counter's spend (rebuilt from the ledger) unless it exists already. */
  init(entry: BudgetEntry, spent: number): Promise<void>;
  read(entry: BudgetEntry): Promise<{ spent: number; reserved: number } | null>;
}

// KEYS: counters, then the lease index (sorted by expiry) and the lease records; ARGV: amount, max and
// ttl per counter, then lease id, expiry and record. {1, spent..., reserved...} reserved; {0, index,
// spent, reserved} over budget; {-1, index} a counter is missing (to be rebuilt).
const RESERVE = `local amount = tonumber(ARGV[1])
local n = #KEYS - 2
local spent, reserved = {}, {}
for i = 1, n do
  local key = KEYS[i]
  local s = redis.call('HGET', key, 'spent')
  if not s then return {-1, i} end
  spent[i] = tonumber(s)
  reserved[i] = tonumber(redis.call('HGET', key, 'reserved') or '0')
  if spent[i] + reserved[i] + amount > tonumber(ARGV[2 * i]) then return {0, i, tostring(spent[i]), tostring(reserved[i])} end
end
local out = {1}
for i = 1, n do
  reserved[i] = tonumber(redis.call('HINCRBYFLOAT', KEYS[i], 'reserved', amount))
  redis.call('PEXPIRE', KEYS[i], ARGV[2 * i + 1])
  out[#out + 1] = tostring(spent[i])
end
for i = 1, n do out[#out + 1] = tostring(reserved[i]) end
redis.call('ZADD', KEYS[n + 1], ARGV[2 * n + 3], ARGV[2 * n + 2])
redis.call('HSET', KEYS[n + 2], ARGV[2 * n + 2], ARGV[2 * n + 4])
return out`;

// KEYS: counters, lease index, lease records; ARGV: reserved, actual, lease id. 0 when the lease was gone.
const SETTLE = `local n = #KEYS - 2
if redis.call('ZREM', KEYS[n + 1], ARGV[3]) == 0 then return 0 end
redis.call('HDEL', KEYS[n + 2], ARGV[3])
for i = 1, n do
  if redis.call('EXISTS', KEYS[i]) == 1 then
    redis.call('HINCRBYFLOAT', KEYS[i], 'reserved', -tonumber(ARGV[1]))
    redis.call('HINCRBYFLOAT', KEYS[i], 'spent', ARGV[2])
  end
end
return 1`;

// KEYS: lease index, lease records; ARGV: now, limit. Settles each expired lease at its amount.
const EXPIRE = `local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
local out = {}
for _, id in ipairs(ids) do
  local record = redis.call('HGET', KEYS[2], id)
  redis.call('ZREM', KEYS[1], id)
  redis.call('HDEL', KEYS[2], id)
  if record then
    local lease = cjson.decode(record)
    for _, key in ipairs(lease.counters) do
      if redis.call('EXISTS', key) == 1 then
        redis.call('HINCRBYFLOAT', key, 'reserved', -lease.amount)
        redis.call('HINCRBYFLOAT', key, 'spent', lease.amount)
      end
    end
    out[#out + 1] = record
  end
end
return out`;

const INIT = `if redis.call('HSETNX', KEYS[1], 'spent', ARGV[1]) == 1 then
  redis.call('HSETNX', KEYS[1], 'reserved', '0')
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 1`;

export function redisBudgetStore(client: Redis, prefix: string): BudgetStore {
  const keys = (entries: readonly BudgetEntry[]) => entries.map((e) => prefix + e.key);
  const leaseKeys = [`${prefix}leases`, `${prefix}lease-records`];
  return {
    shared: true,
    async reserve(entries, amount, lease, expiresAt) {
      const args = entries.flatMap((e) => [String(e.max), String(e.ttlMs)]);
      const record: LeaseRecord = { ...lease, amount, counters: keys(entries) };
      const out = (await client.eval(RESERVE, entries.length + 2, ...keys(entries), ...leaseKeys, String(amount), ...args, lease.id, String(expiresAt), JSON.stringify(record))) as Array<number | string>;
      if (Number(out[0]) === -1) return { missing: Number(out[1]) - 1 };
      if (Number(out[0]) === 0) return { ok: false, index: Number(out[1]) - 1, spent: Number(out[2]), reserved: Number(out[3]) };
      const values = out.slice(1).map(Number);
      return { ok: true, spent: values.slice(0, entries.length), reserved: values.slice(entries.length) };
    },
    async settle(entries, reserved, actual, leaseId) {
      return Number(await client.eval(SETTLE, entries.length + 2, ...keys(entries), ...leaseKeys, String(reserved), String(actual), leaseId)) === 1;
    },
    async renew(leaseIds, expiresAt) {
      if (leaseIds.length === 0) return;
      await client.zadd(leaseKeys[0], 'XX', ...leaseIds.flatMap((id) => [expiresAt, id]));
    },
    async expire(now, limit) {
      const out = (await client.eval(EXPIRE, 2, ...leaseKeys, String(now), String(limit))) as string[];
      return out.map((text) => JSON.parse(text) as LeaseRecord);
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
  // The request's part of the record is kept as given: copying it into one object per request (a spread
  // plus two members) cost ~1.6 µs, most of this store's time; the record is made only when a lease expires.
  const leases = new Map<string, { lease: Omit<LeaseRecord, 'counters' | 'amount'>; amount: number; counters: string[]; expiresAt: number }>();
  const release = (keys: readonly string[], reserved: number, actual: number) => {
    for (const key of keys) {
      const c = counters.get(key);
      if (!c) continue;
      c.reserved = Math.max(0, c.reserved - reserved);
      c.spent += actual;
    }
  };
  return {
    shared: false,
    async reserve(entries, amount, lease, expiresAt) {
      const found = entries.map((e) => counters.get(e.key));
      const missing = found.findIndex((c) => !c);
      if (missing >= 0) return { missing };
      const over = entries.findIndex((e, i) => found[i]!.spent + found[i]!.reserved + amount > e.max);
      if (over >= 0) return { ok: false, index: over, spent: found[over]!.spent, reserved: found[over]!.reserved };
      for (const c of found) c!.reserved += amount;
      leases.set(lease.id, { lease, amount, counters: entries.map((e) => e.key), expiresAt });
      return { ok: true, spent: found.map((c) => c!.spent), reserved: found.map((c) => c!.reserved) };
    },
    async settle(entries, reserved, actual, leaseId) {
      if (!leases.delete(leaseId)) return false;
      release(entries.map((e) => e.key), reserved, actual);
      return true;
    },
    async renew(leaseIds, expiresAt) {
      for (const id of leaseIds) {
        const lease = leases.get(id);
        if (lease) lease.expiresAt = expiresAt;
      }
    },
    async expire(now, limit) {
      const out: LeaseRecord[] = [];
      for (const [id, held] of leases) {
        if (out.length >= limit) break;
        if (held.expiresAt > now) continue;
        leases.delete(id);
        release(held.counters, held.amount, held.amount);
        out.push({ ...held.lease, amount: held.amount, counters: held.counters });
      }
      return out;
    },
    async init(entry, spent) {
      if (!counters.has(entry.key)) counters.set(entry.key, { spent, reserved: 0 });
    },
    async read(entry) {
      return counters.get(entry.key) ?? null;
    },
  };
}
