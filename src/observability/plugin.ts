// Serves observability (built in gateway.ts) to the app: metrics and usage from every finished
// request (JSON and stream paths meet in the request-done hook), model defaults from the selections
// file, tracing spans, and the metrics port.
import type { Server } from 'node:http';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { Observability } from '../gateway.js';
import type { Runtime } from '../runtime.js';
import { overheadMs } from '../server/request-context.js';
import type { RequestRecord } from './metrics.js';
import { startMetricsServer } from './metrics-server.js';
import { applyModelDefaults } from './model-defaults.js';
import { costOf, countedUsage, StreamText } from './usage.js';

declare module 'fastify' {
  interface FastifyInstance {
    observability: Observability;
    /** The separate metrics listener, once listening (metrics.port set); else null. */
    readonly metricsServer: Server | null;
  }
}

interface StreamTrack {
  text: StreamText;
  firstAt: number | null;
  overheadMs: number | null;
  provider: string | null;
}

async function observabilityPlugin(app: FastifyInstance, opts: { runtime: Runtime; observability: Observability }): Promise<void> {
  const { runtime, observability: obs } = opts;
  const { metrics, usage: ledger, selections, tracing } = obs;
  app.decorate('observability', obs);

  let metricsServer: Server | null = null;
  app.decorate('metricsServer', { getter: () => metricsServer });
  app.addHook('onListen', async () => {
    const port = runtime.config.metrics.port;
    if (port !== null && runtime.config.metrics.enabled && !metricsServer) metricsServer = await startMetricsServer(obs, runtime.config.server.host, port);
  });
  app.addHook('onClose', async () => {
    if (!metricsServer) return;
    const server = metricsServer;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
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
