// Governance: opens the database (migrating it), loads virtual keys and teams into the in-memory index
// the auth hook consults and keeps it in step with other replicas, enforces a key's and its team's
// models, rate limits and budgets before dispatch (settling them when the request ends), records
// every model request in the spend ledger, and serves the admin, logs and spend APIs and their metrics.
import type { FastifyInstance } from 'fastify';
import { Counter, Gauge } from 'prom-client';
import fp from 'fastify-plugin';
import { openDatabase, type Db } from '../db/database.js';
import { ProxyError } from '../errors.js';
import type { Runtime } from '../runtime.js';
import type { SharedRedis } from '../state/redis.js';
import type { SharedStores } from '../state/shared-stores.js';
import type { KeyIndex } from './key-index.js';
import { Budgets } from './budgets/budgets.js';
import { KeyStore } from './key-store.js';
import { modelTarget } from './model-access.js';
import { BodyCapture } from './ledger/bodies.js';
import { startRetention } from './ledger/retention.js';
import { LEDGER_ROUTES, ledgerRow } from './ledger/row.js';
import { ledgerRoutes } from './ledger/routes.js';
import { LedgerWriter } from './ledger/writer.js';
import { RequestLimits } from './request-limits.js';
import { governanceRoutes } from './routes.js';
import { guardrailRoutes } from '../guardrails/routes.js';

declare module 'fastify' {
  interface FastifyInstance {
    database: Db;
    ledger: LedgerWriter;
    budgets: Budgets;
  }
}

const TOUCH_INTERVAL_MS = 5000;
/** Budgets exported as metrics: at most this many keys and this many teams (a bounded cardinality). */
const METRIC_BUDGETS = 500;
/** How often a replica checks the database for key and team changes made by another replica. */
const SYNC_INTERVAL_MS = 500;

export interface GovernanceOptions {
  runtime: Runtime;
  redis: SharedRedis | null;
  /** The index the auth hook reads; this plugin fills it from the database and keeps it in step. */
  keys: KeyIndex;
  /** Where limits' and budgets' counters live (Redis, the host's primary, or this process). */
  stores: SharedStores;
}

