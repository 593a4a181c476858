// Passive health: what live traffic says about a provider, over a sliding window kept as ten
// time buckets (constant memory and O(1) reads, however busy the provider is).

const BUCKETS = 10;

interface Bucket {
  /** Start of the bucket's slot, in ms since the epoch. */
  start: number;
  requests: number;
  failures: number;
  latencySum: number;
  latencyCount: number;
}

export interface PassiveStats {
  requests: number;
  failures: number;
  error_rate: number;
  /** Mean latency of successful attempts in ms, null without any. */
  avg_latency_ms: number | null;
  window_s: number;
}

export class PassiveWindow {
  private buckets: Bucket[] = [];

  constructor(private windowMs: number) {}

  /** Follows a reload that changed `health_check.window`. */
  resize(windowMs: number): void {
    if (windowMs === this.windowMs) return;
    this.windowMs = windowMs;
    this.buckets = [];
  }

  record(ok: boolean, latencyMs: number | null, now = Date.now()): void {
    const bucket = this.current(now);
    bucket.requests++;
    if (!ok) bucket.failures++;
    if (ok && latencyMs !== null) {
      bucket.latencySum += latencyMs;
      bucket.latencyCount++;
    }
  }

  stats(now = Date.now()): PassiveStats {
    let requests = 0;
    let failures = 0;
    let latencySum = 0;
    let latencyCount = 0;
    const oldest = now - this.windowMs;
    for (const b of this.buckets) {
      if (b.start + this.slot() <= oldest) continue;
      requests += b.requests;
      failures += b.failures;
      latencySum += b.latencySum;
      latencyCount += b.latencyCount;
    }
    return {
      requests,
      failures,
      error_rate: requests > 0 ? Math.round((failures / requests) * 10_000) / 10_000 : 0,
      avg_latency_ms: latencyCount > 0 ? Math.round((latencySum / latencyCount) * 100) / 100 : null,
      window_s: this.windowMs / 1000,
    };
  }

  clear(): void {
    this.buckets = [];
  }

  private slot(): number {
    return Math.max(1, Math.floor(this.windowMs / BUCKETS));
  }

  private current(now: number): Bucket {
    const slot = this.slot();
    const start = now - (now % slot);
    const last = this.buckets[this.buckets.length - 1];
    if (last && last.start === start) return last;
    const bucket: Bucket = { start, requests: 0, failures: 0, latencySum: 0, latencyCount: 0 };
    this.buckets.push(bucket);
    // One more than BUCKETS: the oldest slot may still partly overlap the window.
    if (this.buckets.length > BUCKETS + 1) this.buckets.shift();
    return bucket;
  }
}
