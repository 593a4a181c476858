// What a worker of `server.workers > 1` shares with the rest of its host: its metrics (answered to the
// primary's aggregation), and the provider health checks, which only the first worker runs and whose
// results the primary passes to the others.
import { AggregatorRegistry, type Registry } from 'prom-client';
import type { CheckResult } from '../routing/health-monitor.js';
import type { HealthMonitor } from '../routing/health-monitor.js';
import { HEALTH_RESULT, type PrimaryLink } from './ipc.js';

/** This worker's place among the host's workers (0 runs the health checks), from the primary's fork. */
export function workerIndex(): number {
  return Number(process.env.LLM_PROXY_WORKER_INDEX ?? 0);
}

/** Lets the primary collect these registries when it aggregates the host's metrics. */
export function shareMetrics(registries: Registry[]): void {
  AggregatorRegistry.setRegistries(registries);
  // Constructing one installs prom-client's worker-side listener for the primary's requests.
  new AggregatorRegistry();
}

/** Worker 0 sends each check result to the primary; the others apply the results it relays. */
export function shareHealthChecks(health: HealthMonitor, link: PrimaryLink): void {
  if (workerIndex() === 0) {
    health.onCheck((result) => void link.call('health.result', result).catch(() => undefined));
    return;
  }
  process.on('message', (message: { type?: string; result?: CheckResult }) => {
    if (message?.type === HEALTH_RESULT && message.result) health.applyRemote(message.result);
  });
}
