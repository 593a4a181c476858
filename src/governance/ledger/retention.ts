// Deletes ledger rows older than request_logs.retention_days, in the background, in bounded batches
// (so no statement holds the table long). The daily rollups are kept: spend history outlives the rows.
import type { Logger } from 'pino';
import type { Db } from '../../db/database.js';

const BATCH = 1000;
const EVERY_MS = 3_600_000;

export async function deleteExpired(db: Db, retentionDays: number, now = Date.now()): Promise<number> {
  if (retentionDays <= 0) return 0;
  const cutoff = new Date(now - retentionDays * 86_400_000).toISOString();
  let deleted = 0;
  for (;;) {
    const result = await db.kysely
      .deleteFrom('request_logs')
      .where('id', 'in', (eb) => eb.selectFrom('request_logs').select('id').where('created_at', '<', cutoff).limit(BATCH))
      .executeTakeFirst();
    const n = Number(result.numDeletedRows);
    deleted += n;
    if (n < BATCH) return deleted;
  }
}

export function startRetention(db: Db, retentionDays: () => number, logger: Logger): () => void {
  const run = () =>
    void deleteExpired(db, retentionDays())
      .then((n) => n > 0 && logger.info({ deleted: n, retention_days: retentionDays() }, 'old request logs deleted'))
      .catch((error: unknown) => logger.warn({ err_message: (error as Error).message }, 'request log retention failed; it runs again in an hour'));
  const first = setTimeout(run, 10_000);
  const timer = setInterval(run, EVERY_MS);
  first.unref();
  timer.unref();
  return () => {
    clearTimeout(first);
    clearInterval(timer);
  };
}
