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

export class LedgerWriter {
  private queue: RequestLogsTable[] = [];
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> | null = null;
  private lastDropLog = 0;
  private stopped = false;
  private shuttingDown = false;
  written = 0;
  dropped = 0;
  failedWrites = 0;

  /** With a SQLite file: the thread that owns a writing connection, so a batch never blocks the event loop. */
  private readonly thread: LedgerThread | null;

  constructor(
    private readonly db: Db,
    private readonly settings: LedgerSettings,
    private readonly logger: Logger,
  ) {
    this.thread = db.file ? new LedgerThread(db.file) : null;
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
    if (this.queue.length < this.settings.batch_size) return;
    void this.flush();
    // Two batches waiting behind the one being written: it need not wait for the next to hurry.
    if (this.queue.length === 2 * this.settings.batch_size) this.thread?.hurry();
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
    // Shutting down: no pauses between chunks.
    this.shuttingDown = true;
    this.thread?.hurry();
    await this.flushing;
    const until = Date.now() + waitMs;
    for (;;) {
      await this.flush();
      if (this.queue.length === 0 || Date.now() >= until) break;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    this.stopped = true;
    if (this.queue.length > 0) this.drop(this.queue.splice(0).length, 'the database was unreachable at shutdown');
    await this.thread?.close();
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0 && !this.stopped) {
      const batch = this.queue.splice(0, this.settings.batch_size);
      // Two more batches waiting: the paced thread is not keeping up.
      const behind = this.queue.length >= 2 * this.settings.batch_size;
      const kept = await this.writeWithRetries(batch, behind);
      if (kept) {
        // The database is away: the batch goes back to the front, and the next flush tries again.
        this.queue.unshift(...kept);
        this.trim();
        return;
      }
    }
  }

  /**
   * The rows to keep when the database could not be reached; null once written or given up. The
   * writing thread commits a batch in chunks: rows of the chunks before a failure are not tried again.
   */
  private async writeWithRetries(batch: RequestLogsTable[], behind: boolean): Promise<RequestLogsTable[] | null> {
    for (let attempt = 0; ; attempt++) {
      try {
        this.written += await this.write(batch, behind);
        this.db.health.ok();
        return null;
      } catch (error) {
        this.failedWrites++;
        const { settled = 0, written = 0 } = error as { settled?: number; written?: number };
        if (settled > 0) {
          this.written += written;
          batch = batch.slice(settled);
        }
        if (isConnectionError(error)) {
          this.db.health.failed(error);
          return batch;
        }
        if (attempt >= this.settings.max_retries) {
          this.drop(batch.length, `writing failed ${attempt + 1} times: ${(error as Error).message}`);
          return null;
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
    if (!this.thread) return writeBatch(this.db.kysely, batch);
    return this.thread.write(batch, behind || this.shuttingDown);
  }

  private drop(count: number, why: string): void {
    this.dropped += count;
    const now = Date.now();
    if (now - this.lastDropLog < LOG_EVERY_MS) return;
    this.lastDropLog = now;
    this.logger.error({ dropped: count, dropped_total: this.dropped, reason: why }, 'ledger rows dropped');
  }
}