async function governancePlugin(app: FastifyInstance, opts: GovernanceOptions): Promise<void> {
  const { runtime, redis, stores, keys: index } = opts;
  const db = await openDatabase(runtime.config.database, runtime.dataDir, runtime.logger);
  runtime.logger.info({ database: db.describe }, 'governance database ready');
  const store = new KeyStore(db);
  let version = '';
  const reload = async () => {
    version = await store.version();
    index.load(await store.allKeys(), await store.allTeams());
  };
  await reload();
  // Edits made through another replica (revocations above all) arrive within a second: a cheap
  // version query twice a second, a full reload only when it moved. Off the request path.
  let syncing = false;
  let closed = false;
  const sync = setInterval(() => {
    if (syncing || closed) return;
    syncing = true;
    void store
      .version()
      .then((now) => (now !== version ? reload() : undefined))
      .then(() => db.health.ok())
      // Logged once per outage by the database's state; the keys in memory keep serving.
      .catch((error: unknown) => db.health.failed(error))
      .finally(() => (syncing = false));
  }, SYNC_INTERVAL_MS);
  sync.unref();
  app.decorate('database', db);

  // The spend ledger: one row per model request, written in batches after the request ended.
  const ledger = new LedgerWriter(db, runtime.config.request_logs, runtime.logger.child({ component: 'ledger' }));
  app.decorate('ledger', ledger);
  ledger.start();
  const limits = new RequestLimits(runtime, redis, stores);
  const budgets = new Budgets(runtime, redis, stores, db, runtime.logger.child({ component: 'budgets' }), (row) => ledger.push(row));
  budgets.leases.start();
  app.decorate('budgets', budgets);
  app.addHook('onSend', (request, reply, payload, done) => {
    budgets.remainingAfter(request, reply);
    done(null, payload);
  });
  await budgets.rebuildAll(index.principals()).catch((error: unknown) => runtime.logger.warn({ err_message: (error as Error).message }, 'budget counters not rebuilt at start; they are rebuilt on first use'));
  const bodies = new BodyCapture(() => runtime.config);
  // Callback style: requests without a virtual key pay no promise.
  app.addHook('preHandler', (request, reply, done) => {
    if (runtime.config.request_logs.enabled && LEDGER_ROUTES.has(request.proxy.route ?? '') && bodies.wanted(request)) bodies.watch(request);
    const principal = request.proxy.principal;
    if (!principal) return done();
    const model = (request.body as { model?: unknown } | undefined)?.model;
    const refusal = typeof model === 'string' ? index.modelRefusal(principal, modelTarget(model, runtime.config)) : null;
    if (refusal) return done(new ProxyError('insufficient_permissions', refusal, 'model'));
    limits
      .check(principal, request, reply)
      .then(() => budgets.reserve(principal, request, reply))
      .then(() => done(), done);
  });
  app.requestDone.push((request, reply, status) => {
    const principal = request.proxy.principal;
    if (principal) void limits.done(principal, request, request.proxy.usage?.total_tokens ?? 0);
    const row = runtime.config.request_logs.enabled && LEDGER_ROUTES.has(request.proxy.route ?? '') ? { ...ledgerRow(request, reply, status), ...bodies.take(request) } : null;
    if (!budgets.holds(request)) {
      if (row) ledger.push(row);
      return;
    }
    void budgets.settle(request).then((byRequest) => {
      if (!row) return;
      // Outlived its lease (a process cut off from Redis for longer): the sweep already counted its worst
      // case in a row of its own, so this row carries the tokens and no second cost.
      if (!byRequest) ledger.push({ ...row, cost_usd: 0, settled_by: 'expiry' });
      else ledger.push(row);
    });
  });

  const flush = async () => {
    if (index.used.size === 0) return;
    const batch = new Map(index.used);
    index.used.clear();
    await store.touch(batch).catch((error: unknown) => runtime.logger.warn({ err_message: (error as Error).message }, 'could not record keys last used'));
  };
  const timer = setInterval(() => void flush(), TOUCH_INTERVAL_MS);
  timer.unref();

  const stopRetention = startRetention(db, () => runtime.config.request_logs.retention_days, runtime.logger.child({ component: 'ledger' }));
  const registers = [app.observability.metrics.registry];
  const prefix = runtime.config.metrics.prefix;
  new Counter({
    name: `${prefix}_budget_rejections_total`,
    help: 'Requests refused because a budget was exhausted, by whose budget (key or team)',
    labelNames: ['scope'],
    registers,
    collect() {
      this.reset();
      this.inc({ scope: 'key' }, budgets.rejections.key);
      this.inc({ scope: 'team' }, budgets.rejections.team);
    },
  });
  // One series per key and per team with a budget, at most METRIC_BUDGETS of each.
  const budgetSeries = async () => budgets.snapshot(index.principals(), METRIC_BUDGETS).catch(() => []);
  new Gauge({
    name: `${prefix}_budget_spend_usd`,
    // Every worker reads the same shared counters: one value, not a sum.
    aggregator: 'first',
    help: `Spend in the current budget period, per key alias and team with a budget (at most ${METRIC_BUDGETS} of each)`,
    labelNames: ['scope', 'name'],
    registers,
    async collect() {
      this.reset();
      for (const s of await budgetSeries()) this.set({ scope: s.scope, name: s.name }, s.spent);
    },
  });
  new Gauge({
    name: `${prefix}_budget_remaining_usd`,
    aggregator: 'first',
    help: `What is left of the budget in its current period, per key alias and team with a budget (at most ${METRIC_BUDGETS} of each)`,
    labelNames: ['scope', 'name'],
    registers,
    async collect() {
      this.reset();
      for (const s of await budgetSeries()) this.set({ scope: s.scope, name: s.name }, s.remaining);
    },
  });
  new Gauge({ name: `${prefix}_ledger_queue_depth`, help: 'Ledger rows waiting to be written', registers, collect() { this.set(ledger.depth); } });
  new Counter({
    name: `${prefix}_ledger_rows_total`,
    help: 'Ledger rows by outcome: written, or dropped (queue full or writes failing after retries)',
    labelNames: ['result'],
    registers,
    collect() {
      this.reset();
      this.inc({ result: 'written' }, ledger.written);
      this.inc({ result: 'dropped' }, ledger.dropped);
    },
  });

  await app.register(governanceRoutes, { store, budgets, changed: reload, guardrails: () => runtime.config.guardrails.definitions.map((d) => d.name) });
  await app.register(ledgerRoutes, { db });
  await app.register(guardrailRoutes, { db, config: () => runtime.config.guardrails });

  app.addHook('onClose', async () => {
    closed = true;
    clearInterval(timer);
    clearInterval(sync);
    await flush();
    stopRetention();
    budgets.leases.stop();
    await ledger.stop();
    index.load([], []);
    await db.close();
  });
}

export default fp(governancePlugin, { name: 'governance', fastify: '5.x', dependencies: ['auth'] });
