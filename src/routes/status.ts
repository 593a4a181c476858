// Operational endpoints: GET /status and /status/:name (per-provider health, checks, breaker, recent
// errors), and the admin actions POST /check (run health checks now), POST /discover (re-read the
// providers from the configuration source and apply them) and POST /cache/clear.
import { isDeepStrictEqual } from 'node:util';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ConfigError, loadConfig, type LoadedConfig } from '../config/load.js';
import type { ProviderConfig } from '../config/schema.js';
import { ProxyError } from '../errors.js';
import type { ProviderHandle } from '../routing/candidates.js';
import { healthSummary } from '../routing/health-summary.js';
import type { Resilience } from '../routing/resilience.js';
import type { Runtime } from '../runtime.js';

export interface StatusRouteOptions {
  runtime: Runtime;
  resilience: Resilience;
  /** What POST /cache/clear empties, by name. */
  caches: ReadonlyMap<string, () => Promise<unknown> | unknown>;
}

function handleOf(runtime: Runtime, name: string): ProviderHandle {
  const handle = runtime.provider(name);
  if (!handle) throw new ProxyError('not_found', `Provider '${name}' is not configured`, 'name');
  return handle;
}

function providerStatusView(resilience: Resilience, handle: ProviderHandle) {
  const name = handle.config.name;
  const { health, breakers } = resilience;
  const view = health.describe(name);
  const breaker = breakers.describe(name);
  return {
    name,
    type: handle.config.type,
    source: handle.source ?? 'config',
    enabled: handle.adapter !== null,
    status: view.status,
    reason: view.reason,
    priority: handle.config.priority,
    last_check: view.last_check,
    latency_ms: view.passive.avg_latency_ms ?? view.last_check?.latency_ms ?? null,
    error_rate: view.passive.error_rate,
    circuit_breaker: { state: breaker.state, failures: breaker.failures, opened_at: breaker.opened_at },
  };
}

function providerDetail(resilience: Resilience, handle: ProviderHandle) {
  const name = handle.config.name;
  const { health, breakers } = resilience;
  const view = health.describe(name);
  return {
    name,
    type: handle.config.type,
    source: handle.source ?? 'config',
    enabled: handle.adapter !== null,
    disabled_reason: handle.disabledReason,
    status: view.status,
    reason: view.reason,
    priority: handle.config.priority,
    weight: handle.config.weight,
    forced: handle.config.forced,
    timeout: handle.config.timeout,
    max_retries: handle.config.max_retries,
    fallback_provider: handle.config.fallback_provider,
    models: handle.config.models,
    last_check: view.last_check,
    consecutive_check_failures: view.consecutive_failures,
    latency_ms: { last_check: view.last_check?.latency_ms ?? null, live_average: view.passive.avg_latency_ms },
    traffic: view.passive,
    circuit_breaker: breakers.describe(name),
    recent_errors: view.recent_errors,
    timestamp: new Date().toISOString(),
  };
}

export interface ProviderChange {
  name: string;
  /** Top-level provider fields whose values differ (secrets are never shown, only named). */
  fields: string[];
}

export interface ProvidersDiff {
  added: string[];
  removed: string[];
  changed: ProviderChange[];
  unchanged: string[];
}

export function diffProviders(before: readonly ProviderConfig[], after: readonly ProviderConfig[]): ProvidersDiff {
  const old = new Map(before.map((p) => [p.name, p]));
  const fresh = new Map(after.map((p) => [p.name, p]));
  const diff: ProvidersDiff = { added: [], removed: [], changed: [], unchanged: [] };
  for (const [name, provider] of fresh) {
    const previous = old.get(name);
    if (!previous) {
      diff.added.push(name);
      continue;
    }
    const keys = new Set([...Object.keys(previous), ...Object.keys(provider)]);
    const fields = [...keys].filter((key) => !isDeepStrictEqual((previous as Record<string, unknown>)[key], (provider as Record<string, unknown>)[key]));
    if (fields.length > 0) diff.changed.push({ name, fields: fields.sort() });
    else diff.unchanged.push(name);
  }
  for (const name of old.keys()) if (!fresh.has(name)) diff.removed.push(name);
  return diff;
}

function flag(request: FastifyRequest, name: string): boolean {
  const query = (request.query ?? {}) as Record<string, unknown>;
  const body = (request.body ?? {}) as Record<string, unknown>;
  const value = body[name] ?? query[name];
  return value === true || value === 'true' || value === '1';
}

