// Writes ledger rows from a bounded in-memory queue, in batches, off the request path. A batch is one
// transaction: rows inserted idempotently (a row id already written is skipped) and only the rows
// actually inserted added to the daily rollups, so a retried batch never counts twice. While the
// database is unreachable (a restart, a failover) rows wait in the queue and are written when it
// returns; a batch the database refuses for another reason is retried `max_retries` times. Rows are
// dropped only when the queue is full or a batch is finally refused: counted and logged, never silently.
// With SQLite the writes run on a thread of their own (better-sqlite3 is synchronous: on the event
// loop a batch would hold up every request in flight); PostgreSQL's driver is asynchronous already.
import type { Logger } from 'pino';
import type { Db } from '../../db/database.js';
import type { RequestLogsTable } from '../../db/tables.js';
import { isConnectionError } from '../../state/dependency.js';
import { LedgerThread } from './ledger-thread.js';
import { writeBatch } from './write-batch.js';

export interface LedgerSettings {
  queue_size: number;
  batch_size: number;
  flush_interval_ms: number;
  max_retries: number;
}

const LOG_EVERY_MS = 30_000;
/** The calm writing thread's nice value (ledger-thread.ts): about a tenth of a saturated core (weight 110 against 1024). */
const CALM_NICE = 10;

export class LedgerWriter {
  private queue: RequestLogsTable[] = [];
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> | null = null;
  private lastDropLog = 0;
  private stopped = false;
  written = 0;
  dropped = 0;
  failedWrites = 0;

  /**
   * With a SQLite file: the threads that own a writing connection, so a batch never blocks the event
   * loop; the urgent one (started on first use) takes the batches while rows pile up.
   */
  private readonly threads: { calm: LedgerThread; urgent: LedgerThread } | null;

  constructor(
    private readonly db: Db,
    private readonly settings: LedgerSettings,
    private readonly logger: Logger,
  ) {
    this.threads = db.file ? { calm: new LedgerThread(db.file, CALM_NICE), urgent: new LedgerThread(db.file) } : null;
  }

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

  /**
   * Stops the timer and writes everything still queued; with the database away, keeps trying for
   * up to `waitMs`, then drops (counts and logs) what is left.
   */
  async stop(waitMs = 5000): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.flushing;
    const until = Date.now() + waitMs;
    for (;;) {
      await this.flush();
      if (this.queue.length === 0 || Date.now() >= until) break;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    this.stopped = true;
    if (this.queue.length > 0) this.drop(this.queue.splice(0).length, 'the database was unreachable at shutdown');
    await Promise.all([this.threads?.calm.close(), this.threads?.urgent.close()]);
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0 && !this.stopped) {
      const batch = this.queue.splice(0, this.settings.batch_size);
      // Two more batches waiting: the calm thread is not keeping up.
      const behind = this.queue.length >= 2 * this.settings.batch_size;
      if (!(await this.writeWithRetries(batch, behind))) {
        // The database is away: the batch goes back to the front, and the next flush tries again.
        this.queue.unshift(...batch);
        this.trim();
        return;
      }
    }
  }

  /** False when the database could not be reached (the batch is to be kept); true once written or given up. */
  private async writeWithRetries(batch: RequestLogsTable[], behind: boolean): Promise<boolean> {
    for (let attempt = 0; ; attempt++) {
      try {
        this.written += await this.write(batch, behind);
        this.db.health.ok();
        return true;
      } catch (error) {
        this.failedWrites++;
        if (isConnectionError(error)) {
          this.db.health.failed(error);
          return false;
        }
        if (attempt >= this.settings.max_retries) {
          this.drop(batch.length, `writing failed ${attempt + 1} times: ${(error as Error).message}`);
          return true;
        }
        await new Promise((resolve) => setTimeout(resolve, Math.min(5000, 100 * 2 ** attempt)));
      }
    }
  }

  /** Past the queue's bound (rows kept back while the database was away), the newest rows are dropped. */
  private trim(): void {
    const over = this.queue.length - this.settings.queue_size;
    if (over > 0) {
      this.queue.length = this.settings.queue_size;
      this.drop(over, 'the ledger queue is full while the database is unreachable');
    }
  }

  /** One transaction: the rows not written before, and their sums added to spend_daily. */
  private write(batch: RequestLogsTable[], behind: boolean): Promise<number> {
    if (!this.threads) return writeBatch(this.db.kysely, batch);
    return (behind ? this.threads.urgent : this.threads.calm).write(batch);
  }

  private drop(count: number, why: string): void {
    this.dropped += count;
    const now = Date.now();
    if (now - this.lastDropLog < LOG_EVERY_MS) return;
    this.lastDropLog = now;
    this.logger.error({ dropped: count, dropped_total: this.dropped, reason: why }, 'ledger rows dropped');
  }
}
