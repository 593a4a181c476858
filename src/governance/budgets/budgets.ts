// Budgets of virtual keys and teams: before a request is dispatched its worst-case cost (prompt
// estimate plus max_tokens, or budgets.default_max_tokens) is reserved on every budget it falls under,
// atomically; when it ends (errors and client aborts included) the reservation is settled to the real
// cost. Counters missing from the store (a Redis flush, a restart without Redis) are rebuilt from the
// ledger: at start for every budget, and on the spot should one vanish while running.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { Db } from '../../db/database.js';
import type { RequestLogsTable } from '../../db/tables.js';
import { ProxyError } from '../../errors.js';
import { priceOf } from '../../observability/usage.js';
import type { Runtime } from '../../runtime.js';
import type { SharedRedis } from '../../state/redis.js';
import type { SharedStores } from '../../state/shared-stores.js';
import type { Principal } from '../key-index.js';
import type { Budget } from '../limits.js';
import { currentPeriod, type Period } from './period.js';
import { budgetRefusal, type WorstCase } from './refusal.js';
import { LEASE_MARGIN_S, LeaseKeeper } from './leases.js';
import type { BudgetEntry, BudgetStore } from './store.js';

const CHARS_PER_TOKEN = 4;
const DAY = 86_400_000;

interface Scope {
  kind: 'key' | 'team';
  id: string;
  label: string;
  budget: Budget;
  period: Period;
  entry: BudgetEntry;
}

export interface BudgetUsage {
  period: Budget['period'];
  period_start: string;
  resets_at: string | null;
  max_usd: number;
  spent_usd: number;
  reserved_usd: number;
  remaining_usd: number;
}

function scopeOf(kind: 'key' | 'team', id: string, label: string, budget: Budget, now: Date): Scope {
  const period = currentPeriod(budget.period, now);
  const ttlMs = period.resetsAt ? Date.parse(period.resetsAt) - now.getTime() + DAY : 400 * DAY;
  return { kind, id, label, budget, period, entry: { key: `${kind}:${id}:${period.start}`, max: budget.max_usd, ttlMs } };
}

export class Budgets {
  readonly store: BudgetStore;
  private readonly held = new WeakMap<FastifyRequest, { entries: BudgetEntry[]; amount: number; left: number; lease: string }>();
  /** Reservations are leases: renewed while their request runs, settled by any process once their own died. */
  readonly leases: LeaseKeeper;
  rejections = { key: 0, team: 0 };
  private readonly softLogged = new Set<string>();
  /** Each principal's scopes until the first of their periods ends (the key index keeps one principal a key). */
  private readonly current = new WeakMap<Principal, { scopes: Scope[]; until: number }>();

  constructor(
    private readonly runtime: Runtime,
    private readonly redis: SharedRedis | null,
    stores: SharedStores,
    private readonly db: Db,
    private readonly logger: Logger,
    /** Where the ledger row of a request whose process died goes (the ledger writer). */
    onExpired: (row: RequestLogsTable) => void,
  ) {
    this.store = stores.budgets();
    const leaseMs = () => (runtime.config.server.request_timeout + LEASE_MARGIN_S) * 1000;
    this.leases = new LeaseKeeper(this.store, leaseMs, onExpired, (error) => this.redis?.report('budgets', error), logger);
  }

  scopes(principal: Principal, now = new Date()): Scope[] {
    const out: Scope[] = [];
    const add = (kind: 'key' | 'team', id: string, label: string, budget: Budget | null) => {
      if (budget) out.push(scopeOf(kind, id, label, budget, now));
    };
    add('key', principal.key.id, principal.key.alias ? `key '${principal.key.alias}'` : `key ${principal.key.id}`, principal.key.budget);
    if (principal.team) add('team', principal.team.id, `team '${principal.team.name}'`, principal.team.budget);
    return out;
  }

  /** scopes(principal) now, remade only once a period has ended. */
  private currentScopes(principal: Principal): Scope[] {
    const now = Date.now();
    const cached = this.current.get(principal);
    if (cached && now < cached.until) return cached.scopes;
    const scopes = this.scopes(principal, new Date(now));
    const until = Math.min(...scopes.map((s) => (s.period.resetsAt ? Date.parse(s.period.resetsAt) : Infinity)));
    this.current.set(principal, { scopes, until });
    return scopes;
  }

