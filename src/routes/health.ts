// Kubernetes probes and the health summary. Liveness answers while the event loop does; readiness
// needs a loaded config and at least one provider able to serve, and fails during shutdown drain.
//
// health_score (0–100) = round(100 × (healthy + ½ × degraded) / enabled providers); 0 with none.
// status: "unhealthy" when not ready (draining, or no enabled provider short of unhealthy),
// "healthy" when the score is 100, otherwise "degraded".
import type { FastifyInstance } from 'fastify';
import { systemStats } from '../observability/system-stats.js';
import { trafficHealth } from '../state/health.js';
import { providerStatus } from './models.js';
import type { Runtime } from '../runtime.js';

export function readiness(runtime: Runtime): { ready: boolean; reason: string | null } {
  if (runtime.draining) return { ready: false, reason: 'shutting down' };
  const serving = runtime.handles.filter((h) => h.adapter && runtime.status?.(h.config.name) !== 'unhealthy');
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

export function healthSummary(runtime: Runtime): HealthSummary {
  const counts: ProviderCounts = { total: runtime.handles.length, enabled: 0, healthy: 0, degraded: 0, unhealthy: 0, disabled: 0 };
  for (const handle of runtime.handles) {
    const status = providerStatus(runtime, handle);
    if (handle.adapter) counts.enabled++;
    if (status === 'degraded' || status === 'unhealthy' || status === 'disabled') counts[status]++;
    else counts.healthy++;
  }
  const score = counts.enabled === 0 ? 0 : Math.round((100 * (counts.healthy + counts.degraded / 2)) / counts.enabled);
  const { ready, reason } = readiness(runtime);
  const status = !ready ? 'unhealthy' : score === 100 ? 'healthy' : 'degraded';
  return { status, health_score: score, ready, reason, providers: counts };
}

export default async function healthRoutes(app: FastifyInstance, opts: { runtime: Runtime }): Promise<void> {
  const { runtime } = opts;

  app.get('/health/live', { config: { auth: 'public' } }, async () => ({ status: 'alive', timestamp: new Date().toISOString() }));

  app.get('/health/ready', async (_request, reply) => {
    const { ready, reason } = readiness(runtime);
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not_ready', reason, timestamp: new Date().toISOString() });
  });

  app.get('/health', async () => {
    const started = performance.now();
    const summary = healthSummary(runtime);
    const system = await systemStats();
    return {
      status: summary.status,
      health_score: summary.health_score,
      ready: summary.ready,
      reason: summary.reason,
      timestamp: new Date().toISOString(),
      response_time: Math.round((performance.now() - started) * 1000) / 1e6,
      name: runtime.config.app.name,
      version: runtime.config.app.version,
      environment: runtime.config.app.environment,
      uptime: (Date.now() - runtime.startedAt) / 1000,
      providers: summary.providers,
      health_checks: { running: runtime.resilience.health.running, interval: runtime.config.health_check.interval },
      system,
      alerts: runtime.alertSummary?.() ?? { enabled: false, active: 0, critical: 0, warning: 0 },
      traffic: await trafficHealth(runtime),
    };
  });
}
