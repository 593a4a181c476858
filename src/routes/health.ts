// Kubernetes probes and the health summary (src/routing/health-summary.ts says what they mean).
// Liveness answers while the event loop does; readiness fails during shutdown drain.
import type { FastifyInstance } from 'fastify';
import type { ResponseCache } from '../cache/response-cache.js';
import type { AlertManager } from '../observability/alerts.js';
import { systemStats } from '../observability/system-stats.js';
import { healthSummary, readiness } from '../routing/health-summary.js';
import type { Resilience } from '../routing/resilience.js';
import type { Runtime } from '../runtime.js';
import { trafficHealth } from '../state/health.js';
import { storeStatus, type SharedRedis } from '../state/redis.js';

export interface HealthRouteOptions {
  runtime: Runtime;
  resilience: Resilience;
  cache: ResponseCache;
  redis: SharedRedis | null;
  alerts: AlertManager;
}

export default async function healthRoutes(app: FastifyInstance, opts: HealthRouteOptions): Promise<void> {
  const { runtime, resilience, cache, redis, alerts } = opts;

  app.get('/health/live', { config: { auth: 'public' } }, async () => ({ status: 'alive', timestamp: new Date().toISOString() }));

  app.get('/health/ready', async (_request, reply) => {
    const { ready, reason } = readiness(runtime);
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not_ready', reason, timestamp: new Date().toISOString() });
  });

  app.get('/health', async () => {
    const started = performance.now();
    const summary = healthSummary(runtime, resilience);
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
      health_checks: { running: resilience.health.running, interval: runtime.config.health_check.interval },
      system,
      alerts: alerts.summary(),
      traffic: await trafficHealth(runtime.config, redis, cache),
      // The replicas and workers this one sees; split: they share Redis but not one database.
      fleet: app.hasDecorator('fleet') ? { instances: (await app.fleet.instances().catch(() => [app.fleet.self])).length, split: app.fleet.split } : null,
      // Each dependency's state and since when (the database once governance opened it).
      dependencies: {
        database: app.hasDecorator('database') ? { backend: app.database.dialect, location: app.database.describe, ...app.database.health.view() } : null,
        redis: redis ? storeStatus(redis) : null,
      },
    };
  });
}
