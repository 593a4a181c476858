// One ledger batch as one transaction: the rows not written before (a row id already there is
// skipped), and only those rows' sums added to the daily rollups, so a retried batch never counts twice.
import type { Kysely } from 'kysely';
import type { DatabaseTables, RequestLogsTable, SpendDailyTable } from '../../db/tables.js';

export async function writeBatch(kysely: Kysely<DatabaseTables>, batch: RequestLogsTable[]): Promise<number> {
  return kysely.transaction().execute(async (trx) => {
    const inserted = await trx.insertInto('request_logs').values(batch).onConflict((oc) => oc.column('id').doNothing()).returning('id').execute();
    const ids = new Set(inserted.map((r) => r.id));
    const sums = new Map<string, SpendDailyTable>();
    for (const row of batch) if (ids.has(row.id)) addToDaily(sums, row);
    for (const sum of sums.values()) {
      await trx
        .insertInto('spend_daily')
        .values(sum)
        .onConflict((oc) =>
          oc.columns(['day', 'key_id', 'team_id', 'model', 'provider']).doUpdateSet((eb) => ({
            requests: eb('spend_daily.requests', '+', eb.ref('excluded.requests')),
            errors: eb('spend_daily.errors', '+', eb.ref('excluded.errors')),
            input_tokens: eb('spend_daily.input_tokens', '+', eb.ref('excluded.input_tokens')),
            output_tokens: eb('spend_daily.output_tokens', '+', eb.ref('excluded.output_tokens')),
            cost_usd: eb('spend_daily.cost_usd', '+', eb.ref('excluded.cost_usd')),
          })),
        )
        .execute();
    }
    return ids.size;
  });
}

/** Adds one written row to the day's sums, keyed by day, key, team, model and provider ('' for none). */
export function addToDaily(sums: Map<string, SpendDailyTable>, row: RequestLogsTable): void {
  const day = row.created_at.slice(0, 10);
  const keyId = row.key_id ?? '';
  const teamId = row.team_id ?? '';
  const model = row.model ?? '';
  const provider = row.provider ?? '';
  const id = `${day}\u0000${keyId}\u0000${teamId}\u0000${model}\u0000${provider}`;
  let sum = sums.get(id);
  if (!sum) {
    sum = { day, key_id: keyId, team_id: teamId, model, provider, requests: 0, errors: 0, input_tokens: 0, output_tokens: 0, cost_usd: 0 };
    sums.set(id, sum);
  }
  sum.requests++;
  if (row.status >= 400) sum.errors++;
  sum.input_tokens += row.input_tokens;
  sum.output_tokens += row.output_tokens;
  sum.cost_usd += row.cost_usd;
}