  /** Reserves the request's worst case on its budgets; throws 429 budget_exceeded when one cannot take it. */
  async reserve(principal: Principal, request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const scopes = this.currentScopes(principal);
    if (scopes.length === 0) return;
    const worst = this.worstCase(request);
    const amount = worst.usd;
    const entries = scopes.map((s) => s.entry);
    const lease = this.leases.open();
    const body = request.body as { model?: unknown } | undefined;
    const record = {
      id: lease.id,
      request_id: request.id,
      key_id: principal.key.id,
      key_alias: principal.key.alias,
      team_id: principal.team?.id ?? null,
      route: request.proxy.route ?? request.url.split('?', 1)[0],
      model: typeof body?.model === 'string' ? body.model : null,
      created_at: new Date().toISOString(),
    };
    let result;
    try {
      result = await this.store.reserve(entries, amount, record, lease.expiresAt);
      // Each missing counter (the key's, the team's) is rebuilt from the ledger, then the reservation retried.
      for (let tries = 0; 'missing' in result && tries < entries.length; tries++) {
        await this.rebuild(scopes[result.missing]);
        result = await this.store.reserve(entries, amount, record, lease.expiresAt);
      }
    } catch (error) {
      this.redis?.report('budgets', error);
      if (this.runtime.config.budgets.on_store_error === 'open') return;
      throw new ProxyError('provider_unavailable', 'Budget checks are unavailable because their store cannot be reached; try again shortly', null, {}, { 'retry-after': '1' });
    }
    if ('missing' in result) throw new ProxyError('provider_unavailable', 'Budget counters could not be rebuilt; try again shortly', null, {}, { 'retry-after': '1' });
    if (!result.ok) {
      const scope = scopes[result.index];
      this.rejections[scope.kind]++;
      const { max_usd: max, period } = scope.budget;
      throw budgetRefusal({ label: scope.label, max, period, resetsAt: scope.period.resetsAt, spent: result.spent, reserved: result.reserved }, worst);
    }
    // What is left before this request: its own reservation (result.reserved includes it) added back.
    const left = scopes.map((s, i) => s.budget.max_usd - result.spent[i] - result.reserved[i] + amount);
    const tightest = left.indexOf(Math.min(...left));
    this.held.set(request, { entries, amount, left: left[tightest], lease: lease.id });
    this.leases.hold(lease.id);
    reply.header('x-budget-remaining-usd', Math.max(0, left[tightest]).toFixed(8));
    if (scopes[tightest].period.resetsAt) reply.header('x-budget-resets-at', scopes[tightest].period.resetsAt!);
    scopes.forEach((s, i) => this.softLimit(s, result.spent[i] + result.reserved[i]));
  }

  /**
   * x-budget-remaining-usd on a JSON answer: what is left once this request is charged its cost (known
   * before the answer is sent). A stream's headers go before its cost is known: they say what was left
   * before it. An onSend hook.
   */
  remainingAfter(request: FastifyRequest, reply: FastifyReply): void {
    const held = this.held.get(request);
    const cost = request.proxy.extra.cost_usd;
    if (held && typeof cost === 'number' && reply.hasHeader('x-budget-remaining-usd')) reply.header('x-budget-remaining-usd', Math.max(0, held.left - cost).toFixed(8));
  }

  /** Whether the request holds a reservation to settle. */
  holds(request: FastifyRequest): boolean {
    return this.held.has(request);
  }

  /**
   * Settles the request's reservation to what it cost (0 when nothing is known). Resolves false when
   * its lease had expired and was settled at its worst case already (the request outlived its lease).
   */
  async settle(request: FastifyRequest): Promise<boolean> {
    const held = this.held.get(request);
    if (!held) return true;
    this.held.delete(request);
    this.leases.release(held.lease);
    const cost = typeof request.proxy.extra.cost_usd === 'number' ? request.proxy.extra.cost_usd : 0;
    return this.store.settle(held.entries, held.amount, cost, held.lease).catch((error: unknown) => {
      this.redis?.report('budgets', error);
      return true;
    });
  }

