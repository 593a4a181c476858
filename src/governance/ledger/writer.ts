// Writes ledger rows from a bounded in-memory queue, in batches, off the request path. A batch is one
// transaction: rows inserted idempotently (a row id already written is skipped) and only the rows
// actually inserted added to the daily rollups, so a retried batch never counts twice. A failed batch
// is retried with backoff; rows finally given up are counted and logged, never dropped silently.
import type { Logger } from 'pino';
import type { Db } from '../../db/database.js';
import type { RequestLogsTable, SpendDailyTable } from '../../db/tables.js';

export interface LedgerSettings {
  queue_size: number;
  batch_size: number;
  flush_interval_ms: number;
  max_retries: number;
}

const LOG_EVERY_MS = 30_000;

export class LedgerWriter {
  private queue: RequestLogsTable[] = [];
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> | null = null;
  private lastDropLog = 0;
  written = 0;
  dropped = 0;
  failedWrites = 0;

  constructor(
    private readonly db: Db,
    private readonly settings: LedgerSettings,
    private readonly logger: Logger,
  ) {}

  get depth(): number {
    return this.queue.length;
  }

  start(): void {
    this.timer = setInterval(() => void this.flush(), this.settings.flush_interval_ms);
    this.timer.unref();
  }

  push(row: RequestLogsTable): void {
    if (this.queue.length >= this.settings.queue_size) {
      this.drop(1, 'the ledger queue is full');
      return;
    }
    this.queue.push(row);
    if (this.queue.length >= this.settings.batch_size) void this.flush();
  }

  /** Writes what is queued, one batch at a time (one flush runs at once). */
  flush(): Promise<void> {
    this.flushing ??= this.drain().finally(() => (this.flushing = null));
    return this.flushing;
  }

  /** Stops the timer and writes everything still queued. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.flushing;
    await this.flush();
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, this.settings.batch_size);
      await this.writeWithRetries(batch);
    }
  }

  private async writeWithRetries(batch: RequestLogsTable[]): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        this.written += await this.write(batch);
        return;
      } catch (error) {
        this.failedWrites++;
        if (attempt >= this.settings.max_retries) {
          this.drop(batch.length, `writing failed ${attempt + 1} times: ${(error as Error).message}`);
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, Math.min(5000, 100 * 2 ** attempt)));
      }
    }
  }

  /** One transaction: the rows not written before, and their sums added to spend_daily. */
  private async write(batch: RequestLogsTable[]): Promise<number> {
    return this.db.kysely.transaction().execute(async (trx) => {
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

  private drop(count: number, why: string): void {
    this.dropped += count;
    const now = Date.now();
    if (now - this.lastDropLog < LOG_EVERY_MS) return;
    this.lastDropLog = now;
    this.logger.error({ dropped: count, dropped_total: this.dropped, reason: why }, 'ledger rows dropped');
  }
}
