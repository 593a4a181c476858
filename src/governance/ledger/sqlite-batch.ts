// The ledger's batch on SQLite, as its writing thread runs it: the same transaction as write-batch.ts
// (rows inserted idempotently, only the rows actually inserted added to spend_daily) through two
// prepared better-sqlite3 statements. Kysely built and compiled the syntax tree of a 200-row insert
// for every batch, the largest share of the thread's time, and the thread shares the proxy's core.
import type { Database } from 'better-sqlite3';
import type { RequestLogsTable, SpendDailyTable } from '../../db/tables.js';
import { addToDaily } from './write-batch.js';

const COLUMNS = [
  'id', 'request_id', 'created_at', 'key_id', 'key_alias', 'team_id', 'route', 'model', 'provider', 'status', 'error_code', 'attempts',
  'input_tokens', 'output_tokens', 'cached_tokens', 'reasoning_tokens', 'cost_usd', 'latency_ms', 'ttft_ms', 'cache_hit', 'stream',
  'request_body', 'response_body', 'settled_by', 'guardrails',
] as const satisfies readonly (keyof RequestLogsTable)[];

const SUMS = ['requests', 'errors', 'input_tokens', 'output_tokens', 'cost_usd'] as const satisfies readonly (keyof SpendDailyTable)[];
const DAY_KEY = ['day', 'key_id', 'team_id', 'model', 'provider'] as const satisfies readonly (keyof SpendDailyTable)[];

/** Returns the batch writer for one connection: the rows newly written, in one transaction. */
export function sqliteBatchWriter(db: Database): (batch: RequestLogsTable[]) => number {
  const insert = db.prepare(`insert into request_logs (${COLUMNS.join(', ')}) values (${COLUMNS.map((c) => `@${c}`).join(', ')}) on conflict (id) do nothing`);
  const all = [...DAY_KEY, ...SUMS];
  const upsert = db.prepare(
    `insert into spend_daily (${all.join(', ')}) values (${all.map((c) => `@${c}`).join(', ')}) ` +
      `on conflict (${DAY_KEY.join(', ')}) do update set ${SUMS.map((c) => `${c} = spend_daily.${c} + excluded.${c}`).join(', ')}`,
  );
  return db.transaction((batch: RequestLogsTable[]) => {
    const sums = new Map<string, SpendDailyTable>();
    let written = 0;
    for (const row of batch) {
      if (insert.run(row).changes === 0) continue;
      written++;
      addToDaily(sums, row);
    }
    for (const sum of sums.values()) upsert.run(sum);
    return written;
  });
}
