// GET /metrics (JSON, or Prometheus text when the client asks for text/plain or OpenMetrics, so a
// Prometheus scrape of /metrics works) and GET /metrics/prometheus. The same two on `metrics.port`
// are served by src/observability/metrics-server.ts.
import type { FastifyInstance } from 'fastify';
import { ProxyError } from '../errors.js';
import { wantsPrometheus } from '../observability/metrics-server.js';
import type { Runtime } from '../runtime.js';

export default async function metricsRoutes(app: FastifyInstance, opts: { runtime: Runtime }): Promise<void> {
  const obs = app.observability;
  const ensureEnabled = () => {
    if (!opts.runtime.config.metrics.enabled) throw new ProxyError('not_found', 'Metrics are disabled (metrics.enabled: false)');
  };

  app.get('/metrics', async (request, reply) => {
    ensureEnabled();
    if (wantsPrometheus(request.headers.accept)) return reply.type(obs.metrics.contentType).send(await obs.metrics.prometheus());
    return obs.snapshot();
  });

  app.get('/metrics/prometheus', async (_request, reply) => {
    ensureEnabled();
    return reply.type(obs.metrics.contentType).send(await obs.metrics.prometheus());
  });
}
