// The composition root: builds every long-lived part of a running proxy once, in dependency order,
// each handed what it needs as constructor arguments. app.ts then registers the Fastify plugins
// around these parts, and main.ts (or a test) starts it. Nothing here is assigned after construction.
import type { Logger } from 'pino';
import { ResponseCache } from './cache/response-cache.js';
import { stateFile } from './config/data-dir.js';
import type { LoadedConfig } from './config/load.js';
import { ModelSelections } from './config/model-selections.js';
import { ConfigReloader, type ReloadResult } from './config/watch.js';
import { KeyIndex } from './governance/key-index.js';
import { AlertManager } from './observability/alerts.js';
import { Metrics } from './observability/metrics.js';
import { Guardrails } from './guardrails/guardrails.js';
import { guardrailMetrics } from './guardrails/metrics.js';
import { metricsSnapshot, ProviderStats, type ExportedStats, type MetricsSnapshot } from './observability/provider-stats.js';
import { createTracing, type Tracing } from './observability/tracing.js';
import { UsageLedger } from './observability/usage.js';
import { ModelCatalog } from './providers/model-catalog.js';
import { ResponseStore } from './responses/store.js';
import { Condenser } from './routing/condense.js';
import { ProviderQuota } from './routing/quota.js';
import { Resilience } from './routing/resilience.js';
import { Router } from './routing/router.js';
import { Runtime, type Env } from './runtime.js';
import { connectRedis, type SharedRedis } from './state/redis.js';
import { memoryStores, redisStores, type SharedStores } from './state/shared-stores.js';
import { workerStores } from './cluster/host-stores.js';
import { inClusterWorker, PrimaryLink, WorkerAnswers, type HostLink } from './cluster/ipc.js';
import { shareHealthChecks, shareMetrics, workerIndex } from './cluster/worker.js';

/** Metrics, usage, alerting, reload and model management: what the observability plugin serves. */
export interface Observability {
  metrics: Metrics;
  /** Tokens and cost per provider and model since start (JSON /metrics). */
  usage: UsageLedger;
  snapshot(): Promise<MetricsSnapshot>;
  alerts: AlertManager;
  reloader: ConfigReloader;
  selections: ModelSelections;
  catalog: ModelCatalog;
  /** Null unless telemetry.enabled. */
  tracing: Tracing | null;
}

export interface Gateway {
  /** The configuration in force and the providers built from it; a reload swaps both. */
  runtime: Runtime;
  /** The shared Redis connection, when `redis.url` is set. */
  redis: SharedRedis | null;
  /** Where counters, budgets and stored responses are kept: Redis, the host's primary, or this process. */
  stores: SharedStores;
  /** Under `server.workers > 1`: this worker's link with its primary (null otherwise). */
  host: HostLink | null;
  resilience: Resilience;
  quota: ProviderQuota;
  router: Router;
  condenser: Condenser;
  /** Which guardrails apply to a request, and their decisions counted. */
  guardrails: Guardrails;
  cache: ResponseCache;
  /** Stored Responses API answers (Redis when configured, so any replica continues a conversation). */
  responses: ResponseStore;
  /** Virtual keys and teams the auth hook consults; the governance plugin fills it from the database. */
  keys: KeyIndex;
  observability: Observability;
  /** What POST /cache/clear empties, by name. */
  caches: ReadonlyMap<string, () => Promise<unknown> | unknown>;
  /** Re-reads the model selections and the configuration, and swaps the new one in (SIGHUP, the admin API, file changes). */
  reload(source: string): ReloadResult;
  /** Stops timers and closes connections and provider pools, last built first. */
  close(): Promise<void>;
}

export interface GatewayOptions {
  loaded: LoadedConfig;
  logger: Logger;
  env?: Env;
}

