// What a load test measured: every request's outcome, summed per second and per scenario, with
// latency percentiles, and the verdict against the tier's expected rate and the error budget.
export interface Sample {
  /** Milliseconds since the run started, when the request was sent. */
  at: number;
  scenario: string;
  status: number;
  ok: boolean;
  latencyMs: number;
  ttftMs: number | null;
  /** Why it failed: `http_<status>`, `timeout` or a network error code. */
  error: string | null;
}

export interface Percentiles {
  p50: number;
  p90: number;
  p95: number;
  p99: number;
  max: number;
  mean: number;
}

export function percentiles(values: readonly number[]): Percentiles {
  if (values.length === 0) return { p50: 0, p90: 0, p95: 0, p99: 0, max: 0, mean: 0 };
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
  const round = (n: number) => Math.round(n * 100) / 100;
  return { p50: round(at(0.5)), p90: round(at(0.9)), p95: round(at(0.95)), p99: round(at(0.99)), max: round(sorted.at(-1)!), mean: round(sorted.reduce((a, b) => a + b, 0) / sorted.length) };
}

export interface SecondRow {
  second: number;
  users: number;
  requests: number;
  errors: number;
  p50_ms: number;
  p95_ms: number;
}

export interface Summary {
  requests: number;
  errors: number;
  error_rate: number;
  duration_s: number;
  rps: number;
  /** Requests per second after the ramp-up, what the expected rate is held against. */
  steady_rps: number;
  latency_ms: Percentiles;
  ttft_ms: Percentiles | null;
  scenarios: Record<string, { requests: number; errors: number; rps: number; latency_ms: Percentiles }>;
  errors_by_kind: Record<string, number>;
}

export function summarise(samples: readonly Sample[], durationMs: number, rampUpMs: number): Summary {
  const errors = samples.filter((s) => !s.ok);
  const scenarios: Summary['scenarios'] = {};
  for (const name of new Set(samples.map((s) => s.scenario))) {
    const mine = samples.filter((s) => s.scenario === name);
    scenarios[name] = { requests: mine.length, errors: mine.filter((s) => !s.ok).length, rps: rate(mine.length, durationMs), latency_ms: percentiles(mine.map((s) => s.latencyMs)) };
  }
  const errorsByKind: Record<string, number> = {};
  for (const e of errors) errorsByKind[e.error ?? 'unknown'] = (errorsByKind[e.error ?? 'unknown'] ?? 0) + 1;
  const ttft = samples.filter((s) => s.ttftMs !== null).map((s) => s.ttftMs!);
  const steady = samples.filter((s) => s.at >= rampUpMs);
  return {
    requests: samples.length,
    errors: errors.length,
    error_rate: samples.length ? Math.round((errors.length / samples.length) * 10_000) / 10_000 : 0,
    duration_s: durationMs / 1000,
    rps: rate(samples.length, durationMs),
    steady_rps: rate(steady.length, durationMs - rampUpMs),
    latency_ms: percentiles(samples.map((s) => s.latencyMs)),
    ttft_ms: ttft.length ? percentiles(ttft) : null,
    scenarios,
    errors_by_kind: errorsByKind,
  };
}

const rate = (count: number, ms: number) => (ms > 0 ? Math.round((count / (ms / 1000)) * 100) / 100 : 0);

/** Per-second rows (by when each request was sent), with the users active in that second. */
export function perSecond(samples: readonly Sample[], durationMs: number, usersAt: (ms: number) => number): SecondRow[] {
  const seconds = Math.max(1, Math.ceil(durationMs / 1000));
  const buckets: Sample[][] = Array.from({ length: seconds }, () => []);
  for (const s of samples) buckets[Math.min(seconds - 1, Math.floor(s.at / 1000))].push(s);
  return buckets.map((bucket, second) => {
    const latency = percentiles(bucket.map((s) => s.latencyMs));
    return { second, users: usersAt(second * 1000 + 999), requests: bucket.length, errors: bucket.filter((s) => !s.ok).length, p50_ms: latency.p50, p95_ms: latency.p95 };
  });
}

export interface Verdict {
  passed: boolean;
  reasons: string[];
}

export function verdict(summary: Summary, expectedRps: number, maxErrorRate: number): Verdict {
  const reasons: string[] = [];
  if (summary.requests === 0) reasons.push('no request completed');
  if (summary.steady_rps < expectedRps) reasons.push(`sustained ${summary.steady_rps} req/s after ramp-up, below the expected ${expectedRps} req/s`);
  if (summary.error_rate > maxErrorRate) reasons.push(`error rate ${(summary.error_rate * 100).toFixed(2)} % is above the allowed ${(maxErrorRate * 100).toFixed(2)} %`);
  return { passed: reasons.length === 0, reasons };
}
