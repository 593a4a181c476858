// One ledger batch as one transaction: the rows not written before (a row id already there is
// skipped), and only those rows' sums added to the daily rollups, so a retried batch never counts twice.
import type { Kysely } from 'kysely';
import type { DatabaseTables, RequestLogsTable, SpendDailyTable } from '../../db/tables.js';

export async function writeBatch(kysely: Kysely<DatabaseTables>, batch: RequestLogsTable[]): Promise<number> {
  return kysely.transaction().execute(async (trx) => {
    const inserted = await trx.insertInto('request_logs').values(batch).onConflict((oc) => oc.column('id').doNothing()).returning('id').execute();
    const ids = new Set(inserted.map((r) => r.id));
    const sums = new Map<string, SpendDailyTable>();
    for (const row of batch) {
      if (!ids.has(row.id)) continue;
      const key: Omit<SpendDailyTable, 'requests' | 'errors' | 'input_tokens' | 'output_tokens' | 'cost_usd'> = {
        day: row.created_at.slice(0, 10),
        key_id: row.key_id ?? '',
        team_id: row.team_id ?? '',
        model: row.model ?? '',
        provider: row.provider ?? '',
      };
      const id = `${key.day}\u0000${key.key_id}\u0000${key.team_id}\u0000${key.model}\u0000${key.provider}`;
      const sum = sums.get(id) ?? { ...key, requests: 0, errors: 0, input_tokens: 0, output_tokens: 0, cost_usd: 0 };
      sum.requests++;
      if (row.status >= 400) sum.errors++;
      sum.input_tokens += row.input_tokens;
      sum.output_tokens += row.output_tokens;
      sum.cost_usd += row.cost_usd;
      sums.set(id, sum);
    }
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
