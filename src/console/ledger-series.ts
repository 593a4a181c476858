// Traffic series older than memory holds, read from the spend ledger: one point per hour (requests,
// errors, tokens, cost, average latency). Percentiles are not kept there, so p50/p95 are null.
import { sql } from 'kysely';
import type { Db } from '../db/database.js';
import type { SeriesColumns, SeriesTotals } from './traffic-series.js';

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
  const columns: SeriesColumns = { t: [], requests: [], requests_per_s: [], error_pct: [], p50_ms: [], p95_ms: [], avg_ms: [], tokens_per_s: [], cost_per_hour: [] };
  const totals: SeriesTotals = { requests: 0, errors: 0, client_errors: 0, input_tokens: 0, output_tokens: 0, cost_usd: 0, p50_ms: null, p95_ms: null, avg_ms: null };
  let latencySum = 0;
  for (let start = first; start <= end; start += HOUR) {
    const row = byHour.get(new Date(start).toISOString().slice(0, 13));
    const n = Number(row?.requests ?? 0);
    const errors = Number(row?.errors ?? 0);
    const tokens = Number(row?.input_tokens ?? 0) + Number(row?.output_tokens ?? 0);
    const cost = Number(row?.cost_usd ?? 0);
    const seconds = Math.max(1, Math.min(HOUR, now - start) / 1000);
    columns.t.push(start / 1000);
    columns.requests.push(n);
    columns.requests_per_s.push(Math.round((n / seconds) * 1000) / 1000);
    columns.error_pct.push(n ? Math.round((10_000 * errors) / n) / 100 : null);
    columns.p50_ms.push(null);
    columns.p95_ms.push(null);
    columns.avg_ms.push(n ? Math.round((Number(row?.latency_ms ?? 0) / n) * 100) / 100 : null);
    columns.tokens_per_s.push(Math.round((tokens / seconds) * 100) / 100);
    columns.cost_per_hour.push(Math.round(((cost * 3600) / seconds) * 1e6) / 1e6);
    totals.requests += n;
    totals.errors += errors;
    totals.client_errors += Number(row?.client_errors ?? 0);
    totals.input_tokens += Number(row?.input_tokens ?? 0);
    totals.output_tokens += Number(row?.output_tokens ?? 0);
    totals.cost_usd += cost;
    latencySum += Number(row?.latency_ms ?? 0);
  }
  totals.avg_ms = totals.requests ? Math.round((latencySum / totals.requests) * 100) / 100 : null;
  totals.cost_usd = Math.round(totals.cost_usd * 1e8) / 1e8;
  return { columns, totals };
}
