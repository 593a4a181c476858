// What the providers' health adds up to: each provider's status, readiness (a loaded config and at
// least one provider able to serve; never while draining), and the health score.
//
// health_score (0–100) = round(100 × (healthy + ½ × degraded) / enabled providers); 0 with none.
// status: "unhealthy" when not ready (draining, or no enabled provider short of unhealthy),
// "healthy" when the score is 100, otherwise "degraded".
import type { ProviderHandle, ProviderSource } from './candidates.js';
import type { Resilience } from './resilience.js';

/** The providers in force, and whether this process is shutting down (the runtime). */
export interface ServingState extends ProviderSource {
  readonly draining: boolean;
}

/** A provider's status as the rest of the proxy sees it: disabled, or what health monitoring says. */
export function providerStatus(resilience: Resilience, handle: ProviderHandle): string {
  if (!handle.adapter) return 'disabled';
  return resilience.status(handle.config.name);
}

export function readiness(state: ServingState, resilience: Resilience): { ready: boolean; reason: string | null } {
  if (state.draining) return { ready: false, reason: 'shutting down' };
  const serving = state.handles.filter((h) => h.adapter && resilience.status(h.config.name) !== 'unhealthy');
  if (serving.length === 0) return { ready: false, reason: 'no provider can serve' };
  return { ready: true, reason: null };
}

export interface ProviderCounts {
  total: number;
  enabled: number;
  healthy: number;
  degraded: number;
  unhealthy: number;
  disabled: number;
}

export interface HealthSummary {
  status: 'healthy' | 'degraded' | 'unhealthy';
  health_score: number;
  ready: boolean;
  reason: string | null;
  providers: ProviderCounts;
}

export function healthSummary(state: ServingState, resilience: Resilience): HealthSummary {
  const counts: ProviderCounts = { total: state.handles.length, enabled: 0, healthy: 0, degraded: 0, unhealthy: 0, disabled: 0 };
  for (const handle of state.handles) {
    const status = providerStatus(resilience, handle);
    if (handle.adapter) counts.enabled++;
    if (status === 'degraded' || status === 'unhealthy' || status === 'disabled') counts[status]++;
    else counts.healthy++;
  }
  const score = counts.enabled === 0 ? 0 : Math.round((100 * (counts.healthy + counts.degraded / 2)) / counts.enabled);
  const { ready, reason } = readiness(state, resilience);
  const status = !ready ? 'unhealthy' : score === 100 ? 'healthy' : 'degraded';
  return { status, health_score: score, ready, reason, providers: counts };
}