  /**
   * Spend and what is left of each budget in its current period, for metrics: one entry per key and per
   * team with a budget, at most `limit` of each (bounded cardinality).
   */
  async snapshot(principals: Iterable<Principal>, limit: number): Promise<Array<{ scope: 'key' | 'team'; name: string; spent: number; remaining: number }>> {
    const seen = new Set<string>();
    const counts = { key: 0, team: 0 };
    const out: Array<{ scope: 'key' | 'team'; name: string; spent: number; remaining: number }> = [];
    for (const principal of principals) {
      for (const scope of this.scopes(principal)) {
        if (seen.has(scope.entry.key) || counts[scope.kind] >= limit) continue;
        seen.add(scope.entry.key);
        counts[scope.kind]++;
        const counter = await this.store.read(scope.entry);
        const spent = counter?.spent ?? 0;
        const name = scope.kind === 'key' ? (principal.key.alias ?? principal.key.id) : (principal.team?.name ?? scope.id);
        out.push({ scope: scope.kind, name, spent, remaining: Math.max(0, scope.budget.max_usd - spent - (counter?.reserved ?? 0)) });
      }
    }
    return out;
  }

  /** A key's or team's budget in its current period (the admin API's `budget_usage`); null without a budget. */
  async usage(kind: 'key' | 'team', id: string, budget: Budget | null): Promise<BudgetUsage | null> {
    if (!budget) return null;
    const scope = scopeOf(kind, id, `${kind} ${id}`, budget, new Date());
    let counter = await this.store.read(scope.entry);
    if (!counter) {
      await this.rebuild(scope);
      counter = await this.store.read(scope.entry);
    }
    const spent = counter?.spent ?? 0;
    const reserved = counter?.reserved ?? 0;
    return {
      period: budget.period,
      period_start: scope.period.start,
      resets_at: scope.period.resetsAt,
      max_usd: budget.max_usd,
      spent_usd: Math.round(spent * 1e8) / 1e8,
      reserved_usd: Math.round(reserved * 1e8) / 1e8,
      remaining_usd: Math.round(Math.max(0, budget.max_usd - spent - reserved) * 1e8) / 1e8,
    };
  }

  /** Rebuilds every missing counter of these principals from the ledger (at start). */
  async rebuildAll(principals: Iterable<Principal>): Promise<void> {
    for (const principal of principals) for (const scope of this.scopes(principal)) if (!(await this.store.read(scope.entry))) await this.rebuild(scope);
  }

  private async rebuild(scope: Scope): Promise<void> {
    const column = scope.kind === 'key' ? 'key_id' : 'team_id';
    const row = await this.db.kysely
      .selectFrom('request_logs')
      .select((eb) => eb.fn.sum<number>('cost_usd').as('spent'))
      .where(column, '=', scope.id)
      .where('created_at', '>=', scope.period.start)
      .executeTakeFirst();
    const spent = Number(row?.spent ?? 0);
    await this.store.init(scope.entry, spent);
    this.logger.info({ budget: scope.entry.key, spent_usd: spent }, 'budget counter rebuilt from the ledger');
  }

  /** The most this request can cost: its prompt estimated from its size, its completion at max_tokens (or the default). */
  private worstCase(request: FastifyRequest): WorstCase {
    const body = (request.body ?? {}) as Record<string, unknown>;
    const model = typeof body.model === 'string' ? body.model : null;
    const price = model ? priceOf(this.runtime.config.pricing, model) : null;
    const size = request.rawBody?.length ?? JSON.stringify(body).length;
    const limit = [body.max_tokens, body.max_completion_tokens, body.max_output_tokens].find((v) => typeof v === 'number') as number | undefined;
    const completionTokens = limit ?? this.runtime.config.budgets.default_max_tokens;
    const promptTokens = Math.ceil(size / CHARS_PER_TOKEN);
    if (!price) return { usd: 0, promptTokens, completionTokens, perCompletionToken: 0, promptUsd: 0 };
    const promptUsd = (promptTokens / 1000) * price.input_per_1k;
    const perCompletionToken = price.output_per_1k / 1000;
    return { usd: Math.round((promptUsd + completionTokens * perCompletionToken) * 1e8) / 1e8, promptTokens, completionTokens, perCompletionToken, promptUsd };
  }

  private softLimit(scope: Scope, used: number): void {
    const pct = scope.budget.soft_limit_pct;
    if (!pct || used < (scope.budget.max_usd * pct) / 100 || this.softLogged.has(scope.entry.key)) return;
    this.softLogged.add(scope.entry.key);
    this.logger.warn({ budget: scope.entry.key, used_usd: used, max_usd: scope.budget.max_usd, soft_limit_pct: pct }, `soft budget limit reached for ${scope.label}`);
  }
}

