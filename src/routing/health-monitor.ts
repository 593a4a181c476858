// Provider health: background checks (the adapter's cheap healthCheck, every `health_check.interval`,
// bounded by `health_check.timeout`, never overlapping per provider) plus passive health from live
// attempts. Statuses, in order of precedence:
//   disabled   the provider has no adapter (enabled: false, key unset, ...)
//   unhealthy  `unhealthy_threshold` consecutive failed checks, or its circuit breaker is open
//   degraded   its last check failed, its breaker is half-open, or over the passive window (at least
//              `min_samples` attempts) provider-side failures ≥ `degraded_error_rate` or the mean
//              latency of successful attempts ≥ `degraded_latency` seconds
//   healthy    otherwise (also before the first check)
// As a router policy it ranks healthy before degraded before unhealthy inside a priority tier.
import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import { ProviderError } from '../errors.js';
import type { ProviderHandle } from './candidates.js';
import { countsAgainstProvider, type BreakerState } from './breaker.js';
import { PassiveWindow, type PassiveStats } from './passive-health.js';
import type { AttemptEvent, RouterPolicy } from './policy.js';

export type HealthStatus = 'healthy' | 'degraded' | 'unhealthy' | 'disabled';

const RANK: Record<HealthStatus, number> = { healthy: 0, degraded: 1, unhealthy: 2, disabled: 3 };
const RECENT_ERRORS = 10;

export interface CheckResult {
  provider: string;
  ok: boolean;
  latency_ms: number;
  error: string | null;
  checked_at: string;
  status: HealthStatus;
}

export interface RecentError {
  at: string;
  source: 'check' | 'request';
  message: string;
  status: number | null;
  kind: string | null;
}

interface ProviderState {
  lastCheck: CheckResult | null;
  consecutiveFailures: number;
  /** The check in flight (what /check awaits), cleared when the adapter's call itself settles. */
  inflight: Promise<CheckResult> | null;
  passive: PassiveWindow;
  recentErrors: RecentError[];
  status: HealthStatus;
  reason: string | null;
}

export interface HealthMonitorDeps {
  config: () => Config;
  handles: () => readonly ProviderHandle[];
  breakerState: (provider: string) => BreakerState;
  logger: Logger;
}

export class HealthMonitor implements RouterPolicy {
  private readonly states = new Map<string, ProviderState>();
  private timer: NodeJS.Timeout | null = null;
  private readonly stopping = new AbortController();
  private readonly checkListeners: Array<(result: CheckResult) => void> = [];

  constructor(private readonly deps: HealthMonitorDeps) {}

  /** Starts background checks; the first runs one interval after start. Idempotent. */
  start(): void {
    if (this.timer || this.stopping.signal.aborted) return;
    this.schedule();
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.stopping.abort();
  }

  get running(): boolean {
    return this.timer !== null;
  }

  /**
   * A check another worker of this host ran: under `server.workers > 1` one worker checks and the
   * others take its results, so the host checks each provider once and every worker agrees.
   */
  applyRemote(result: CheckResult): void {
    const state = this.state(result.provider);
    if (result.ok) state.consecutiveFailures = 0;
    else {
      state.consecutiveFailures++;
      this.noteError(state, 'check', new Error(result.error ?? 'check failed'));
    }
    state.lastCheck = result;
    this.refresh(result.provider);
  }

  /** Called with every finished check (metrics count them). */
  onCheck(listener: (result: CheckResult) => void): void {
    this.checkListeners.push(listener);
  }

  rank(provider: string): number {
    return RANK[this.status(provider)];
  }

  observe(event: AttemptEvent): void {
    const { error } = event;
    if (error && (error.kind === 'circuit_open' || error.kind === 'rate_limited_locally')) return;
    const state = this.state(event.provider);
    const fault = error !== null && countsAgainstProvider(error);
    state.passive.record(!fault, error ? null : event.durationMs);
    if (fault) this.noteError(state, 'request', error);
    this.refresh(event.provider);
  }

  status(provider: string): HealthStatus {
    return this.refresh(provider).status;
  }

  describe(provider: string): {
    status: HealthStatus;
    reason: string | null;
    last_check: CheckResult | null;
    consecutive_failures: number;
    passive: PassiveStats;
    recent_errors: RecentError[];
  } {
    const state = this.refresh(provider);
    return {
      status: state.status,
      reason: state.reason,
      last_check: state.lastCheck,
      consecutive_failures: state.consecutiveFailures,
      passive: state.passive.stats(),
      recent_errors: [...state.recentErrors],
    };
  }

  /** Checks every enabled provider now (joining checks already in flight). */
  checkAll(): Promise<CheckResult[]> {
    return Promise.all(this.deps.handles().filter((h) => h.adapter).map((h) => this.check(h)));
  }

