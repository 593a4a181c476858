// Recent traffic of the model routes as time series, held in memory for the console's live charts:
// 10-second buckets for the last hour and 1-minute buckets for the last day, each with requests,
// errors, tokens, cost and a latency histogram (so p50/p95 can be read for any span of buckets).
// Fixed-size rings: memory does not grow with traffic.

/** Upper bounds of the latency bins in ms: ×1.25 steps from 0.5 ms to ~10 min, then everything above. */
const BOUNDS: number[] = [];
for (let b = 0.5; b < 600_000; b *= 1.25) BOUNDS.push(b);
BOUNDS.push(Infinity);

interface Bucket {
  /** Start of the bucket, ms since the epoch; -1 while unused. */
  start: number;
  requests: number;
  errors: number;
  clientErrors: number;
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
  latencySumMs: number;
  latency: Uint32Array;
}

export interface TrafficSample {
  status: number;
  latencyMs: number;
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
}

/** Columns for a chart: one entry per step; null where nothing was measured. */
export interface SeriesColumns {
  t: number[];
  requests: number[];
  requests_per_s: number[];
  error_pct: Array<number | null>;
  p50_ms: Array<number | null>;
  p95_ms: Array<number | null>;
  avg_ms: Array<number | null>;
  tokens_per_s: number[];
  cost_per_hour: number[];
}

export interface SeriesTotals {
  requests: number;
  errors: number;
  client_errors: number;
  input_tokens: number;
  output_tokens: number;
  cost_usd: number;
  p50_ms: number | null;
  p95_ms: number | null;
  avg_ms: number | null;
}

export function emptyColumns(): SeriesColumns {
  return { t: [], requests: [], requests_per_s: [], error_pct: [], p50_ms: [], p95_ms: [], avg_ms: [], tokens_per_s: [], cost_per_hour: [] };
}

/** What one step's sums give as a point: rates over `elapsedMs` (the step in progress counts only the time it has run). */
export type StepSums = Pick<Bucket, 'requests' | 'errors' | 'inputTokens' | 'outputTokens' | 'costUsd' | 'latencySumMs'>;
export function pushPoint(columns: SeriesColumns, startMs: number, elapsedMs: number, sums: StepSums, p50: number | null, p95: number | null): void {
  const seconds = Math.max(1, elapsedMs / 1000);
  const n = sums.requests;
  columns.t.push(startMs / 1000);
  columns.requests.push(n);
  columns.requests_per_s.push(round(n / seconds, 3));
  columns.error_pct.push(n ? round((100 * sums.errors) / n, 2) : null);
  columns.p50_ms.push(p50);
  columns.p95_ms.push(p95);
  columns.avg_ms.push(n ? round(sums.latencySumMs / n, 2) : null);
  columns.tokens_per_s.push(round((sums.inputTokens + sums.outputTokens) / seconds, 2));
  columns.cost_per_hour.push(round((sums.costUsd * 3600) / seconds, 6));
}

function emptyBucket(): Bucket {
  return { start: -1, requests: 0, errors: 0, clientErrors: 0, inputTokens: 0, outputTokens: 0, costUsd: 0, latencySumMs: 0, latency: new Uint32Array(BOUNDS.length) };
}

