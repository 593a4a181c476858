// One circuit breaker (opossum) per provider, plugged into the router as a policy: an open provider is
// skipped without being called, only provider-side failures count, and when every candidate is open
// the one that opened first is tried anyway. Breakers are keyed by provider name and survive reloads.
import CircuitBreaker from 'opossum';
import type { Logger } from 'pino';
import type { BreakerSettings, Config } from '../config/schema.js';
import { ProviderError } from '../errors.js';
import type { RouterPolicy, WrapContext } from './policy.js';

export type BreakerState = 'closed' | 'open' | 'half_open' | 'disabled';

type Attempt = () => Promise<unknown>;

interface Entry {
  breaker: CircuitBreaker<[Attempt], unknown>;
  settings: BreakerSettings;
  /** Fingerprint of `settings`; a reload that changes it rebuilds the breaker. */
  key: string;
  openedAt: number | null;
  lastFailureAt: number | null;
  lastFailure: string | null;
  /** Trial requests in flight while half-open. */
  trials: number;
  transitions: number;
}

export interface BreakerView {
  state: BreakerState;
  /** Provider-side failures and successes inside the rolling window. */
  failures: number;
  successes: number;
  rejects: number;
  last_failure_at: string | null;
  last_failure: string | null;
  opened_at: string | null;
  /** When an open breaker lets its first trial request through. */
  half_open_at: string | null;
  /** State changes since the breaker was created. */
  transitions: number;
  settings: BreakerSettings;
}

/** Errors that say nothing about the provider's own health: client 4xx, client aborts, local refusals. */
export function countsAgainstProvider(error: unknown): boolean {
  if (!(error instanceof ProviderError)) return !(error instanceof Error && error.name === 'AbortError');
  if (error.kind === 'circuit_open' || error.kind === 'rate_limited_locally') return false;
  return error.isProviderFault;
}

export class Breakers implements RouterPolicy {
  private readonly entries = new Map<string, Entry>();
  /** Per provider, the breaker (or null: disabled) under the configuration in `configRef`. */
  private readonly resolved = new Map<string, Entry | null>();
  private configRef: Config | null = null;

  constructor(
    private readonly config: () => Config,
    private readonly logger: Logger,
  ) {}

  /** The effective settings for one provider: global section merged with its override. */
  settings(provider: string): BreakerSettings {
    const { providers, ...global } = this.config().circuit_breaker;
    return { ...global, ...providers[provider] };
  }

  skip(provider: string): string | null {
    const entry = this.entry(provider);
    if (!entry) return null;
    const { breaker } = entry;
    if (breaker.opened) return 'circuit breaker open';
    if (breaker.halfOpen && entry.trials >= entry.settings.half_open_max_calls) return 'circuit breaker half-open: trial requests in flight';
    return null;
  }

  lastResort(skipped: readonly string[]): string | null {
    let best: { name: string; at: number } | null = null;
    for (const name of skipped) {
      const entry = this.entries.get(name);
      if (!entry || entry.openedAt === null || entry.breaker.closed) continue;
      if (!best || entry.openedAt < best.at) best = { name, at: entry.openedAt };
    }
    return best?.name ?? null;
  }

  wraps(provider: string): boolean {
    return this.entry(provider) !== null;
  }

  async wrap<T>(provider: string, attempt: () => Promise<T>, context?: WrapContext): Promise<T> {
    const entry = this.entry(provider);
    if (!entry) return attempt();
    const { breaker } = entry;
    if (breaker.closed) return (await breaker.fire(attempt)) as T;
    if (breaker.halfOpen && breaker.pendingClose) return this.trial(entry, () => breaker.fire(attempt) as Promise<T>, false);
    // A retry whose breaker opened meanwhile moves on; a last-resort call goes through as a trial.
    const refused = context?.lastResort ? null : this.skip(provider);
    if (refused) {
      throw new ProviderError({ provider, status: null, kind: 'circuit_open', retryable: false, message: `${provider}: ${refused}` });
    }
    // Further half-open trials (up to half_open_max_calls) and last-resort calls to an open provider
    // bypass opossum's single-trial gate; their outcome decides the state the same way.
    return this.trial(entry, attempt, true);
  }

  describe(provider: string): BreakerView {
    const entry = this.entry(provider);
    const settings = entry?.settings ?? this.settings(provider);
    if (!entry) {
      return { state: 'disabled', failures: 0, successes: 0, rejects: 0, last_failure_at: null, last_failure: null, opened_at: null, half_open_at: null, transitions: 0, settings };
    }
    const stats = entry.breaker.stats;
    const opened = entry.breaker.opened && entry.openedAt !== null;
    return {
      state: stateOf(entry.breaker),
      failures: stats.failures,
      successes: stats.successes,
      rejects: stats.rejects,
      last_failure_at: iso(entry.lastFailureAt),
      last_failure: entry.lastFailure,
      opened_at: entry.breaker.closed ? null : iso(entry.openedAt),
      half_open_at: opened ? iso(entry.openedAt! + settings.recovery_timeout * 1000) : null,
      transitions: entry.transitions,
      settings,
    };
  }

