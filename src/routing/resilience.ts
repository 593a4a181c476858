// Wires the resilience policies into a Runtime: chaos (innermost, so the others meet its faults),
// circuit breakers and the health monitor, plus the /providers and /status hooks; and, with
// condensation on, loads the tokenizer early. Everything reads the runtime's current configuration
// and handles, so a reload needs no re-wiring.
import type { Runtime } from '../runtime.js';
import { Breakers, type BreakerView } from './breaker.js';
import { ChaosPolicy } from './chaos.js';
import { HealthMonitor } from './health-monitor.js';
import { warmEncoders } from './tokens.js';

export interface Resilience {
  chaos: ChaosPolicy;
  breakers: Breakers;
  health: HealthMonitor;
}

export function installResilience(runtime: Runtime): Resilience {
  const config = () => runtime.config;
  const chaos = new ChaosPolicy(config, runtime.logger.child({ component: 'chaos' }));
  const breakers = new Breakers(config, runtime.logger.child({ component: 'circuit-breaker' }));
  const health = new HealthMonitor({
    config,
    handles: () => runtime.handles,
    breakerState: (provider) => breakers.state(provider),
    logger: runtime.logger.child({ component: 'health' }),
  });
  runtime.policies.push(chaos, breakers, health);
  runtime.status = (provider) => health.status(provider);
  runtime.describe = (provider) => {
    const view = health.describe(provider);
    return {
      health: { reason: view.reason, last_check: view.last_check, consecutive_failures: view.consecutive_failures, passive: view.passive },
      circuit_breaker: breakerSummary(breakers.describe(provider)),
    };
  };
  runtime.caches.set('health_checks', () => health.clear());
  health.onCheck((result) => runtime.onHealthCheck?.(result.provider, result.ok ? 'success' : 'failure'));
  if (runtime.config.condensation.enabled) warmEncoders();
  runtime.onClose(() => {
    health.stop();
    breakers.shutdown();
  });
  return { chaos, breakers, health };
}

/** The breaker fields /providers shows (settings are in /status/:name). */
export function breakerSummary(view: BreakerView): Omit<BreakerView, 'settings'> {
  const { settings: _settings, ...rest } = view;
  return rest;
}
