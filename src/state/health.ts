// What /health says about traffic control: the shared-state store (memory, or Redis and whether it is
// reachable), how rate limiting behaves when it is not, and the response cache's counters.
import type { CacheStats, ResponseCache } from '../cache/response-cache.js';
import type { Config } from '../config/schema.js';
import { storeStatus, type SharedRedis, type StoreStatus } from './redis.js';

export interface TrafficHealth {
  store: StoreStatus;
  rate_limit: { enabled: boolean; on_store_error: 'open' | 'closed' };
  /** Budgets of virtual keys: where their counters live, and what happens when that store is down. */
  budgets: { store: 'redis' | 'memory'; checking: boolean; on_store_error: 'open' | 'closed' };
  cache: CacheStats;
}

export async function trafficHealth(config: Config, redis: SharedRedis | null, cache: ResponseCache): Promise<TrafficHealth> {
  const { rate_limit: limits, budgets } = config;
  const store = storeStatus(redis);
  return {
    store,
    rate_limit: { enabled: limits.enabled, on_store_error: limits.on_store_error },
    // checking: false while Redis is down and budgets fail open (requests pass unchecked).
    budgets: { store: store.backend, checking: store.status === 'ok' || budgets.on_store_error === 'closed', on_store_error: budgets.on_store_error },
    cache: await cache.stats(),
  };
}
