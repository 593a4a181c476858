// Management API (admin keys only): config reload and status, alerts and alert rules; the provider
// model endpoints live in provider-models.ts and are registered from here.
import type { FastifyInstance } from 'fastify';
import type { ResponseCache } from '../cache/response-cache.js';
import type { ReloadResult } from '../config/watch.js';
import { ProxyError } from '../errors.js';
import { cacheStats } from '../observability/provider-stats.js';
import type { Runtime } from '../runtime.js';
import providerModelRoutes from './provider-models.js';

const ADMIN = { config: { auth: 'admin' as const } };
const SEVERITIES = new Set(['info', 'warning', 'error', 'critical']);
const STATUSES = new Set(['active', 'acknowledged', 'resolved']);

export interface AdminRouteOptions {
  runtime: Runtime;
  cache: ResponseCache;
  /** Re-reads and swaps in the configuration (the gateway's reload). */
  reload: (source: string) => ReloadResult;
}

export default async function adminRoutes(app: FastifyInstance, opts: AdminRouteOptions): Promise<void> {
  const { runtime, cache: responseCache, reload } = opts;
  const { reloader, alerts } = app.observability;

  app.post('/v1/config/reload', ADMIN, async (_request, reply) => {
    const result = reload('api');
    return reply.code(result.success ? 200 : 400).send(result);
  });

  app.get('/v1/config/status', ADMIN, async () => {
    const loaded = runtime.loaded;
    const cache = await cacheStats(responseCache);
    return {
      status: reloader.lastErrors.length ? 'error' : 'loaded',
      last_loaded: reloader.lastLoaded.toISOString(),
      load_time_ms: reloader.loadTimeMs,
      file_size_bytes: loaded.fileSizeBytes,
      config_files: loaded.files,
      config_version: reloader.version,
      providers_configured: runtime.config.providers.length,
      providers_enabled: runtime.handles.filter((h) => h.adapter).length,
      validation_errors: reloader.lastErrors,
      watching: runtime.config.hot_reload.enabled,
      last_reload: reloader.lastResult,
      cache_status: cache ?? { enabled: runtime.config.caching.enabled, error: 'cache backend unreadable' },
    };
  });

  app.get('/v1/alerts', ADMIN, async (request) => {
    const { severity, status } = request.query as { severity?: string; status?: string };
    if (severity && !SEVERITIES.has(severity)) throw new ProxyError('invalid_request', `severity must be one of ${[...SEVERITIES].join(', ')}`, 'severity');
    if (status && !STATUSES.has(status)) throw new ProxyError('invalid_request', `status must be one of ${[...STATUSES].join(', ')}`, 'status');
    const data = alerts.list({ severity, status });
    return { object: 'list', data, total: data.length, summary: alerts.summary() };
  });

  app.post('/v1/alerts/:id/acknowledge', ADMIN, async (request) => alerts.acknowledge((request.params as { id: string }).id));

  app.get('/v1/rules', ADMIN, async () => {
    const data = alerts.rules();
    const { enabled, interval } = runtime.config.alerting;
    const off = enabled ? {} : { warning: 'alerting.enabled is false: these rules are kept but not evaluated' };
    return { object: 'list', data, total: data.length, alerting_enabled: enabled, interval, ...off };
  });

  app.post('/v1/rules', ADMIN, async (request, reply) => reply.code(201).send(await alerts.create(request.body)));

  app.put('/v1/rules/:name', ADMIN, async (request) => {
    if (!request.body || typeof request.body !== 'object' || Array.isArray(request.body)) throw new ProxyError('invalid_request', 'Rule must be a JSON object');
    return alerts.update((request.params as { name: string }).name, request.body);
  });

  app.delete('/v1/rules/:name', ADMIN, async (request) => {
    const { name } = request.params as { name: string };
    await alerts.delete(name);
    return { deleted: true, name };
  });

  await app.register(providerModelRoutes, { runtime });
}