  /** One provider's check; never two at once for the same provider. */
  check(handle: ProviderHandle): Promise<CheckResult> {
    const name = handle.config.name;
    const state = this.state(name);
    if (state.inflight) return state.inflight;
    const adapter = handle.adapter;
    if (!adapter) return Promise.resolve(this.finish(name, null, 0));
    const timeoutMs = this.deps.config().health_check.timeout * 1000;
    const deadline = AbortSignal.timeout(timeoutMs);
    const signal = AbortSignal.any([deadline, this.stopping.signal]);
    const started = performance.now();
    const call = adapter.healthCheck(signal);
    // The result is reported at the deadline even if an adapter ignores its signal, but the next
    // check waits until the call itself settles, so a hanging provider never piles checks up.
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`health check timed out after ${timeoutMs / 1000}s`)), timeoutMs);
    });
    const result = Promise.race([call, timedOut])
      .then(
        () => this.finish(name, null, performance.now() - started),
        (error: unknown) => this.finish(name, deadline.aborted ? new Error(`health check timed out after ${timeoutMs / 1000}s`) : error, performance.now() - started),
      )
      .finally(() => clearTimeout(timer));
    state.inflight = result;
    const settled = call.then(
      () => undefined,
      () => undefined,
    );
    void Promise.all([settled, result]).then(() => {
      if (state.inflight === result) state.inflight = null;
    });
    return result;
  }

  /** Forgets check results and passive samples (POST /cache/clear); statuses start afresh. */
  clear(): void {
    for (const state of this.states.values()) {
      state.lastCheck = null;
      state.consecutiveFailures = 0;
      state.passive.clear();
      state.recentErrors = [];
    }
  }

  private schedule(): void {
    const interval = this.deps.config().health_check.interval * 1000;
    this.timer = setTimeout(() => {
      if (this.deps.config().health_check.enabled) void this.checkAll();
      this.schedule();
    }, interval);
    this.timer.unref();
  }

  private finish(name: string, error: unknown, latencyMs: number): CheckResult {
    const state = this.state(name);
    if (error) {
      state.consecutiveFailures++;
      this.noteError(state, 'check', error);
    } else {
      state.consecutiveFailures = 0;
    }
    const now = new Date().toISOString();
    const result: CheckResult = {
      provider: name,
      ok: !error,
      latency_ms: Math.round(latencyMs * 100) / 100,
      error: error ? errorMessage(error) : null,
      checked_at: now,
      status: 'healthy',
    };
    state.lastCheck = result;
    result.status = this.refresh(name).status;
    for (const listener of this.checkListeners) listener(result);
    return result;
  }

  private noteError(state: ProviderState, source: RecentError['source'], error: unknown): void {
    const provider = error instanceof ProviderError ? error : null;
    state.recentErrors.push({ at: new Date().toISOString(), source, message: errorMessage(error), status: provider?.status ?? null, kind: provider?.kind ?? null });
    if (state.recentErrors.length > RECENT_ERRORS) state.recentErrors.shift();
  }

  private state(name: string): ProviderState {
    const windowMs = this.deps.config().health_check.window * 1000;
    let state = this.states.get(name);
    if (!state) {
      state = { lastCheck: null, consecutiveFailures: 0, inflight: null, passive: new PassiveWindow(windowMs), recentErrors: [], status: 'healthy', reason: null };
      this.states.set(name, state);
    } else {
      state.passive.resize(windowMs);
    }
    return state;
  }

  /** Recomputes a provider's status and logs a change. */
  private refresh(name: string): ProviderState {
    const state = this.state(name);
    const [status, reason] = this.evaluate(name, state);
    if (status !== state.status) {
      const level = RANK[status] > RANK[state.status] ? 'warn' : 'info';
      this.deps.logger[level]({ provider: name, health_status: status, previous: state.status, reason }, `provider ${name} is now ${status}${reason ? `: ${reason}` : ''}`);
    }
    state.status = status;
    state.reason = reason;
    return state;
  }

  private evaluate(name: string, state: ProviderState): [HealthStatus, string | null] {
    const handle = this.deps.handles().find((h) => h.config.name === name);
    if (!handle?.adapter) return ['disabled', handle?.disabledReason ?? 'not configured'];
    const settings = this.deps.config().health_check;
    const breaker = this.deps.breakerState(name);
    if (breaker === 'open') return ['unhealthy', 'circuit breaker open'];
    if (state.consecutiveFailures >= settings.unhealthy_threshold) return ['unhealthy', `${state.consecutiveFailures} consecutive failed health checks`];
    if (breaker === 'half_open') return ['degraded', 'circuit breaker half-open'];
    if (state.consecutiveFailures > 0) return ['degraded', 'last health check failed'];
    const passive = state.passive.stats();
    if (passive.requests >= settings.min_samples) {
      if (passive.error_rate >= settings.degraded_error_rate) return ['degraded', `error rate ${Math.round(passive.error_rate * 100)}% over the last ${passive.window_s}s`];
      if (passive.avg_latency_ms !== null && passive.avg_latency_ms >= settings.degraded_latency * 1000) {
        return ['degraded', `mean latency ${Math.round(passive.avg_latency_ms)}ms over the last ${passive.window_s}s`];
      }
    }
    return ['healthy', null];
  }
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
