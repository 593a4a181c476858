// Wires observability and management into the app: metrics and usage from every finished request
// (JSON and stream paths meet in the request-done hook), the router policy for attempts, model
// defaults from the selections file, alerting, tracing, config hot reload and the metrics port.
import type { Server } from 'node:http';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { stateFile } from '../config/data-dir.js';
import { ModelSelections } from '../config/model-selections.js';
import { ConfigReloader } from '../config/watch.js';
import { ModelCatalog } from '../providers/model-catalog.js';
import { startMetricsServer } from '../routes/metrics.js';
import type { Runtime } from '../runtime.js';
import { overheadMs } from '../server/request-context.js';
import { AlertManager } from './alerts.js';
import { Metrics, type RequestRecord } from './metrics.js';
import { applyModelDefaults } from './model-defaults.js';
import { metricsSnapshot, type MetricsSnapshot } from './provider-stats.js';
import { createTracing, type Tracing } from './tracing.js';
import { costOf, countedUsage, StreamText, UsageLedger } from './usage.js';

export interface Observability {
  metrics: Metrics;
  ledger: UsageLedger;
  snapshot(): Promise<MetricsSnapshot>;
  alerts: AlertManager;
  reloader: ConfigReloader;
  selections: ModelSelections;
  catalog: ModelCatalog;
  /** Null unless telemetry.enabled. */
  tracing: Tracing | null;
  /** The separate metrics listener, when metrics.port is set. */
  metricsServer: Server | null;
}

declare module 'fastify' {
  interface FastifyInstance {
    observability: Observability;
  }
}

interface StreamTrack {
  text: StreamText;
  firstAt: number | null;
  overheadMs: number | null;
  provider: string | null;
}

