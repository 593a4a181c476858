// Where the counters and stores that must agree across processes live, chosen once at start:
// Redis when `redis.url` is set (every replica and worker); else, under `server.workers > 1`, the
// primary process of this host, over IPC (every worker of the host); else this process's memory.
// Rate limits, provider quotas, virtual-key limits, budgets and stored responses all take theirs here.
import type { BudgetStore } from '../governance/budgets/store.js';
import { memoryBudgetStore, redisBudgetStore } from '../governance/budgets/store.js';
import { memoryUsageCounters, redisUsageCounters, type UsageCounters } from '../governance/usage-counters.js';
import type { ResponseBackend } from '../responses/store.js';
import { memoryCounters, redisCounters, type CounterStore } from './counters.js';
import type { SharedRedis } from './redis.js';

export interface SharedStores {
  /** Who shares them: every replica (redis), every worker of this host (host), or this process alone. */
  readonly scope: 'redis' | 'host' | 'process';
  /** Fixed-window hit counters whose keys start with `namespace` ('rl:', 'vk-rpm:', '' for quotas). */
  counters(namespace: string): CounterStore;
  /** Token windows and in-flight gauges whose keys start with `namespace` ('vk-'). */
  usageCounters(namespace: string): UsageCounters;
  budgets(): BudgetStore;
  /** Stored Responses answers when not in Redis; null for this process's own memory. */
  responses(): ResponseBackend | null;
}

/** The stores that live in one process's memory: this process's own, or (in a primary) the host's. */
export function memoryStores(scope: 'host' | 'process' = 'process'): SharedStores {
  const counters = new Map<string, CounterStore>();
  const usage = new Map<string, UsageCounters>();
  let budgets: BudgetStore | null = null;
  return {
    scope,
    counters: (namespace) => counters.get(namespace) ?? counters.set(namespace, memoryCounters()).get(namespace)!,
    usageCounters: (namespace) => usage.get(namespace) ?? usage.set(namespace, memoryUsageCounters()).get(namespace)!,
    budgets: () => (budgets ??= memoryBudgetStore()),
    responses: () => null,
  };
}

export function redisStores(redis: SharedRedis): SharedStores {
  let budgets: BudgetStore | null = null;
  return {
    scope: 'redis',
    counters: (namespace) => redisCounters(redis.client, redis.key(namespace)),
    usageCounters: (namespace) => redisUsageCounters(redis.client, redis.key(namespace)),
    budgets: () => (budgets ??= redisBudgetStore(redis.client, redis.key('budget:'))),
    responses: () => null,
  };
}