function option(request: FastifyRequest, name: string): string | null {
  const query = (request.query ?? {}) as Record<string, unknown>;
  const body = (request.body && typeof request.body === 'object' ? request.body : {}) as Record<string, unknown>;
  const value = body[name] ?? query[name];
  if (value === undefined || value === null || value === '') return null;
  if (typeof value !== 'string') throw new ProxyError('invalid_request', `${name} must be a string`, name);
  return value;
}

export default async function statusRoutes(app: FastifyInstance, opts: StatusRouteOptions): Promise<void> {
  const { runtime, resilience, caches } = opts;

  app.get('/status', async () => {
    const summary = healthSummary(runtime, resilience);
    return {
      status: summary.status,
      health_score: summary.health_score,
      ready: summary.ready,
      counts: summary.providers,
      timestamp: new Date().toISOString(),
      uptime: (Date.now() - runtime.startedAt) / 1000,
      health_checks: { running: resilience.health.running, interval: runtime.config.health_check.interval },
      providers: runtime.handles.map((handle) => providerStatusView(resilience, handle)),
      // Every process of the fleet (replicas, workers), from the fleet registry.
      fleet: app.hasDecorator('fleet') ? { self: app.fleet.self.id, split: app.fleet.split, instances: await app.fleet.instances().catch(() => [app.fleet.self]) } : null,
    };
  });

  app.get('/status/:name', async (request) => {
    const { name } = request.params as { name: string };
    return providerDetail(resilience, handleOf(runtime, name));
  });

  app.post('/check', { config: { auth: 'admin' } }, async (request) => {
    const name = option(request, 'provider');
    const { health } = resilience;
    let results;
    if (name) {
      const handle = handleOf(runtime, name);
      if (!handle.adapter) throw new ProxyError('invalid_request', `Provider '${name}' is disabled: ${handle.disabledReason}`, 'provider');
      results = [await health.check(handle)];
    } else {
      results = await health.checkAll();
    }
    const summary = healthSummary(runtime, resilience);
    return {
      timestamp: new Date().toISOString(),
      status: summary.status,
      health_score: summary.health_score,
      results,
      skipped: name ? [] : runtime.handles.filter((h) => !h.adapter).map((h) => ({ provider: h.config.name, reason: h.disabledReason })),
    };
  });

  app.post('/discover', { config: { auth: 'admin' } }, async (request) => {
    const dryRun = flag(request, 'dry_run');
    let fresh: LoadedConfig;
    try {
      fresh = loadConfig({ file: runtime.loaded.files[0], env: runtime.env });
    } catch (error) {
      if (error instanceof ConfigError) {
        throw new ProxyError('invalid_request', `The configuration source is invalid; nothing changed: ${error.problems.join('; ')}`, null, { problems: error.problems });
      }
      throw error;
    }
    const diff = diffProviders(runtime.config.providers, fresh.config.providers);
    const changed = diff.added.length + diff.removed.length + diff.changed.length > 0;
    if (changed && !dryRun) {
      // Only the providers section is taken from the source; the rest of the running configuration stays.
      runtime.replace({ ...runtime.loaded, config: { ...runtime.config, providers: fresh.config.providers } });
      request.log.info({ added: diff.added, removed: diff.removed, changed: diff.changed.map((c) => c.name) }, 'providers re-discovered from the configuration source');
    }
    // Discovery sources run now too (a dry run only reports what they found last).
    const discovery = app.discovery;
    if (discovery.active && !dryRun) await discovery.refresh();
    return {
      applied: changed && !dryRun,
      dry_run: dryRun,
      source: fresh.files,
      ...diff,
      discovery: { active: discovery.active, sources: discovery.states, recent_changes: discovery.changes.slice(-10) },
      providers: runtime.handles.map((h) => ({ name: h.config.name, source: h.source ?? 'config', enabled: h.adapter !== null, disabled_reason: h.disabledReason })),
      timestamp: new Date().toISOString(),
    };
  });

  app.post('/cache/clear', { config: { auth: 'admin' } }, async (request) => {
    const only = option(request, 'cache');
    if (only && !caches.has(only)) {
      throw new ProxyError('not_found', `Unknown cache '${only}'; known: ${[...caches.keys()].join(', ')}`, 'cache');
    }
    const cleared: string[] = [];
    for (const [name, clear] of caches) {
      if (only && name !== only) continue;
      await clear();
      cleared.push(name);
    }
    request.log.info({ cleared }, 'caches cleared');
    return { cleared, timestamp: new Date().toISOString() };
  });
}