async function observabilityPlugin(app: FastifyInstance, opts: { runtime: Runtime }): Promise<void> {
  const { runtime } = opts;
  const config = () => runtime.config;
  const configFile = runtime.loaded.files[0];
  const metrics = new Metrics(runtime);
  const ledger = new UsageLedger();
  const selectionsLogger = runtime.logger.child({ component: 'model-selections' });
  const selectionsFile = () => stateFile(configFile, runtime.config, runtime.config.model_management.selections_file, 'model_selections.json', selectionsLogger);
  const selections = new ModelSelections(selectionsFile(), selectionsLogger);
  selections.load();
  const snapshot = () => metricsSnapshot(runtime, metrics.stats, ledger, metrics.startedAt);
  const alertsLogger = runtime.logger.child({ component: 'alerts' });
  const alerts = new AlertManager(config, snapshot, alertsLogger, stateFile(configFile, runtime.config, runtime.config.alerting.rules_file, 'alert_rules.json', alertsLogger));
  const reloader = new ConfigReloader(runtime, {
    onResult: (result) => metrics.reload(result.success ? 'success' : 'failure'),
    onReloaded: () => selections.load(selectionsFile()),
  });
  const tracing = runtime.config.telemetry.enabled ? await createTracing(runtime.config.telemetry, runtime.logger) : null;
  const obs: Observability = { metrics, ledger, snapshot, alerts, reloader, selections, catalog: new ModelCatalog(config), tracing, metricsServer: null };
  app.decorate('observability', obs);

  const policies = [metrics.policy(), ...(tracing ? [tracing.policy()] : [])];
  runtime.policies.push(...policies);
  runtime.reload = (source) => {
    selections.load(selectionsFile());
    return reloader.reload(source);
  };
  runtime.alertSummary = () => alerts.summary();
  runtime.onHealthCheck = (provider, result) => metrics.healthCheck(provider, result);
  alerts.start();
  if (runtime.config.hot_reload.enabled && configFile) {
    reloader.watch(() => [selectionsFile()], runtime.config.hot_reload.debounce_ms, () => void runtime.reload?.('file change'));
  }
  app.addHook('onListen', async () => {
    const port = runtime.config.metrics.port;
    if (port !== null && runtime.config.metrics.enabled && !obs.metricsServer) obs.metricsServer = await startMetricsServer(obs, runtime.config.server.host, port);
  });
  app.addHook('onClose', async () => {
    for (const policy of policies) {
      const index = runtime.policies.indexOf(policy);
      if (index >= 0) runtime.policies.splice(index, 1);
    }
    await reloader.close();
    await alerts.stop();
    await selections.flushed();
    if (obs.metricsServer) {
      obs.metricsServer.closeAllConnections();
      await new Promise<void>((resolve) => obs.metricsServer!.close(() => resolve()));
    }
    await tracing?.shutdown();
  });

  if (tracing) {
    app.addHook('onRequest', async (request) => tracing.start(request));
  }

  const streams = new WeakMap<FastifyRequest, StreamTrack>();
  app.addHook('preHandler', (request, _reply, done) => {
    trackRequest(request);
    done();
  });
  const trackRequest = (request: FastifyRequest): void => {
    const body = request.body as Record<string, unknown> | undefined;
    if (!body || typeof body !== 'object' || Array.isArray(body)) return;
    const asked = body.model;
    applyModelDefaults(body, runtime, selections);
    // The client's bytes no longer say what is sent: never forward them as they are.
    if (body.model !== asked) request.rawBody = undefined;
    if (body.stream !== true) return;
    const track: StreamTrack = { text: new StreamText(), firstAt: null, overheadMs: null, provider: null };
    streams.set(request, track);
    request.proxy.onChunk = (chunk) => {
      if (track.firstAt === null) {
        track.firstAt = performance.now();
        track.overheadMs = overheadMs(request.proxy);
        track.provider = request.proxy.provider;
        if (track.provider) metrics.streamStarted(track.provider);
      }
      track.text.add(chunk);
    };
  };

  app.requestDone.push((request, reply, status) => {
    try {
      recordRequest(request, reply, status);
    } catch (error) {
      request.log.error({ err: error }, 'metrics: cannot record request');
    }
  });
  const recordRequest = (request: FastifyRequest, reply: FastifyReply, status: number): void => {
    const state = request.proxy;
    const track = streams.get(request);
    if (track?.provider) metrics.streamEnded(track.provider);
    if (track) {
      state.streamed = true;
      if (track.firstAt !== null) state.ttftMs = Math.round((track.firstAt - state.startedAt) * 100) / 100;
    }
    if (track && !state.usage && track.firstAt !== null && state.model) {
      state.usage = countedUsage(request.body as Record<string, unknown>, track.text.text());
      state.extra.usage_estimated = true;
    }
    let cost = typeof state.extra.cost_usd === 'number' ? state.extra.cost_usd : null;
    if (cost === null && state.usage && state.model) {
      cost = costOf(runtime.config.pricing, state.model, state.usage);
      if (cost !== null) state.extra.cost_usd = cost;
    }
    if (state.usage && state.provider && state.model) ledger.record(state.provider, state.model, state.keyHash, state.usage, cost);

    const headerOverhead = reply.getHeader('x-proxy-overhead-ms');
    const overhead = track?.overheadMs ?? (headerOverhead !== undefined ? Number(headerOverhead) : overheadMs(state));
    const cacheHeader = String(reply.getHeader('x-proxy-cache') ?? '').toLowerCase();
    const record: RequestRecord = {
      method: request.method,
      route: state.route ?? 'unmatched',
      status,
      model: state.model,
      provider: state.provider,
      durationS: (performance.now() - state.startedAt) / 1000,
      overheadS: overhead === null || Number.isNaN(overhead) ? null : overhead / 1000,
      ttftS: track?.firstAt ? (track.firstAt - state.startedAt) / 1000 : null,
      usage: state.usage,
      costUsd: cost,
      errorCode: state.errorCode,
      cache: cacheHeader === 'hit' ? 'hit' : cacheHeader === 'miss' ? 'miss' : null,
      condensed: Boolean(state.extra.condensed) || reply.getHeader('x-proxy-condensed') !== undefined,
    };
    metrics.request(record);
  };
  // After the usage hook, so spans carry the request's tokens and cost.
  if (tracing) app.requestDone.push((request, reply, status, aborted) => tracing.finish(request, reply, status, aborted));
}

export default fp(observabilityPlugin, { name: 'observability', fastify: '5.x', dependencies: ['request-context'] });
