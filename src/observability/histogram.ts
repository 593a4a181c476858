// A Prometheus histogram for the per-request path. prom-client's Histogram hashes and validates the
// labels object, builds a closure and converts the bucket bound to a string key on every observe
// (about 3 µs each, four per request); here an observation is a Map lookup, a bucket search and
// three additions. It registers with prom-client registries and renders exactly as prom-client's
// own Histogram does (test/observability/histogram.test.ts compares the two).
import type { Registry } from 'prom-client';

interface Series {
  labels: Record<string, string>;
  /** Observations per bucket, not cumulative; the last slot is +Inf. */
  counts: Float64Array;
  sum: number;
  count: number;
}

interface ExportedValue {
  value: number;
  metricName: string;
  labels: Record<string, string | number>;
}

export class FastHistogram<L extends string = never> {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  private readonly series = new Map<string, Series>();

  constructor(
    readonly name: string,
    readonly help: string,
    private readonly labelNames: readonly L[],
    private readonly buckets: readonly number[],
    registers: readonly Registry[],
  ) {
    for (const registry of registers) registry.registerMetric(this as unknown as Parameters<Registry['registerMetric']>[0]);
  }

  /** `values` are the label values in the order of the label names. */
  observe(values: readonly string[], value: number): void {
    if (!Number.isFinite(value)) return;
    const key = values.length === 1 ? values[0] : values.join('\u0001');
    let series = this.series.get(key);
    if (!series) {
      const labels: Record<string, string> = {};
      this.labelNames.forEach((name, i) => (labels[name] = values[i]));
      series = { labels, counts: new Float64Array(this.buckets.length + 1), sum: 0, count: 0 };
      this.series.set(key, series);
    }
    let bucket = 0;
    while (bucket < this.buckets.length && value > this.buckets[bucket]) bucket++;
    series.counts[bucket]++;
    series.sum += value;
    series.count++;
  }

  /** What a prom-client registry reads: cumulative buckets, then sum and count, per label set. */
  get(): Promise<{ name: string; help: string; type: 'histogram'; values: ExportedValue[]; aggregator: 'sum' }> {
    const values: ExportedValue[] = [];
    for (const { labels, counts, sum, count } of this.series.values()) {
      let cumulative = 0;
      for (let i = 0; i <= this.buckets.length; i++) {
        cumulative += counts[i];
        values.push({ value: cumulative, metricName: `${this.name}_bucket`, labels: { le: i < this.buckets.length ? this.buckets[i] : '+Inf', ...labels } });
      }
      values.push({ value: sum, metricName: `${this.name}_sum`, labels: { ...labels } });
      values.push({ value: count, metricName: `${this.name}_count`, labels: { ...labels } });
    }
    return Promise.resolve({ name: this.name, help: this.help, type: 'histogram', values, aggregator: 'sum' });
  }

  reset(): void {
    this.series.clear();
  }
}
