// The in-memory traffic rings: percentiles read from the bucket histograms, steps merged, and old
// buckets forgotten when their slot comes round again.
import { describe, expect, it } from 'vitest';
import { TrafficSeries } from '../../src/console/traffic-series.js';

const sample = (latencyMs: number, status = 200) => ({ status, latencyMs, inputTokens: 10, outputTokens: 5, costUsd: 0.001 });
const T0 = Date.UTC(2026, 11, 4, 12, 0, 0);

describe('TrafficSeries', () => {
  it('reads p50 and p95 from the histograms within a bin (25 %)', () => {
    const series = new TrafficSeries(T0 - 3_600_000);
    for (let i = 1; i <= 1000; i++) series.record(sample(i), T0 + 1000);
    const { totals } = series.query(15 * 60_000, 10_000, T0 + 5000);
    expect(totals.requests).toBe(1000);
    expect(totals.p50_ms).toBeGreaterThan(500 / 1.25);
    expect(totals.p50_ms).toBeLessThan(500 * 1.25);
    expect(totals.p95_ms).toBeGreaterThan(950 / 1.25);
    expect(totals.p95_ms).toBeLessThan(950 * 1.25);
  });

  it('divides the step in progress by the time it has run, and merges 10 s buckets into wider steps', () => {
    const series = new TrafficSeries(T0 - 3_600_000);
    for (let i = 0; i < 20; i++) series.record(sample(5), T0 + i * 1000);
    for (let i = 0; i < 4; i++) series.record(sample(5, 502), T0 + i * 1000);
    const fine = series.query(60_000, 10_000, T0 + 25_000);
    expect(fine.columns.requests.slice(-3)).toEqual([14, 10, 0]);
    expect(fine.columns.requests_per_s.at(-3)).toBe(1.4);
    expect(fine.columns.error_pct.at(-3)).toBeCloseTo((100 * 4) / 14, 1);
    expect(fine.columns.error_pct.at(-1)).toBeNull();
    const wide = series.query(60 * 60_000, 30_000, T0 + 25_000);
    expect(wide.columns.requests.at(-1)).toBe(24);
    expect(wide.columns.requests_per_s.at(-1)).toBeCloseTo(24 / 25, 3);
    expect(wide.totals.errors).toBe(4);
    expect(wide.columns.tokens_per_s.at(-1)).toBeCloseTo((24 * 15) / 25, 2);
  });

  it('starts its series when the process started', () => {
    const series = new TrafficSeries(T0 + 25_000);
    series.record(sample(5), T0 + 31_000);
    const { columns } = series.query(15 * 60_000, 10_000, T0 + 45_000);
    expect(columns.t).toEqual([(T0 + 20_000) / 1000, (T0 + 30_000) / 1000, (T0 + 40_000) / 1000]);
    expect(columns.requests).toEqual([0, 1, 0]);
  });

  it('forgets the 10 s buckets after an hour and the minute buckets after a day', () => {
    const series = new TrafficSeries(T0 - 3_600_000);
    series.record(sample(5), T0);
    expect(series.query(60 * 60_000, 10_000, T0 + 59 * 60_000).totals.requests).toBe(1);
    expect(series.query(60 * 60_000, 10_000, T0 + 61 * 60_000).totals.requests).toBe(0);
    expect(series.query(1440 * 60_000, 5 * 60_000, T0 + 23 * 3_600_000).totals.requests).toBe(1);
    series.record(sample(5), T0 + 1440 * 60_000);
    // Same slot a day later: the old minute is replaced, not added to.
    expect(series.query(1440 * 60_000, 5 * 60_000, T0 + 1440 * 60_000 + 1000).totals.requests).toBe(1);
  });
});
