// The ledger rows an export reads, oldest first, in pages (so a large range never sits in memory).
import type { Db } from '../../db/database.js';
import type { RequestLogsTable } from '../../db/tables.js';

export interface ExportFilter {
  from: string;
  to: string;
  model?: string;
  key_id?: string;
  team_id?: string;
}

const PAGE = 500;

function filtered(db: Db, filter: ExportFilter) {
  let q = db.kysely.selectFrom('request_logs').where('created_at', '>=', filter.from).where('created_at', '<=', filter.to);
  if (filter.model) q = q.where('model', '=', filter.model);
  if (filter.key_id) q = q.where('key_id', '=', filter.key_id);
  if (filter.team_id) q = q.where('team_id', '=', filter.team_id);
  return q;
}

export async function countRows(db: Db, filter: ExportFilter): Promise<number> {
  const row = await filtered(db, filter).select((eb) => eb.fn.countAll().as('n')).executeTakeFirst();
  return Number(row?.n ?? 0);
}

export async function* exportRows(db: Db, filter: ExportFilter): AsyncGenerator<RequestLogsTable> {
  let after: [string, string] | null = null;
  for (;;) {
    let q = filtered(db, filter).selectAll();
    if (after) {
      const [at, id] = after;
      q = q.where((eb) => eb.or([eb('created_at', '>', at), eb.and([eb('created_at', '=', at), eb('id', '>', id)])]));
    }
    const rows = await q.orderBy('created_at').orderBy('id').limit(PAGE).execute();
    yield* rows;
    if (rows.length < PAGE) return;
    const last = rows.at(-1)!;
    after = [last.created_at, last.id];
  }
}
