// What the providers' health adds up to: each provider's status, the health score and status, and
// readiness — which means what Kubernetes takes it to mean: this replica can take traffic (its
// configuration loaded, not draining). It never depends on the upstream providers: with every one of
// them down a replica still answers, with the proxy's own OpenAI-shaped 503, and still serves
// /v1/models, the admin API and the console; taking every pod out of the Service would turn that
// into the ingress's HTML 503. Nor on Redis, whose outage each policy answers for itself (limits
// open, budgets closed, both in OpenAI's shape). Provider health is in /health, metrics and alerts.
//
// health_score (0–100) = round(100 × (healthy + ½ × degraded) / enabled providers); 0 with none.
// status: "unhealthy" when draining or no enabled provider is short of unhealthy, "healthy" when the
// score is 100, otherwise "degraded".
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

export function readiness(state: ServingState): { ready: boolean; reason: string | null } {
  if (state.draining) return { ready: false, reason: 'shutting down' };
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
  const { ready, reason: notReady } = readiness(state);
  const serving = counts.enabled - counts.unhealthy > 0;
  const status = !ready || !serving ? 'unhealthy' : score === 100 ? 'healthy' : 'degraded';
  const reason = notReady ?? (serving ? null : counts.enabled === 0 ? 'no provider is enabled' : 'no provider can serve');
  return { status, health_score: score, ready, reason, providers: counts };
}