  state(provider: string): BreakerState {
    const entry = this.entry(provider);
    return entry ? stateOf(entry.breaker) : 'disabled';
  }

  shutdown(): void {
    for (const entry of this.entries.values()) entry.breaker.shutdown();
    this.entries.clear();
    this.resolved.clear();
  }

  private async trial<T>(entry: Entry, run: () => Promise<T>, decideHere: boolean): Promise<T> {
    entry.trials++;
    try {
      const value = await run();
      if (decideHere && !entry.breaker.closed) entry.breaker.close();
      return value;
    } catch (error) {
      if (decideHere && countsAgainstProvider(error)) {
        this.noteFailure(entry, error);
        if (entry.breaker.halfOpen) entry.breaker.open();
      }
      throw error;
    } finally {
      entry.trials--;
    }
  }

  private noteFailure(entry: Entry, error: unknown): void {
    entry.lastFailureAt = Date.now();
    entry.lastFailure = error instanceof Error ? error.message : String(error);
  }

  /** The provider's breaker, created on first use and rebuilt when its settings change; null when disabled. */
  private entry(provider: string): Entry | null {
    const config = this.config();
    if (config !== this.configRef) this.sync(config);
    const known = this.resolved.get(provider);
    if (known !== undefined) return known;
    const settings = this.settings(provider);
    let entry: Entry | null = null;
    if (settings.enabled) {
      const key = JSON.stringify(settings);
      const existing = this.entries.get(provider);
      if (existing && existing.key === key) entry = existing;
      else {
        existing?.breaker.shutdown();
        entry = this.create(provider, settings, key);
        this.entries.set(provider, entry);
      }
    }
    this.resolved.set(provider, entry);
    return entry;
  }

  /** After a reload: breakers of providers that are gone are dropped. */
  private sync(config: Config): void {
    this.configRef = config;
    this.resolved.clear();
    const names = new Set(config.providers.map((p) => p.name));
    for (const [name, entry] of this.entries) {
      if (names.has(name)) continue;
      entry.breaker.shutdown();
      this.entries.delete(name);
    }
  }

  private create(provider: string, settings: BreakerSettings, key: string): Entry {
    const breaker = new CircuitBreaker<[Attempt], unknown>((attempt: Attempt) => attempt(), {
      name: provider,
      // The router owns timeouts (per attempt and per request); the breaker only counts outcomes.
      timeout: false,
      resetTimeout: settings.recovery_timeout * 1000,
      rollingCountTimeout: settings.rolling_window * 1000,
      rollingCountBuckets: 10,
      // Opening is decided in onFailure (count and rate rules); opossum itself only re-opens a
      // failed half-open trial.
      errorThresholdPercentage: 100,
      volumeThreshold: Number.MAX_SAFE_INTEGER,
      rollingPercentilesEnabled: false,
      enableSnapshots: false,
      errorFilter: (error: unknown) => !countsAgainstProvider(error),
    });
    const entry: Entry = { breaker, settings, key, openedAt: null, lastFailureAt: null, lastFailure: null, trials: 0, transitions: 0 };
    breaker.on('failure', (error: unknown) => {
      this.noteFailure(entry, error);
      if (!breaker.closed) return;
      const { failures, successes } = breaker.stats;
      const total = failures + successes;
      if (failures >= settings.failure_threshold && total >= settings.volume_threshold && (failures / total) * 100 >= settings.error_threshold_percentage) {
        breaker.open();
      }
    });
    const log = (to: BreakerState, level: 'warn' | 'info') => {
      entry.transitions++;
      const { failures, successes } = breaker.stats;
      this.logger[level](
        { provider, breaker_state: to, failures, successes, last_failure: entry.lastFailure },
        `circuit breaker for ${provider} is now ${to}`,
      );
    };
    breaker.on('open', () => {
      entry.openedAt = Date.now();
      log('open', 'warn');
    });
    breaker.on('halfOpen', () => {
      entry.trials = 0;
      log('half_open', 'info');
    });
    breaker.on('close', () => {
      // Only a way out of open or half-open is a transition worth a line.
      if (entry.openedAt === null) return;
      entry.openedAt = null;
      log('closed', 'info');
    });
    return entry;
  }
}

function stateOf(breaker: CircuitBreaker): BreakerState {
  if (breaker.opened) return 'open';
  if (breaker.halfOpen) return 'half_open';
  return 'closed';
}

function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}
