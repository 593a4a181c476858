// Per-provider upstream quotas: `providers[].rate_limit` requests per hour (every attempt counts, retries
// included). An exhausted provider is skipped by the router, which moves to the next candidate. Counts
// live in memory, or in Redis shared by every replica when `redis.url` is set; there, a replica that
// loses the race for the last slot refuses the attempt before calling the upstream.
import { ProviderError } from '../errors.js';
import { increment, memoryCounters, type CounterStore } from '../state/counters.js';
import type { SharedRedis } from '../state/redis.js';
import type { SharedStores } from '../state/shared-stores.js';
import type { ProviderSource } from './candidates.js';
import type { RouterPolicy } from './policy.js';

export const QUOTA_WINDOW_MS = 3_600_000;

interface Known {
  count: number;
  resetAt: number;
}

export class ProviderQuota implements RouterPolicy {
  private readonly memory = memoryCounters(10_000);
  /** With Redis: counts shared by every replica. */
  private readonly store: CounterStore | null;
  /** With Redis: the count as of this replica's last attempt (a stale view is corrected in wrap). */
  private readonly known = new Map<string, Known>();

  constructor(
    private readonly source: ProviderSource,
    private readonly shared: SharedRedis | null,
    stores: SharedStores,
  ) {
    // In this process's memory the count is read synchronously below; shared stores answer asynchronously.
    this.store = stores.scope === 'process' ? null : stores.counters('');
  }

  /** Requests per hour the provider may receive, or null when unlimited. */
  limit(provider: string): number | null {
    for (const handle of this.source.handles) if (handle.config.name === provider) return handle.config.rate_limit ?? null;
    return null;
  }

  /** Requests counted in the current window and when it resets, as this replica knows them. */
  usage(provider: string): { used: number; limit: number | null; resets_in_s: number | null } {
    const known = this.current(provider);
    return { used: known?.count ?? 0, limit: this.limit(provider), resets_in_s: known ? Math.ceil((known.resetAt - Date.now()) / 1000) : null };
  }

  skip(provider: string): string | null {
    const limit = this.limit(provider);
    if (limit === null) return null;
    const known = this.current(provider);
    if (!known || known.count < limit) return null;
    return `hourly quota of ${limit} requests used (resets in ${Math.ceil((known.resetAt - Date.now()) / 1000)}s)`;
  }

  wraps(provider: string): boolean {
    return this.limit(provider) !== null;
  }

  async wrap<T>(provider: string, attempt: () => Promise<T>): Promise<T> {
    const limit = this.limit(provider);
    if (limit === null) return attempt();
    const redis = this.store;
    let counted: { current: number; ttl: number };
    if (redis) {
      try {
        counted = await increment(redis, `quota:${provider}`, QUOTA_WINDOW_MS, limit);
      } catch (error) {
        // Redis away: count in this process so the quota still holds per replica.
        this.shared?.report('provider_quota', error);
        counted = await increment(this.memory, provider, QUOTA_WINDOW_MS, limit);
      }
    } else {
      counted = await increment(this.memory, provider, QUOTA_WINDOW_MS, limit);
    }
    this.known.set(provider, { count: counted.current, resetAt: Date.now() + counted.ttl });
    if (counted.current > limit) {
      throw new ProviderError({
        provider,
        status: null,
        kind: 'rate_limited_locally',
        // Retryable so the router moves on; an infinite wait is beyond what it will hold a client for,
        // so it goes to the next candidate instead of retrying this one.
        retryable: true,
        retryAfterMs: Number.POSITIVE_INFINITY,
        message: `${provider}: hourly quota of ${limit} requests used`,
      });
    }
    return attempt();
  }

  private current(provider: string): Known | undefined {
    if (!this.store) {
      // The in-memory store answers synchronously: exact, even between concurrent requests.
      let read: Known | undefined;
      this.memory.read(provider, (_error, result) => {
        if (result && result.current > 0) read = { count: result.current, resetAt: Date.now() + result.ttl };
      }, QUOTA_WINDOW_MS, 0);
      return read;
    }
    const known = this.known.get(provider);
    if (known && known.resetAt <= Date.now()) {
      this.known.delete(provider);
      return undefined;
    }
    return known;
  }
}
