// GET /metrics (JSON, or Prometheus text when the client asks for text/plain or OpenMetrics, so a
// Prometheus scrape of /metrics works) and GET /metrics/prometheus; optionally the same two on
// `metrics.port`, a separate listener for cluster-internal scrapes.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { ProxyError } from '../errors.js';
import type { Observability } from '../observability/plugin.js';
import type { Runtime } from '../runtime.js';

/** True when an Accept header prefers Prometheus text over JSON. */
export function wantsPrometheus(accept: string | undefined): boolean {
  if (!accept) return false;
  const value = accept.toLowerCase();
  if (value.includes('application/openmetrics-text')) return true;
  return value.includes('text/plain') && !value.startsWith('application/json');
}

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

/** Serves /metrics and /metrics/prometheus, without auth, on a port of their own. */
export async function startMetricsServer(obs: Observability, host: string, port: number): Promise<Server> {
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    void (async () => {
      const path = (req.url ?? '/').split('?', 1)[0];
      try {
        if (req.method === 'GET' && (path === '/metrics/prometheus' || (path === '/metrics' && wantsPrometheus(req.headers.accept)))) {
          const text = await obs.metrics.prometheus();
          res.writeHead(200, { 'content-type': obs.metrics.contentType }).end(text);
        } else if (req.method === 'GET' && path === '/metrics') {
          res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(await obs.snapshot()));
        } else {
          res.writeHead(404, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify({ error: { message: `Unknown route: ${req.method} ${path}`, type: 'invalid_request_error', param: null, code: 'not_found' } }));
        }
      } catch (error) {
        res.writeHead(500, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify({ error: { message: (error as Error).message, type: 'server_error', param: null, code: 'internal_error' } }));
      }
    })();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return server;
}

export function serverPort(server: Server): number {
  return (server.address() as AddressInfo).port;
}
