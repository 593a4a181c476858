// The ledger's read side (admin keys only): request logs with filters and cursor pagination, one
// request's row, spend grouped by key, team, model, provider or day (read from the daily rollups, so it
// stays fast with millions of rows), and one key's usage.
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import type { Db } from '../../db/database.js';
import type { RequestLogsTable } from '../../db/tables.js';
import { ProxyError } from '../../errors.js';
import { exportLine, type ExportFormat } from '../export/fine-tune.js';
import { countRows, exportRows } from '../export/rows.js';
import { rangeBound } from './dates.js';

const ADMIN = { config: { auth: 'admin' as const } };
const GROUPS = { key: 'key_id', team: 'team_id', model: 'model', provider: 'provider', day: 'day' } as const;

type Query = Record<string, string | undefined>;

/** `from` / `to` as ISO text; a date-only `to` is the end of that day. */
export function isoParam(query: Query, name: 'from' | 'to'): string | undefined {
  const value = query[name];
  if (value === undefined || value === '') return undefined;
  const instant = rangeBound(value, name);
  if (instant === null) throw new ProxyError('invalid_request', `${name} must be a date (2026-01-31, for to the whole day) or an ISO date-time`, name);
  return instant;
}

function limitParam(query: Query): number {
  const n = query.limit === undefined ? 50 : Number(query.limit);
  if (!Number.isInteger(n) || n < 1 || n > 500) throw new ProxyError('invalid_request', 'limit must be a whole number from 1 to 500', 'limit');
  return n;
}

export function logView(row: RequestLogsTable, withBodies = false) {
  const { request_body, response_body, cache_hit, stream, guardrails, ...rest } = row;
  const parse = (text: string | null | undefined) => (text === null || text === undefined ? null : (JSON.parse(text) as unknown));
  return { ...rest, cost_usd: Number(rest.cost_usd), cache_hit: Boolean(cache_hit), stream: Boolean(stream), guardrails: parse(guardrails), ...(withBodies && { request_body: parse(request_body), response_body: parse(response_body) }) };
}

