// Kubernetes probes and the health summary. Liveness answers while the event loop does; readiness
// needs a loaded config and at least one provider able to serve, and fails during shutdown drain.
import type { FastifyInstance } from 'fastify';
import type { Runtime } from '../runtime.js';

export function readiness(runtime: Runtime): { ready: boolean; reason: string | null } {
  if (runtime.draining) return { ready: false, reason: 'shutting down' };
  const serving = runtime.handles.filter((h) => h.adapter && runtime.status?.(h.config.name) !== 'unhealthy');
  if (serving.length === 0) return { ready: false, reason: 'no provider can serve' };
  return { ready: true, reason: null };
}

export default async function healthRoutes(app: FastifyInstance, opts: { runtime: Runtime }): Promise<void> {
  const { runtime } = opts;

  app.get('/health/live', { config: { auth: 'public' } }, async () => ({ status: 'alive', timestamp: new Date().toISOString() }));

  app.get('/health/ready', async (_request, reply) => {
    const { ready, reason } = readiness(runtime);
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not_ready', reason, timestamp: new Date().toISOString() });
  });

  app.get('/health', async () => {
    const enabled = runtime.handles.filter((h) => h.adapter).length;
    const { ready } = readiness(runtime);
    return {
      status: ready ? 'healthy' : 'unhealthy',
      timestamp: new Date().toISOString(),
      version: runtime.config.app.version,
      uptime: (Date.now() - runtime.startedAt) / 1000,
      providers: { total: runtime.handles.length, enabled, disabled: runtime.handles.length - enabled },
      alerts: runtime.alertSummary?.() ?? { active: 0, critical: 0, warning: 0 },
    };
  });
}
