// The leases behind budget reservations, kept alive and swept. A process renews the leases of its
// requests still running (a stream may outlive request_timeout); every process sweeps for leases whose
// process died, and the store settles each exactly once at its reserved worst case. Their ledger rows
// (`settled_by: "expiry"`) are written by whoever swept them.
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { RequestLogsTable } from '../../db/tables.js';
import type { BudgetStore, LeaseRecord } from './store.js';

/** Seconds a lease outlives request_timeout before another process may settle it. */
export const LEASE_MARGIN_S = 10;
const SWEEP_INTERVAL_MS = 1000;
const SWEEP_BATCH = 200;

export class LeaseKeeper {
  /** Leases of this process's requests in flight. */
  private readonly held = new Set<string>();
  private sweeper: NodeJS.Timeout | null = null;
  private renewer: NodeJS.Timeout | null = null;
  private sweeping = false;

  constructor(
    private readonly store: BudgetStore,
    /** How long a lease lasts without renewal, in ms (request_timeout + margin, read per use). */
    private readonly leaseMs: () => number,
    private readonly onExpired: (row: RequestLogsTable) => void,
    private readonly report: (error: unknown) => void,
    private readonly logger: Logger,
  ) {}

  /** A new lease id and when it expires. */
  open(): { id: string; expiresAt: number } {
    return { id: randomUUID(), expiresAt: Date.now() + this.leaseMs() };
  }

  hold(id: string): void {
    this.held.add(id);
  }

  release(id: string): void {
    this.held.delete(id);
  }

  start(): void {
    this.sweeper = setInterval(() => void this.sweep(), SWEEP_INTERVAL_MS);
    this.sweeper.unref();
    const every = Math.max(1000, Math.min(10_000, this.leaseMs() / 3));
    this.renewer = setInterval(() => void this.renew(), every);
    this.renewer.unref();
  }

  stop(): void {
    if (this.sweeper) clearInterval(this.sweeper);
    if (this.renewer) clearInterval(this.renewer);
  }

  /** Settles expired leases (of any process) and records each in the ledger. */
  async sweep(): Promise<number> {
    if (this.sweeping) return 0;
    this.sweeping = true;
    try {
      const records = await this.store.expire(Date.now(), SWEEP_BATCH);
      for (const record of records) this.onExpired(expiryRow(record));
      if (records.length > 0) {
        this.logger.warn({ leases: records.length, usd: records.reduce((sum, r) => sum + r.amount, 0) }, 'budget reservations of a lost process settled at their worst case');
      }
      return records.length;
    } catch (error) {
      this.report(error);
      return 0;
    } finally {
      this.sweeping = false;
    }
  }

  private async renew(): Promise<void> {
    if (this.held.size === 0) return;
    await this.store.renew([...this.held], Date.now() + this.leaseMs()).catch(this.report);
  }
}

/** The ledger row of a request whose process died: its reserved worst case, flagged as settled by expiry. */
export function expiryRow(record: LeaseRecord): RequestLogsTable {
  return {
    id: randomUUID(),
    request_id: record.request_id,
    created_at: record.created_at,
    key_id: record.key_id,
    key_alias: record.key_alias,
    team_id: record.team_id,
    route: record.route,
    model: record.model,
    provider: null,
    status: 0,
    error_code: 'lease_expired',
    attempts: 0,
    input_tokens: 0,
    output_tokens: 0,
    cached_tokens: 0,
    reasoning_tokens: 0,
    cost_usd: record.amount,
    latency_ms: 0,
    ttft_ms: null,
    cache_hit: 0,
    stream: 0,
    request_body: null,
    response_body: null,
    settled_by: 'expiry',
    guardrails: null,
  };
}
