// Gauges that mirror other parts' state, read at scrape time: each provider's breaker, status and
// whether it is enabled, readiness, and the shared Redis connection (absent without Redis). With
// workers, `aggregator` says how the primary folds the workers' values into one.
import { Gauge, type Registry } from 'prom-client';
import { readiness, type ServingState } from '../routing/health-summary.js';
import type { Resilience } from '../routing/resilience.js';
import { storeStatus, type SharedRedis } from '../state/redis.js';

export interface StateGaugeDeps {
  source: ServingState;
  resilience: Resilience;
  redis: SharedRedis | null;
}

const BREAKER_STATES: Record<string, number> = { closed: 0, half_open: 1, 'half-open': 1, halfopen: 1, open: 2 };
const PROVIDER_STATUS: Record<string, number> = { healthy: 1, available: 1, degraded: 0.5, unknown: 0.5, unhealthy: 0, disabled: 0 };

export function registerStateGauges(registers: Registry[], p: string, deps: StateGaugeDeps): void {
  const { source, resilience, redis } = deps;
  new Gauge({
    name: `${p}_circuit_breaker_state`,
    aggregator: 'max',
    help: 'Circuit breaker state per provider: 0 closed, 1 half-open, 2 open',
    labelNames: ['provider'],
    registers,
    collect() {
      this.reset();
      for (const handle of source.handles) {
        const state = BREAKER_STATES[resilience.breakers.describe(handle.config.name).state.toLowerCase()];
        if (state !== undefined) this.set({ provider: handle.config.name }, state);
      }
    },
  });
  new Gauge({
    name: `${p}_provider_status`,
    aggregator: 'min',
    help: 'Provider status: 1 healthy, 0.5 degraded or unknown, 0 unhealthy or disabled',
    labelNames: ['provider'],
    registers,
    collect() {
      this.reset();
      for (const handle of source.handles) {
        const status = handle.adapter ? resilience.status(handle.config.name) : 'disabled';
        this.set({ provider: handle.config.name }, PROVIDER_STATUS[status] ?? 0.5);
      }
    },
  });
  new Gauge({
    name: `${p}_provider_enabled`,
    aggregator: 'max',
    help: 'Provider enabled (1) or disabled by config or a missing key (0)',
    labelNames: ['provider'],
    registers,
    collect() {
      this.reset();
      for (const handle of source.handles) this.set({ provider: handle.config.name }, handle.adapter ? 1 : 0);
    },
  });
  new Gauge({
    name: `${p}_ready`,
    aggregator: 'min',
    help: 'Readiness as /health/ready reports it: 1 ready, 0 draining (never tied to the providers)',
    registers,
    collect() {
      this.set(readiness(source).ready ? 1 : 0);
    },
  });
  new Gauge({
    name: `${p}_redis_up`,
    aggregator: 'min',
    help: 'Shared state store: 1 when Redis is connected, 0 when it is not (absent without Redis)',
    // A label, because prom-client resets an unlabelled gauge to 0, which would export 0 without Redis
    // and fire LLMProxyRedisDown on every single-node deployment.
    labelNames: ['store'],
    registers,
    collect() {
      this.reset();
      const store = storeStatus(redis);
      if (store.backend !== 'memory') this.set({ store: 'redis' }, store.status === 'ok' ? 1 : 0);
    },
  });
}
