// The guardrails' admin API: what is defined (and which apply to every request), decisions counted
// per guardrail over a period, and the recent hits (what was masked, blocked, monitored or failed,
// without the values) read from the ledger, so every replica's requests are in it.
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import type { GuardrailDefinition, GuardrailsConfig } from '../config/guardrails-schema.js';
import type { Db } from '../db/handle.js';
import { ProxyError } from '../errors.js';
import type { Outcome } from './session.js';

const ADMIN = { config: { auth: 'admin' as const } };
const DECISIONS = ['pass', 'mask', 'block', 'monitor', 'error'] as const;
const PHASES = ['input', 'output'] as const;
/** Rows read per page of hits (most rows of a busy gateway are passes). */
const SCAN = 2000;

type Query = Record<string, string | undefined>;

/** The JSON text a ledger row holds for one outcome begins with this (keys in Outcome's order). */
const outcomeStart = (name: string, phase: string, decision: string) => `%{"name":${JSON.stringify(name)},"phase":"${phase}","decision":"${decision}"%`;

function definitionView(def: GuardrailDefinition, defaults: readonly string[]) {
  const { name, type, phases, action } = def;
  const detail =
    def.type === 'pii' ? { entities: def.entities ?? 'all', allow: def.allow.length }
    : def.type === 'secrets' ? { kinds: def.kinds ?? 'all', allow: def.allow.length }
    : def.type === 'regex' ? { patterns: def.patterns.length, allow: def.allow.length }
    : { url: def.url, timeout_ms: def.timeout_ms };
  return { name, type, phases, action, on_error: def.on_error ?? (action === 'monitor' ? 'allow' : 'block'), default: defaults.includes(name), ...detail };
}

function sinceParam(query: Query): string {
  const hours = query.hours === undefined ? 24 : Number(query.hours);
  if (!Number.isFinite(hours) || hours <= 0 || hours > 24 * 366) throw new ProxyError('invalid_request', 'hours must be a number from 0 to 8784', 'hours');
  return new Date(Date.now() - hours * 3_600_000).toISOString();
}

export async function guardrailRoutes(app: FastifyInstance, opts: { db: Db; config: () => GuardrailsConfig }): Promise<void> {
  const k = opts.db.kysely;

  app.get('/v1/guardrails', ADMIN, async (request) => {
    const config = opts.config();
    const since = sinceParam(request.query as Query);
    const counts: Record<string, Record<string, Record<string, number>>> = {};
    if (config.definitions.length > 0) {
      const columns = config.definitions.flatMap((d) =>
        PHASES.flatMap((phase) => DECISIONS.map((decision) => sql<number>`sum(case when guardrails like ${outcomeStart(d.name, phase, decision)} then 1 else 0 end)`.as(`${d.name}|${phase}|${decision}`))),
      );
      const row = (await k.selectFrom('request_logs').select(columns).where('created_at', '>=', since).where('guardrails', 'is not', null).executeTakeFirst()) as Record<string, unknown> | undefined;
      for (const d of config.definitions) {
        counts[d.name] = {};
        for (const phase of PHASES) counts[d.name][phase] = Object.fromEntries(DECISIONS.map((decision) => [decision, Number(row?.[`${d.name}|${phase}|${decision}`] ?? 0)]));
      }
    }
    return {
      object: 'list',
      since,
      default: config.default,
      stream: config.stream,
      data: config.definitions.map((d) => ({ ...definitionView(d, config.default), decisions: counts[d.name] })),
    };
  });

  app.get('/v1/guardrails/hits', ADMIN, async (request) => {
    const query = request.query as Query;
    const name = query.name;
    const config = opts.config();
    if (name !== undefined && !config.definitions.some((d) => d.name === name)) throw new ProxyError('not_found', `No guardrail named '${name}' is defined`, 'name');
    const limit = query.limit === undefined ? 50 : Number(query.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > 500) throw new ProxyError('invalid_request', 'limit must be a whole number from 1 to 500', 'limit');
    const since = sinceParam(query);
    const rows = await k
      .selectFrom('request_logs')
      .select(['id', 'request_id', 'created_at', 'key_id', 'key_alias', 'team_id', 'route', 'model', 'status', 'guardrails'])
      .where('created_at', '>=', since)
      .where('guardrails', 'is not', null)
      .where((eb) => eb.or(['mask', 'block', 'monitor', 'error'].map((d) => eb('guardrails', 'like', `%"decision":"${d}"%`))))
      .orderBy('created_at', 'desc')
      .limit(SCAN)
      .execute();
    const hits = [];
    for (const row of rows) {
      for (const o of JSON.parse(row.guardrails ?? '[]') as Outcome[]) {
        if (o.decision === 'pass' || (name !== undefined && o.name !== name)) continue;
        const { guardrails: _omit, ...where } = row;
        hits.push({ ...where, guardrail: o.name, phase: o.phase, decision: o.decision, entities: o.entities, hits: o.hits, ms: o.ms, reason: o.reason });
      }
      if (hits.length >= limit) break;
    }
    return { object: 'list', since, data: hits.slice(0, limit) };
  });
}
