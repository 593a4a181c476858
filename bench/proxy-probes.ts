// What the bench reads from inside llm-proxy around a run, without changing how it runs: the event
// loop's delay (prom-client's default metrics, perf_hooks.monitorEventLoopDelay, read and reset by
// each scrape of /metrics/prometheus) and the spend ledger's rows in the target's own SQLite file.
import Database from 'better-sqlite3';
import { existsSync } from 'node:fs';

export interface EventLoopDelay {
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

export interface LedgerCount {
  /** Requests the load generator sent in the run. */
  sent: number;
  /** Ledger rows the run added. */
  rows: number;
}

/**
 * prom-client samples the loop every 10 ms (eventLoopMonitoringPrecision) and Node's histogram records
 * the whole interval between two samples: an idle loop reads ~10.1 ms. The delay is what lies beyond it.
 */
const SAMPLING_MS = 10;

/** One scrape: prom-client's event-loop histogram since the previous scrape (each scrape resets it), less the sampling interval. */
export async function eventLoopDelay(url: string, key: string): Promise<EventLoopDelay | null> {
  try {
    const res = await fetch(`${url}/metrics/prometheus`, { headers: { authorization: `Bearer ${key}` } });
    const text = await res.text();
    if (res.status !== 200) return null;
    const read = (name: string) => {
      const m = new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.eE+-]+)$`, 'm').exec(text);
      return m ? Math.max(0, Number(m[1]) * 1000 - SAMPLING_MS) : NaN;
    };
    const out = { p50Ms: read('nodejs_eventloop_lag_p50_seconds'), p99Ms: read('nodejs_eventloop_lag_p99_seconds'), maxMs: read('nodejs_eventloop_lag_max_seconds') };
    return Number.isFinite(out.p99Ms) ? out : null;
  } catch {
    return null;
  }
}

/** Counts rows in a target's ledger (request_logs in its SQLite file), read-only beside the proxy's writer. */
export class LedgerProbe {
  private db: Database.Database | null = null;

  constructor(private readonly file: string) {}

  count(): number | null {
    if (!this.db) {
      if (!existsSync(this.file)) return null;
      this.db = new Database(this.file, { readonly: true, fileMustExist: true });
    }
    try {
      return (this.db.prepare('select count(*) as n from request_logs').get() as { n: number }).n;
    } catch {
      return null;
    }
  }

  /**
   * Waits for the rows of a run to be written (the writer flushes every 500 ms by default): until the
   * count reaches `before + sent`, or stops moving for `quietMs`.
   */
  async settle(before: number, sent: number, quietMs = 2000): Promise<LedgerCount | null> {
    let last = this.count();
    let still = Date.now();
    for (;;) {
      if (last === null) return null;
      if (last - before >= sent || Date.now() - still >= quietMs) return { sent, rows: last - before };
      await new Promise((resolve) => setTimeout(resolve, 100));
      const now = this.count();
      if (now !== last) still = Date.now();
      last = now;
    }
  }

  close(): void {
    this.db?.close();
    this.db = null;
  }
}