export async function createGateway(options: GatewayOptions): Promise<Gateway> {
  const { logger } = options;
  const runtime = new Runtime(options);
  const config = () => runtime.config;
  const configFile = runtime.loaded.files[0];

  const redis = connectRedis(runtime.config.redis, logger);
  // A worker of `server.workers > 1` shares the host's state and metrics through its primary.
  const host: HostLink | null = inClusterWorker() ? { link: new PrimaryLink(), answers: new WorkerAnswers() } : null;
  const stores = redis ? redisStores(redis) : host ? workerStores(host.link) : memoryStores();
  const resilience = new Resilience(runtime, logger);
  const quota = new ProviderQuota(runtime, redis, stores);
  const cache = new ResponseCache(config, redis, logger.child({ component: 'response-cache' }));
  const responses = new ResponseStore(runtime.config.responses.store, redis, stores.responses() ?? undefined);

  const metrics = new Metrics({ source: runtime, resilience, redis, host: host?.link });
  if (host) {
    shareMetrics(metrics.registries);
    shareHealthChecks(resilience.health, host.link);
  }
  const tracing = runtime.config.telemetry.enabled ? await createTracing(runtime.config.telemetry, logger) : null;
  // Order matters: the first policy wraps innermost (chaos inside breakers, so breakers see its faults).
  const router = new Router(runtime, [...resilience.policies, quota, metrics.policy(), ...(tracing ? [tracing.policy()] : [])], logger);
  const condenser = new Condenser(runtime, router);
  const guardrails = new Guardrails(() => runtime.config, guardrailMetrics(metrics.registry, runtime.config.metrics.prefix));

  const usage = new UsageLedger();
  const localSnapshot = () => metricsSnapshot({ source: runtime, resilience, cache }, metrics.stats, usage, metrics.startedAt);
  // Under `server.workers > 1` the JSON snapshot (and the alerts read from it) covers the host: the
  // primary gathers every worker's counters, merged here.
  host?.answers.answer('metrics.parts', () => ({ stats: metrics.stats.export(), usage: usage.snapshot() }));
  const snapshot = async (): Promise<MetricsSnapshot> => {
    if (!host) return localSnapshot();
    const parts = await host.link.call<Array<{ stats: ExportedStats; usage: ReturnType<UsageLedger['snapshot']> }>>('gather', 'metrics.parts').catch(() => []);
    if (parts.length === 0) return localSnapshot();
    const stats = new ProviderStats();
    const merged = new UsageLedger();
    for (const part of parts) {
      stats.absorb(part.stats);
      merged.absorb(part.usage);
    }
    return metricsSnapshot({ source: runtime, resilience, cache }, stats, merged, metrics.startedAt);
  };
  const selectionsLogger = logger.child({ component: 'model-selections' });
  const selectionsFile = () => stateFile(configFile, runtime.config, runtime.config.model_management.selections_file, 'model_selections.json', selectionsLogger);
  const selections = new ModelSelections(selectionsFile(), selectionsLogger);
  selections.load();
  const alertsLogger = logger.child({ component: 'alerts' });
  const alerts = new AlertManager(config, snapshot, alertsLogger, stateFile(configFile, runtime.config, runtime.config.alerting.rules_file, 'alert_rules.json', alertsLogger), !host || workerIndex() === 0);
  const reloader = new ConfigReloader(runtime, {
    onResult: (result) => metrics.reload(result.success ? 'success' : 'failure'),
    onReloaded: () => selections.load(selectionsFile()),
  });
  const reload = (source: string): ReloadResult => {
    selections.load(selectionsFile());
    return reloader.reload(source);
  };
  alerts.start();
  if (runtime.config.hot_reload.enabled && configFile) {
    reloader.watch(() => [selectionsFile()], runtime.config.hot_reload.debounce_ms, () => void reload('file change'));
  }

  const caches = new Map<string, () => Promise<unknown> | unknown>([
    ['health_checks', () => resilience.health.clear()],
    ['summaries', () => condenser.clearSummaries()],
    ['responses', () => cache.clear()],
  ]);
  const keys = new KeyIndex();
  const observability: Observability = { metrics, usage, snapshot, alerts, reloader, selections, catalog: new ModelCatalog(config), tracing };

  const close = async (): Promise<void> => {
    await reloader.close();
    await alerts.stop();
    await selections.flushed();
    await tracing?.shutdown();
    resilience.close();
    await redis?.close();
    await runtime.close();
  };
  return { runtime, redis, stores, host, resilience, quota, router, condenser, guardrails, cache, responses, keys, observability, caches, reload, close };
}
