// The operator console: the browser app at /ui/ (static files, public: they hold no data; every figure
// comes from the admin API with the operator's key) and the one endpoint only it needs, recent traffic as
// time series (/v1/console/timeseries: memory for the last day, the ledger for the last week).
// `ui.enabled: false` leaves both out.
import { basename, dirname } from 'node:path';
import compress from '@fastify/compress';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply } from 'fastify';
import fp from 'fastify-plugin';
import { ProxyError } from '../errors.js';
import { LEDGER_ROUTES } from '../governance/ledger/row.js';
import type { Runtime } from '../runtime.js';
import { loadAssets, webDir, type ConsoleAssets } from './assets.js';
import { ledgerSeries } from './ledger-series.js';
import type { HostLink } from '../cluster/ipc.js';
import { TrafficSeries, type ExportedBuckets } from './traffic-series.js';

const ADMIN = { config: { auth: 'admin' as const } };
const MINUTE = 60_000;
/** Window → step, and where the points come from. */
const WINDOWS: Record<string, { ms: number; stepMs: number; source: 'memory' | 'ledger' }> = {
  '15m': { ms: 15 * MINUTE, stepMs: 10_000, source: 'memory' },
  '1h': { ms: 60 * MINUTE, stepMs: 30_000, source: 'memory' },
  '6h': { ms: 360 * MINUTE, stepMs: 2 * MINUTE, source: 'memory' },
  '24h': { ms: 1440 * MINUTE, stepMs: 5 * MINUTE, source: 'memory' },
  '7d': { ms: 7 * 1440 * MINUTE, stepMs: 60 * MINUTE, source: 'ledger' },
};
const YEAR_S = 365 * 86_400;

async function consolePlugin(app: FastifyInstance, opts: { runtime: Runtime; host: HostLink | null }): Promise<void> {
  const { runtime, host } = opts;
  if (!runtime.config.ui.enabled) return;

  const series = new TrafficSeries();
  // Under `server.workers > 1` the charts cover the host: every worker's buckets, gathered by the primary.
  host?.answers.answer('console.series', ([windowMs, stepMs]) => series.export(windowMs as number, stepMs as number));
  const hostSeries = async (windowMs: number, stepMs: number): Promise<TrafficSeries> => {
    if (!host) return series;
    const parts = await host.link.call<ExportedBuckets[]>('gather', 'console.series', windowMs, stepMs);
    return parts.length > 0 ? TrafficSeries.merged(parts) : series;
  };
  app.requestDone.push((request, _reply, status) => {
    const state = request.proxy;
    if (!LEDGER_ROUTES.has(state.route ?? '')) return;
    series.record({
      status,
      latencyMs: performance.now() - state.startedAt,
      inputTokens: state.usage?.prompt_tokens ?? 0,
      outputTokens: state.usage?.completion_tokens ?? 0,
      costUsd: typeof state.extra.cost_usd === 'number' ? state.extra.cost_usd : 0,
    });
  });

  app.get('/v1/console/timeseries', ADMIN, async (request) => {
    const name = (request.query as { window?: string }).window ?? '1h';
    const window = WINDOWS[name];
    if (!window) throw new ProxyError('invalid_request', `window must be one of ${Object.keys(WINDOWS).join(', ')}`, 'window');
    if (window.source === 'memory') {
      const merged = await hostSeries(window.ms, window.stepMs);
      return { object: 'timeseries', window: name, step_s: window.stepMs / 1000, source: window.source, since: new Date(merged.since).toISOString(), ...merged.query(window.ms, window.stepMs) };
    }
    const base = { object: 'timeseries', window: name, step_s: window.stepMs / 1000, source: window.source };
    if (!runtime.config.request_logs.enabled) throw new ProxyError('invalid_request', `The ${name} window is read from the request ledger, and request_logs.enabled is false`, 'window');
    return { ...base, since: null, ...(await ledgerSeries(app.database, window.ms)) };
  });

  await app.register(consoleFiles, { assets: loadAssets() });
}

/** The browser app's files, in their own context: public routes, compressed, with the console's CSP. */
async function consoleFiles(app: FastifyInstance, opts: { assets: ConsoleAssets }): Promise<void> {
  const { assets } = opts;
  app.addHook('onRoute', (route) => {
    route.config = { ...(route.config as object), auth: 'public' };
  });
  app.addHook('onRequest', (_request, reply, done) => {
    reply.headers({
      'content-security-policy': assets.csp,
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
      'x-frame-options': 'DENY',
      'cross-origin-opener-policy': 'same-origin',
    });
    done();
  });
  await app.register(compress, { global: true, encodings: ['br', 'gzip'], threshold: 1024 });

  // Relative, so it also works behind a reverse proxy that serves the gateway under a path prefix.
  app.get('/ui', (_request, reply) => reply.code(308).header('location', 'ui/').send());
  const etag = `"${assets.hash}"`;
  app.get('/ui/', (request, reply) => {
    reply.header('cache-control', 'no-cache').header('etag', etag);
    if (request.headers['if-none-match'] === etag) return reply.code(304).send();
    return reply.type('text/html; charset=utf-8').send(assets.html);
  });

  await app.register(fastifyStatic, {
    root: webDir,
    prefix: `/ui/${assets.base}`,
    index: false,
    maxAge: YEAR_S * 1000,
    immutable: true,
    allowedPath: (path) => !path.endsWith('index.html'),
  });
  // Anything else under /ui/ (a file of an older release included) is a plain 404, keyless.
  app.get('/ui/*', () => {
    throw new ProxyError('not_found', 'No such console file');
  });
  app.get(`/ui/${assets.base}vendor/:file`, (request, reply: FastifyReply) => {
    const path = assets.vendor.get((request.params as { file: string }).file);
    if (!path) throw new ProxyError('not_found', 'No such console file');
    return reply.sendFile(basename(path), dirname(path), { maxAge: YEAR_S * 1000, immutable: true });
  });
}

export default fp(consolePlugin, { name: 'console', fastify: '5.x', dependencies: ['observability', 'governance'] });
