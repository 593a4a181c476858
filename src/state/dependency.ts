// The state of one dependency (the database, Redis) as /health shows it: up or down, since when, and
// the last error. Marked by whoever talks to it; a change is logged once, not per failure.
import type { Logger } from 'pino';

export interface DependencyView {
  status: 'ok' | 'down';
  /** When it entered this status (ISO 8601). */
  since: string;
  errors: number;
  last_error: string | null;
  last_error_at: string | null;
}

export class DependencyState {
  private status: 'ok' | 'down' = 'ok';
  private since = Date.now();
  private errors = 0;
  private lastError: string | null = null;
  private lastErrorAt: number | null = null;

  constructor(
    private readonly name: string,
    private readonly logger: Logger,
  ) {}

  get up(): boolean {
    return this.status === 'ok';
  }

  ok(): void {
    if (this.status === 'ok') return;
    this.logger.info({ dependency: this.name, down_for_ms: Date.now() - this.since }, `${this.name} is reachable again`);
    this.status = 'ok';
    this.since = Date.now();
  }

  failed(error: unknown): void {
    this.errors++;
    this.lastError = error instanceof Error ? error.message : String(error);
    this.lastErrorAt = Date.now();
    if (this.status === 'down') return;
    this.logger.warn({ dependency: this.name, err_message: this.lastError }, `${this.name} is unreachable; carrying on without it where possible`);
    this.status = 'down';
    this.since = Date.now();
  }

  view(): DependencyView {
    return {
      status: this.status,
      since: new Date(this.since).toISOString(),
      errors: this.errors,
      last_error: this.lastError,
      last_error_at: this.lastErrorAt === null ? null : new Date(this.lastErrorAt).toISOString(),
    };
  }
}

/** Errors that say the database (or the way to it) is away, rather than that a statement was wrong. */
export function isConnectionError(error: unknown): boolean {
  const e = error as { code?: unknown; message?: unknown } | null;
  const code = typeof e?.code === 'string' ? e.code : '';
  // PostgreSQL: class 08 (connection exception), 57P01-57P03 (admin shutdown, crash shutdown, cannot connect now), 53300 (too many connections).
  if (/^08/.test(code) || /^57P0[123]$/.test(code) || code === '53300') return true;
  // ELEDGERTHREAD: the ledger's SQLite writing thread died with the batch (the next batch starts a new one).
  if (['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'SQLITE_BUSY', 'SQLITE_LOCKED', 'ELEDGERTHREAD'].includes(code)) return true;
  const message = typeof e?.message === 'string' ? e.message : '';
  return /Connection terminated|connection (?:is )?closed|timeout exceeded when trying to connect|Client has encountered a connection error|server closed the connection/i.test(message);
}
