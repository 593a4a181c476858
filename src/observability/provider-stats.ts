// Per-provider counters and recent response times behind JSON /metrics, and the snapshot itself
// (providers, summary, usage, cache, system): the document alert rules are evaluated against.
import { totalmem, loadavg } from 'node:os';
import type { Usage } from '../providers/types.js';
import type { ResponseCache } from '../cache/response-cache.js';
import type { ProviderSource } from '../routing/candidates.js';
import type { Resilience } from '../routing/resilience.js';
import type { UsageLedger } from './usage.js';
import { roundUsd } from './usage.js';

/** Response times kept per provider for the percentiles. */
const WINDOW = 1000;

interface Slot {
  attempts: number;
  successes: number;
  failures: number;
  durations: Float64Array;
  next: number;
  filled: number;
  durationSum: number;
  tokens: number;
  costUsd: number;
}

const newSlot = (): Slot => ({ attempts: 0, successes: 0, failures: 0, durations: new Float64Array(WINDOW), next: 0, filled: 0, durationSum: 0, tokens: 0, costUsd: 0 });

export class ProviderStats {
  private readonly slots = new Map<string, Slot>();
  requests = 0;
  successfulRequests = 0;

  private slot(provider: string): Slot {
    let slot = this.slots.get(provider);
    if (!slot) this.slots.set(provider, (slot = newSlot()));
    return slot;
  }

  attempt(provider: string, durationMs: number, ok: boolean): void {
    const slot = this.slot(provider);
    slot.attempts++;
    if (ok) slot.successes++;
    else slot.failures++;
    slot.durationSum += durationMs;
    slot.durations[slot.next] = durationMs;
    slot.next = (slot.next + 1) % WINDOW;
    slot.filled = Math.min(slot.filled + 1, WINDOW);
  }

  request(provider: string | null, ok: boolean, usage: Usage | null, costUsd: number | null): void {
    this.requests++;
    if (ok) this.successfulRequests++;
    if (!provider) return;
    const slot = this.slot(provider);
    if (usage) slot.tokens += usage.total_tokens ?? (usage.prompt_tokens ?? 0) + (usage.completion_tokens ?? 0);
    if (costUsd) slot.costUsd = roundUsd(slot.costUsd + costUsd);
  }

  provider(name: string): Slot | undefined {
    return this.slots.get(name);
  }

  /** The counters as plain data (a worker's share, for its primary to merge). */
  export(): ExportedStats {
    const slots: ExportedStats['slots'] = {};
    for (const [name, slot] of this.slots) {
      const { attempts, successes, failures, durationSum, tokens, costUsd } = slot;
      slots[name] = { attempts, successes, failures, durationSum, tokens, costUsd, durations: [...slot.durations.subarray(0, slot.filled)] };
    }
    return { requests: this.requests, successfulRequests: this.successfulRequests, slots };
  }

  /** Adds another process's counters (and its recent response times) to these. */
  absorb(other: ExportedStats): void {
    this.requests += other.requests;
    this.successfulRequests += other.successfulRequests;
    for (const [name, from] of Object.entries(other.slots)) {
      const slot = this.slot(name);
      slot.attempts += from.attempts;
      slot.successes += from.successes;
      slot.failures += from.failures;
      slot.durationSum += from.durationSum;
      slot.tokens += from.tokens;
      slot.costUsd = roundUsd(slot.costUsd + from.costUsd);
      for (const ms of from.durations) {
        slot.durations[slot.next] = ms;
        slot.next = (slot.next + 1) % WINDOW;
        slot.filled = Math.min(slot.filled + 1, WINDOW);
      }
    }
  }
}

export interface ExportedStats {
  requests: number;
  successfulRequests: number;
  slots: Record<string, Pick<Slot, 'attempts' | 'successes' | 'failures' | 'durationSum' | 'tokens' | 'costUsd'> & { durations: number[] }>;
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return 0;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index];
}

const round = (value: number, digits = 2) => Math.round(value * 10 ** digits) / 10 ** digits;