function binOf(ms: number): number {
  let lo = 0;
  let hi = BOUNDS.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (ms <= BOUNDS[mid]) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** The q-quantile of a histogram, interpolated inside its bin; null when empty. */
export function quantile(hist: Uint32Array, q: number): number | null {
  let total = 0;
  for (const n of hist) total += n;
  if (total === 0) return null;
  const rank = q * total;
  let seen = 0;
  for (let i = 0; i < hist.length; i++) {
    if (hist[i] === 0) continue;
    if (seen + hist[i] >= rank) {
      const lower = i === 0 ? 0 : BOUNDS[i - 1];
      const upper = Number.isFinite(BOUNDS[i]) ? BOUNDS[i] : lower * 1.25;
      const within = (rank - seen) / hist[i];
      return round(lower + (upper - lower) * within, 2);
    }
    seen += hist[i];
  }
  return BOUNDS[BOUNDS.length - 2];
}

class Ring {
  private readonly buckets: Bucket[];
  constructor(
    readonly stepMs: number,
    readonly size: number,
  ) {
    this.buckets = Array.from({ length: size }, emptyBucket);
  }

  add(now: number, sample: TrafficSample): void {
    const slot = Math.floor(now / this.stepMs);
    const bucket = this.buckets[slot % this.size];
    const start = slot * this.stepMs;
    if (bucket.start !== start) {
      bucket.start = start;
      bucket.requests = bucket.errors = bucket.clientErrors = bucket.inputTokens = bucket.outputTokens = bucket.costUsd = bucket.latencySumMs = 0;
      bucket.latency.fill(0);
    }
    bucket.requests++;
    if (sample.status >= 500) bucket.errors++;
    else if (sample.status >= 400) bucket.clientErrors++;
    bucket.inputTokens += sample.inputTokens;
    bucket.outputTokens += sample.outputTokens;
    bucket.costUsd += sample.costUsd;
    bucket.latencySumMs += sample.latencyMs;
    bucket.latency[binOf(sample.latencyMs)]++;
  }

  /** Adds another worker's bucket to the one covering the same start. */
  absorb(from: Bucket): void {
    const slot = Math.floor(from.start / this.stepMs);
    const bucket = this.buckets[slot % this.size];
    if (bucket.start !== from.start) {
      Object.assign(bucket, emptyBucket());
      bucket.start = from.start;
    }
    merge(bucket, from);
  }

  /** The bucket that covers `start` (a multiple of stepMs), or null when it holds older data or none. */
  at(start: number): Bucket | null {
    const bucket = this.buckets[Math.floor(start / this.stepMs) % this.size];
    return bucket.start === start ? bucket : null;
  }

  get spanMs(): number {
    return this.stepMs * this.size;
  }
}

/** The buckets of one ring that a query reads, as plain data (what a worker sends its primary). */
export interface ExportedBuckets {
  since: number;
  stepMs: number;
  buckets: Array<Omit<Bucket, 'latency'> & { latency: number[] }>;
}

export class TrafficSeries {
  private readonly fine = new Ring(10_000, 360);
  private readonly coarse = new Ring(60_000, 1440);
  /** Series start here: before it there was no process to count anything. */
  constructor(readonly since = Date.now()) {}

  /** The buckets a query over `windowMs` in steps of `stepMs` reads, for merging with other workers'. */
  export(windowMs: number, stepMs: number, now = Date.now()): ExportedBuckets {
    const ring = this.ringFor(windowMs, stepMs);
    const buckets: ExportedBuckets['buckets'] = [];
    for (let start = Math.floor((now - windowMs) / ring.stepMs) * ring.stepMs; start <= now; start += ring.stepMs) {
      const bucket = ring.at(start);
      if (bucket && bucket.requests > 0) buckets.push({ ...bucket, latency: [...bucket.latency] });
    }
    return { since: this.since, stepMs: ring.stepMs, buckets };
  }

  /** One series from several workers' exports: their buckets summed, from the earliest start. */
  static merged(parts: readonly ExportedBuckets[]): TrafficSeries {
    const series = new TrafficSeries(Math.min(...parts.map((p) => p.since)));
    for (const part of parts) {
      const ring = part.stepMs === series.fine.stepMs ? series.fine : series.coarse;
      for (const exported of part.buckets) ring.absorb({ ...exported, latency: Uint32Array.from(exported.latency) });
    }
    return series;
  }

  private ringFor(windowMs: number, stepMs: number): Ring {
    return stepMs >= this.coarse.stepMs && windowMs > this.fine.spanMs ? this.coarse : this.fine;
  }

  record(sample: TrafficSample, now = Date.now()): void {
    this.fine.add(now, sample);
    this.coarse.add(now, sample);
  }

  /**
   * Series over the last `windowMs`, in steps of `stepMs` (a multiple of 10 s; 60 s or more reads the
   * 1-minute ring). The last step is the one in progress.
   */
  query(windowMs: number, stepMs: number, now = Date.now()): { columns: SeriesColumns; totals: SeriesTotals } {
    const ring = this.ringFor(windowMs, stepMs);
    const step = Math.max(ring.stepMs, Math.round(stepMs / ring.stepMs) * ring.stepMs);
    const end = Math.floor(now / step) * step;
    const first = Math.max(end - Math.ceil(windowMs / step - 1) * step, Math.floor(this.since / step) * step);
    const columns = emptyColumns();
    const all = emptyBucket();
    for (let start = first; start <= end; start += step) {
      const merged = emptyBucket();
      for (let t = start; t < start + step; t += ring.stepMs) {
        const bucket = ring.at(t);
        if (bucket) merge(merged, bucket);
      }
      merge(all, merged);
      pushPoint(columns, start, Math.min(step, now - start), merged, quantile(merged.latency, 0.5), quantile(merged.latency, 0.95));
    }
    const totals: SeriesTotals = {
      requests: all.requests,
      errors: all.errors,
      client_errors: all.clientErrors,
      input_tokens: all.inputTokens,
      output_tokens: all.outputTokens,
      cost_usd: round(all.costUsd, 8),
      p50_ms: quantile(all.latency, 0.5),
      p95_ms: quantile(all.latency, 0.95),
      avg_ms: all.requests ? round(all.latencySumMs / all.requests, 2) : null,
    };
    return { columns, totals };
  }
}

function merge(into: Bucket, from: Bucket): void {
  into.requests += from.requests;
  into.errors += from.errors;
  into.clientErrors += from.clientErrors;
  into.inputTokens += from.inputTokens;
  into.outputTokens += from.outputTokens;
  into.costUsd += from.costUsd;
  into.latencySumMs += from.latencySumMs;
  for (let i = 0; i < from.latency.length; i++) into.latency[i] += from.latency[i];
}

export function round(n: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}
