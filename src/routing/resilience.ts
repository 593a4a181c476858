// The resilience policies over the providers in force: chaos (innermost, so the others meet its
// faults), circuit breakers and the health monitor; what /providers and /status say of each provider;
// and, with condensation on, the tokenizer loaded early. Everything reads the source's current
// configuration and handles, so a reload needs no re-wiring.
import type { Logger } from 'pino';
import { Breakers, type BreakerView } from './breaker.js';
import type { ProviderSource } from './candidates.js';
import { ChaosPolicy } from './chaos.js';
import { HealthMonitor } from './health-monitor.js';
import type { RouterPolicy } from './policy.js';
import { warmEncoders } from './tokens.js';

export class Resilience {
  readonly chaos: ChaosPolicy;
  readonly breakers: Breakers;
  readonly health: HealthMonitor;

  constructor(source: ProviderSource, logger: Logger) {
    const config = () => source.config;
    this.chaos = new ChaosPolicy(config, logger.child({ component: 'chaos' }));
    this.breakers = new Breakers(config, logger.child({ component: 'circuit-breaker' }));
    this.health = new HealthMonitor({
      config,
      handles: () => source.handles,
      breakerState: (provider) => this.breakers.state(provider),
      logger: logger.child({ component: 'health' }),
    });
    if (source.config.condensation.enabled) warmEncoders();
  }

  /** In the order the router applies them: chaos wraps innermost, so breakers see injected faults. */
  get policies(): RouterPolicy[] {
    return [this.chaos, this.breakers, this.health];
  }

  /** A provider's status (healthy, degraded, unhealthy, ...). */
  status(provider: string): string {
    return this.health.status(provider);
  }

  /** Extra per-provider fields for /providers, /v1/models and /status (health and breaker). */
  describe(provider: string): Record<string, unknown> {
    const view = this.health.describe(provider);
    return {
      health: { reason: view.reason, last_check: view.last_check, consecutive_failures: view.consecutive_failures, passive: view.passive },
      circuit_breaker: breakerSummary(this.breakers.describe(provider)),
    };
  }

  close(): void {
    this.health.stop();
    this.breakers.shutdown();
  }
}

/** The breaker fields /providers shows (settings are in /status/:name). */
export function breakerSummary(view: BreakerView): Omit<BreakerView, 'settings'> {
  const { settings: _settings, ...rest } = view;
  return rest;
}