export async function ledgerRoutes(app: FastifyInstance, opts: { db: Db }): Promise<void> {
  const k = opts.db.kysely;

  app.get('/v1/logs', ADMIN, async (request) => {
    const query = request.query as Query;
    const limit = limitParam(query);
    let q = k.selectFrom('request_logs').selectAll();
    for (const field of ['key_id', 'team_id', 'model', 'provider'] as const) if (query[field]) q = q.where(field, '=', query[field]!);
    const status = query.status;
    if (status) {
      if (/^\d{3}$/.test(status)) q = q.where('status', '=', Number(status));
      else if (/^[1-5]xx$/.test(status)) q = q.where('status', '>=', Number(status[0]) * 100).where('status', '<', Number(status[0]) * 100 + 100);
      else if (status === 'error') q = q.where('status', '>=', 400);
      else throw new ProxyError('invalid_request', "status must be a code (200), a class (4xx) or 'error'", 'status');
    }
    const from = isoParam(query, 'from');
    const to = isoParam(query, 'to');
    if (from) q = q.where('created_at', '>=', from);
    if (to) q = q.where('created_at', '<=', to);
    if (query.cursor) {
      let after: [string, string];
      try {
        after = JSON.parse(Buffer.from(query.cursor, 'base64url').toString('utf8')) as [string, string];
        if (typeof after[0] !== 'string' || typeof after[1] !== 'string') throw new Error('bad');
      } catch {
        throw new ProxyError('invalid_request', 'cursor is not one this API returned', 'cursor');
      }
      q = q.where((eb) => eb.or([eb('created_at', '<', after[0]), eb.and([eb('created_at', '=', after[0]), eb('id', '<', after[1])])]));
    }
    const rows = await q.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit + 1).execute();
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    return { object: 'list', data: page.map((r) => logView(r)), next_cursor: rows.length > limit && last ? Buffer.from(JSON.stringify([last.created_at, last.id])).toString('base64url') : null };
  });

  app.get('/v1/logs/export', ADMIN, async (request, reply) => {
    const query = request.query as Query;
    const format = (query.format ?? 'openai-chat') as ExportFormat;
    if (format !== 'openai-chat' && format !== 'jsonl') throw new ProxyError('invalid_request', 'format must be openai-chat or jsonl', 'format');
    const from = isoParam(query, 'from') ?? new Date(0).toISOString();
    const to = isoParam(query, 'to') ?? new Date().toISOString();
    if (from > to) throw new ProxyError('invalid_request', 'from must not be after to', 'from');
    const filter = { from, to, model: query.model, key_id: query.key_id, team_id: query.team_id };
    if ((await countRows(opts.db, filter)) === 0) throw new ProxyError('not_found', 'No logged requests match that range and those filters', 'from');
    const includeFailed = query.include_failed === 'true';
    reply.hijack();
    reply.raw.writeHead(200, { 'content-type': 'application/x-ndjson; charset=utf-8', 'x-request-id': request.id });
    for await (const row of exportRows(opts.db, filter)) {
      const out = exportLine(row, format, includeFailed);
      if ('line' in out && !reply.raw.write(`${out.line}\n`)) await new Promise((resolve) => reply.raw.once('drain', resolve));
      if (reply.raw.destroyed) return;
    }
    reply.raw.end();
  });

  // A row's own id, or a request id (clients may reuse one: the newest of its rows).
  app.get('/v1/logs/:request_id', ADMIN, async (request) => {
    const { request_id } = request.params as { request_id: string };
    const row =
      (await k.selectFrom('request_logs').selectAll().where('id', '=', request_id).executeTakeFirst()) ??
      (await k.selectFrom('request_logs').selectAll().where('request_id', '=', request_id).orderBy('created_at', 'desc').orderBy('id', 'desc').executeTakeFirst());
    if (!row) throw new ProxyError('not_found', `No request '${request_id}' in the ledger`, 'request_id');
    const team = row.team_id ? await k.selectFrom('teams').select('name').where('id', '=', row.team_id).executeTakeFirst() : undefined;
    return { ...logView(row, true), team_name: team?.name ?? null };
  });

  app.get('/v1/spend', ADMIN, async (request) => {
    const query = request.query as Query;
    const groupBy = query.group_by ?? 'model';
    if (!Object.hasOwn(GROUPS, groupBy)) throw new ProxyError('invalid_request', `group_by must be one of ${Object.keys(GROUPS).join(', ')}`, 'group_by');
    const { from, to } = range(query);
    const column = GROUPS[groupBy as keyof typeof GROUPS];
    const rows = (await sums(k.selectFrom('spend_daily').where('day', '>=', from).where('day', '<=', to).select(`${column} as group`).groupBy(column)).execute()) as Array<SumRow & { group: string }>;
    const labels = groupBy === 'key' ? await names('virtual_keys', 'alias') : groupBy === 'team' ? await names('teams', 'name') : new Map<string, string>();
    return {
      group_by: groupBy,
      from,
      to,
      data: rows.map((r) => ({ group: r.group, label: labels.get(String(r.group)) ?? null, ...numbers(r) })).sort((a, b) => b.cost_usd - a.cost_usd),
    };
  });

  app.get('/v1/keys/:id/usage', ADMIN, async (request) => {
    const { id } = request.params as { id: string };
    if (!(await k.selectFrom('virtual_keys').select('id').where('id', '=', id).executeTakeFirst())) throw new ProxyError('not_found', `No virtual key '${id}'`, 'id');
    const { from, to } = range(request.query as Query);
    const daily = (await sums(k.selectFrom('spend_daily').where('key_id', '=', id).where('day', '>=', from).where('day', '<=', to).select('day').groupBy('day')).orderBy('day').execute()) as Array<SumRow & { day: string }>;
    const days = daily.map((d) => ({ day: d.day, ...numbers(d) }));
    const total = days.reduce((t, d) => ({ requests: t.requests + d.requests, errors: t.errors + d.errors, input_tokens: t.input_tokens + d.input_tokens, output_tokens: t.output_tokens + d.output_tokens, cost_usd: t.cost_usd + d.cost_usd }), { requests: 0, errors: 0, input_tokens: 0, output_tokens: 0, cost_usd: 0 });
    return { key_id: id, from, to, total, daily: days };
  });

  async function names(table: 'virtual_keys' | 'teams', column: 'alias' | 'name'): Promise<Map<string, string>> {
    const rows = await k.selectFrom(table).select(['id', `${column} as label`] as never).execute();
    return new Map((rows as unknown as Array<{ id: string; label: string | null }>).filter((r) => r.label).map((r) => [r.id, r.label!]));
  }
}

/** Days covered (inclusive): `from`/`to` as dates; the last 30 days by default. */
function range(query: Query): { from: string; to: string } {
  const to = (isoParam(query, 'to') ?? new Date().toISOString()).slice(0, 10);
  const from = (isoParam(query, 'from') ?? new Date(Date.parse(to) - 29 * 86_400_000).toISOString()).slice(0, 10);
  if (from > to) throw new ProxyError('invalid_request', 'from must not be after to', 'from');
  return { from, to };
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the sums are added to two differently typed selects
function sums(q: any) {
  return q.select([
    sql<number>`sum(requests)`.as('requests'),
    sql<number>`sum(errors)`.as('errors'),
    sql<number>`sum(input_tokens)`.as('input_tokens'),
    sql<number>`sum(output_tokens)`.as('output_tokens'),
    sql<number>`sum(cost_usd)`.as('cost_usd'),
  ]);
}

interface SumRow {
  requests: unknown;
  errors: unknown;
  input_tokens: unknown;
  output_tokens: unknown;
  cost_usd: unknown;
}

function numbers(r: SumRow) {
  return { requests: Number(r.requests), errors: Number(r.errors), input_tokens: Number(r.input_tokens), output_tokens: Number(r.output_tokens), cost_usd: Math.round(Number(r.cost_usd) * 1e8) / 1e8 };
}
