// Open-loop load at a fixed rate with sub-millisecond timing. Requests are issued on schedule whether
// or not earlier ones have answered (t0 + i/rate), each timed with performance.now() from the moment
// it is handed to undici to its first body byte (TTFB) and to its last (total). autocannon cannot do
// this: its overallRate sends each connection's per-second quota in a burst, and its latency histogram
// has 1 ms resolution, too coarse for targets of 0.2 ms.
import { Pool } from 'undici';

export interface RateJob {
  url: string;
  path: string;
  body: string;
  headers: Record<string, string>;
  rate: number;
  durationMs: number;
  connections?: number;
}

export interface Distribution {
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

export interface RateResult {
  rate: number;
  sent: number;
  ok: number;
  non2xx: number;
  errors: number;
  achievedRate: number;
  ttfb: Distribution;
  total: Distribution;
  /** Median of llm-proxy's own x-proxy-overhead-ms header, when present. */
  proxyOverheadMs: number | null;
}

export function distribution(samples: Float64Array | number[]): Distribution {
  const sorted = Float64Array.from(samples).sort();
  const n = sorted.length;
  if (n === 0) return { p50: NaN, p90: NaN, p99: NaN, max: NaN, mean: NaN };
  const at = (q: number) => sorted[Math.min(n - 1, Math.max(0, Math.ceil(q * n) - 1))];
  let sum = 0;
  for (const v of sorted) sum += v;
  return { p50: at(0.5), p90: at(0.9), p99: at(0.99), max: sorted[n - 1], mean: sum / n };
}

export async function runAtRate(job: RateJob): Promise<RateResult> {
  const origin = new URL(job.url).origin;
  const pool = new Pool(origin, { connections: job.connections ?? 256, pipelining: 1, keepAliveTimeout: 60_000 });
  const total = Math.max(1, Math.round((job.rate * job.durationMs) / 1000));
  const ttfb: number[] = [];
  const full: number[] = [];
  const overhead: number[] = [];
  const body = Buffer.from(job.body);
  const headers = { 'content-type': 'application/json', ...job.headers };
  let sent = 0;
  let settled = 0;
  let ok = 0;
  let non2xx = 0;
  let errors = 0;
  let lastSentAt = 0;

  const started = performance.now();
  await new Promise<void>((resolve) => {
    const finishOne = () => {
      settled++;
      if (settled === total) resolve();
    };
    const fire = () => {
      const t0 = performance.now();
      pool
        .request({ method: 'POST', path: job.path, headers, body })
        .then((res) => {
          const good = res.statusCode >= 200 && res.statusCode < 300;
          const header = res.headers['x-proxy-overhead-ms'];
          if (good && typeof header === 'string') overhead.push(Number(header));
          let first = true;
          res.body.on('data', () => {
            if (first) {
              first = false;
              if (good) ttfb.push(performance.now() - t0);
            }
          });
          res.body.on('end', () => {
            if (good) {
              ok++;
              full.push(performance.now() - t0);
            } else non2xx++;
            finishOne();
          });
          res.body.on('error', () => {
            errors++;
            finishOne();
          });
        })
        .catch(() => {
          errors++;
          finishOne();
        });
    };
    const tick = () => {
      const due = Math.min(total, Math.floor(((performance.now() - started) * job.rate) / 1000) + 1);
      while (sent < due) {
        sent++;
        fire();
      }
      lastSentAt = performance.now();
      if (sent < total) setTimeout(tick, Math.max(0, started + (sent * 1000) / job.rate - performance.now()));
    };
    tick();
  });
  const elapsed = Math.max(lastSentAt - started, 1);
  await pool.close();
  return {
    rate: job.rate,
    sent,
    ok,
    non2xx,
    errors,
    achievedRate: total === 1 ? job.rate : ((sent - 1) * 1000) / elapsed,
    ttfb: distribution(ttfb),
    total: distribution(full),
    proxyOverheadMs: overhead.length > 0 ? distribution(overhead).p50 : null,
  };
}
