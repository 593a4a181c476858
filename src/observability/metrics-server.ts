// The metrics listener on `metrics.port`: /metrics and /metrics/prometheus without auth, on a port of
// their own for cluster-internal scrapes.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Metrics } from './metrics.js';
import type { MetricsSnapshot } from './provider-stats.js';

/** What the listener serves: the Prometheus registry and the JSON snapshot. */
export interface MetricsSources {
  metrics: Metrics;
  snapshot(): Promise<MetricsSnapshot>;
}

/** True when an Accept header prefers Prometheus text over JSON. */
export function wantsPrometheus(accept: string | undefined): boolean {
  if (!accept) return false;
  const value = accept.toLowerCase();
  if (value.includes('application/openmetrics-text')) return true;
  return value.includes('text/plain') && !value.startsWith('application/json');
}

/** Serves /metrics and /metrics/prometheus, without auth, on a port of their own. */
export async function startMetricsServer(obs: MetricsSources, host: string, port: number): Promise<Server> {
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
