// Traffic series older than memory holds, read from the spend ledger: one point per hour (requests,
// errors, tokens, cost, average latency). Percentiles are not kept there, so p50/p95 are null.
import { sql } from 'kysely';
import type { Db } from '../db/database.js';
import { emptyColumns, pushPoint, round, type SeriesColumns, type SeriesTotals } from './traffic-series.js';

const HOUR = 3_600_000;

interface HourRow {
  hour: string;
  requests: unknown;
  errors: unknown;
  client_errors: unknown;
  input_tokens: unknown;
  output_tokens: unknown;
  cost_usd: unknown;
  latency_ms: unknown;
}

export async function ledgerSeries(db: Db, windowMs: number, now = Date.now()): Promise<{ columns: SeriesColumns; totals: SeriesTotals }> {
  const end = Math.floor(now / HOUR) * HOUR;
  const first = end - Math.ceil(windowMs / HOUR - 1) * HOUR;
  const rows = (await db.kysely
    .selectFrom('request_logs')
    .where('created_at', '>=', new Date(first).toISOString())
    .select([
      sql<string>`substr(created_at, 1, 13)`.as('hour'),
      sql<number>`count(*)`.as('requests'),
      sql<number>`sum(case when status >= 500 then 1 else 0 end)`.as('errors'),
      sql<number>`sum(case when status >= 400 and status < 500 then 1 else 0 end)`.as('client_errors'),
      sql<number>`sum(input_tokens)`.as('input_tokens'),
      sql<number>`sum(output_tokens)`.as('output_tokens'),
      sql<number>`sum(cost_usd)`.as('cost_usd'),
      sql<number>`sum(latency_ms)`.as('latency_ms'),
    ])
    .groupBy(sql`substr(created_at, 1, 13)`)
    .execute()) as HourRow[];
  const byHour = new Map(rows.map((r) => [r.hour, r]));
  const columns = emptyColumns();
  const totals: SeriesTotals = { requests: 0, errors: 0, client_errors: 0, input_tokens: 0, output_tokens: 0, cost_usd: 0, p50_ms: null, p95_ms: null, avg_ms: null };
  let latencySum = 0;
  for (let start = first; start <= end; start += HOUR) {
    const row = byHour.get(new Date(start).toISOString().slice(0, 13));
    const sums = {
      requests: Number(row?.requests ?? 0),
      errors: Number(row?.errors ?? 0),
      inputTokens: Number(row?.input_tokens ?? 0),
      outputTokens: Number(row?.output_tokens ?? 0),
      costUsd: Number(row?.cost_usd ?? 0),
      latencySumMs: Number(row?.latency_ms ?? 0),
    };
    pushPoint(columns, start, Math.min(HOUR, now - start), sums, null, null);
    totals.requests += sums.requests;
    totals.errors += sums.errors;
    totals.client_errors += Number(row?.client_errors ?? 0);
    totals.input_tokens += sums.inputTokens;
    totals.output_tokens += sums.outputTokens;
    totals.cost_usd += sums.costUsd;
    latencySum += sums.latencySumMs;
  }
  totals.avg_ms = totals.requests ? round(latencySum / totals.requests, 2) : null;
  totals.cost_usd = round(totals.cost_usd, 8);
  return { columns, totals };
}
