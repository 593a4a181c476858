// Cheap counting for prom-client: increments summed in plain Maps and handed over at scrape time, and
// the process-wide default metrics (collected once per process, whatever the number of proxies).
import { Counter, Registry, collectDefaultMetrics, type CounterConfiguration } from 'prom-client';

/**
 * Default process metrics (CPU, memory, event loop, GC) are collected once per process: their
 * collectors install observers that live as long as the process, so every proxy instance shares them.
 */
let processRegistry: Registry | null = null;
export function processMetrics(): Registry {
  if (!processRegistry) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry });
  }
  return processRegistry;
}

/**
 * Increments of one prom-client Counter, summed per label set in a plain Map and handed over when the
 * registry is read. prom-client hashes and validates the labels on every inc (a few µs per request
 * across the per-request counters); here a request costs one string join and an addition.
 */
export class Tally<L extends string> {
  readonly counter: Counter<L>;
  private readonly pending = new Map<string, { labels: Record<L, string>; value: number; shown: boolean }>();

  constructor(
    config: CounterConfiguration<L>,
    private readonly labelNames: readonly L[],
  ) {
    const flush = () => this.flush();
    this.counter = new Counter<L>({ ...config, labelNames, collect: flush });
  }

  /** `values` in the order of the label names. */
  add(values: readonly string[], amount = 1): void {
    const key = values.join('\u0001');
    const entry = this.pending.get(key);
    if (entry) entry.value += amount;
    else {
      const labels = {} as Record<L, string>;
      this.labelNames.forEach((name, i) => (labels[name] = values[i]));
      this.pending.set(key, { labels, value: amount, shown: false });
    }
  }

  private flush(): void {
    for (const entry of this.pending.values()) {
      if (entry.value === 0 && entry.shown) continue;
      this.counter.inc(entry.labels, entry.value);
      entry.value = 0;
      entry.shown = true;
    }
  }
}