export interface ProviderSnapshot {
  status: string;
  total_requests: number;
  successful_requests: number;
  failed_requests: number;
  /** Percent of attempts that succeeded (0–100); 100 before any traffic. */
  success_rate: number;
  error_rate: number;
  avg_response_time_ms: number;
  p50_response_time_ms: number;
  p95_response_time_ms: number;
  total_tokens: number;
  cost_usd: number;
  [extra: string]: unknown;
}

export interface MetricsSnapshot {
  timestamp: string;
  uptime_seconds: number;
  providers: Record<string, ProviderSnapshot>;
  summary: {
    total_providers: number;
    total_requests: number;
    successful_requests: number;
    failed_requests: number;
    average_success_rate: number;
    total_tokens: number;
    total_cost_usd: number;
  };
  usage: ReturnType<UsageLedger['snapshot']>;
  cache: Record<string, unknown> | null;
  system: { memory_percent: number; rss_bytes: number; heap_used_bytes: number; load_average_1m: number; uptime_seconds: number };
}

/** Response cache statistics; a backend that cannot be read (Redis down) never fails the snapshot. */
export async function cacheStats(cache: ResponseCache): Promise<Record<string, unknown> | null> {
  try {
    return { ...(await cache.stats()) };
  } catch {
    return null;
  }
}

/** What the snapshot reads besides the counters: the providers in force, their health, the cache. */
export interface SnapshotSources {
  source: ProviderSource;
  resilience: Resilience;
  cache: ResponseCache;
}

export async function metricsSnapshot(sources: SnapshotSources, stats: ProviderStats, ledger: UsageLedger, startedAt: number): Promise<MetricsSnapshot> {
  const { source: runtime, resilience } = sources;
  const providers: Record<string, ProviderSnapshot> = {};
  let rateSum = 0;
  let withTraffic = 0;
  let tokens = 0;
  let cost = 0;
  for (const handle of runtime.handles) {
    const name = handle.config.name;
    const slot = stats.provider(name);
    const sorted = slot ? slot.durations.slice(0, slot.filled).sort() : new Float64Array(0);
    const attempts = slot?.attempts ?? 0;
    const successRate = attempts ? (100 * (slot?.successes ?? 0)) / attempts : 100;
    if (attempts) {
      rateSum += successRate;
      withTraffic++;
    }
    tokens += slot?.tokens ?? 0;
    cost += slot?.costUsd ?? 0;
    providers[name] = {
      status: handle.adapter ? resilience.status(name) : 'disabled',
      total_requests: attempts,
      successful_requests: slot?.successes ?? 0,
      failed_requests: slot?.failures ?? 0,
      success_rate: round(successRate),
      error_rate: round(100 - successRate),
      avg_response_time_ms: attempts ? round((slot?.durationSum ?? 0) / attempts) : 0,
      p50_response_time_ms: round(percentile(sorted, 50)),
      p95_response_time_ms: round(percentile(sorted, 95)),
      total_tokens: slot?.tokens ?? 0,
      cost_usd: slot?.costUsd ?? 0,
      ...resilience.describe(name),
    };
  }
  const memory = process.memoryUsage();
  return {
    timestamp: new Date().toISOString(),
    uptime_seconds: round((Date.now() - startedAt) / 1000),
    providers,
    summary: {
      total_providers: runtime.handles.length,
      total_requests: stats.requests,
      successful_requests: stats.successfulRequests,
      failed_requests: stats.requests - stats.successfulRequests,
      average_success_rate: withTraffic ? round(rateSum / withTraffic) : 100,
      total_tokens: tokens,
      total_cost_usd: roundUsd(cost),
    },
    usage: ledger.snapshot(),
    cache: await cacheStats(sources.cache),
    system: {
      memory_percent: round((100 * memory.rss) / totalmem()),
      rss_bytes: memory.rss,
      heap_used_bytes: memory.heapUsed,
      load_average_1m: round(loadavg()[0]),
      uptime_seconds: round(process.uptime()),
    },
  };
}
