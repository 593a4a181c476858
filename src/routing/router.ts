// Runs one client request across its candidates: attempt, retry retryable failures on the same
// provider with backoff, then fall back to the next candidate (`fallback_provider` first), within the
// overall request budget. Policies (breakers, quotas, health) plug in without the router knowing them.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import { ProviderError, ProxyError } from '../errors.js';
import type { AttemptContext, Operation, ProviderAdapter } from '../providers/types.js';
import { CandidateResolver, orderCandidates, type Candidate, type ProviderHandle } from './candidates.js';
import { AttemptSignal } from './attempt-signal.js';
import { retryDelayMs } from './retry.js';

export interface AttemptEvent {
  /** The client request this attempt serves (tracing links attempts to their request). */
  requestId: string;
  provider: string;
  model: string;
  op: Operation;
  /** 1-based, across the whole request. */
  attempt: number;
  isRetry: boolean;
  isFallback: boolean;
  durationMs: number;
  error: ProviderError | null;
}

/** What a wrapping policy may know about the attempt it wraps. */
export interface WrapContext {
  op: Operation;
  model: string;
  requestId: string;
  /** Aborted when the client goes away or the attempt's time is up (reason: a timeout ProviderError). */
  signal: AbortSignal;
  timeoutMs: number;
  /** True when every candidate was skipped and this one is tried anyway (e.g. despite an open breaker). */
  lastResort: boolean;
}

/** Hooks for breakers, quotas and health; every member is optional. */
export interface RouterPolicy {
  /** Lower is tried first inside a priority tier. */
  rank?(provider: string): number;
  /** A reason to skip the provider without calling it, or null. */
  skip?(provider: string): string | null;
  /** Wraps one attempt, e.g. so a breaker sees its outcome. */
  wrap?<T>(provider: string, attempt: () => Promise<T>, context: WrapContext): Promise<T>;
  /** Whether `wrap` has anything to do for the provider now (default: yes); skipped when not. */
  wraps?(provider: string): boolean;
  /** When every candidate was skipped, the one to try anyway (e.g. the breaker that opened first). */
  lastResort?(skipped: readonly string[]): string | null;
  observe?(event: AttemptEvent): void;
}

/**
 * The client's side of a request: whether it went away, and who to tell when it does. Not an
 * AbortSignal: Node 20 takes some 10 µs to create one, so a real signal is made only on demand.
 */
export interface ClientLink {
  readonly aborted: boolean;
  /** Runs `listener` when the client goes away (at once if it already has). */
  onAbort(listener: () => void): void;
  /** An AbortSignal that fires with the client, created on first use. */
  readonly signal: AbortSignal;
}

export interface DispatchOptions {
  op: Operation;
  model: string;
  client: ClientLink;
  requestId: string;
  /** The client's request bytes; forwarded unchanged to providers that take the model name as sent. */
  rawBody?: Buffer;
  forwardHeaders?: Record<string, string>;
}

export interface AttemptLogEntry {
  provider: string;
  attempt: number | null;
  outcome: string;
}

export interface DispatchResult<T> {
  value: T;
  provider: string;
  providerType: string;
  model: string;
  /** Attempts made across the whole request, this successful one included. */
  attempts: number;
  /** Milliseconds spent waiting on upstreams (attempts and backoff). */
  upstreamMs: number;
  log: AttemptLogEntry[];
}

export type Attempt<T> = (adapter: ProviderAdapter, ctx: AttemptContext) => Promise<T>;

export class Router {
  readonly resolver: CandidateResolver;

  constructor(
    handles: readonly ProviderHandle[],
    private readonly config: Config,
    private readonly policies: readonly RouterPolicy[],
    private readonly logger: Logger,
  ) {
    this.resolver = new CandidateResolver(handles);
  }

  candidates(model: string, op: Operation): Candidate[] {
    const found = this.resolver.resolve(model, op);
    if (!found.ok) {
      if (found.reason === 'no_provider') throw new ProxyError('model_not_found', found.message, 'model');
      if (found.reason === 'unsupported_operation') throw new ProxyError('invalid_request', found.message, 'model');
      throw new ProxyError('provider_unavailable', found.message, 'model');
    }
    return orderCandidates(found.candidates, (name) => this.rank(name));
  }

  async dispatch<T>(options: DispatchOptions, attempt: Attempt<T>): Promise<DispatchResult<T>> {
    const queue = this.candidates(options.model, options.op);
    const deadline = Date.now() + this.config.server.request_timeout * 1000;
    const tried = new Set<string>();
    const skipped: string[] = [];
    const log: AttemptLogEntry[] = [];
    const failures: ProviderError[] = [];
    let attempts = 0;
    let upstreamMs = 0;
    let previous: string | null = null;

    const run = async (candidate: Candidate, forced: boolean): Promise<DispatchResult<T> | null> => {
      const { config } = candidate.handle;
      const name = config.name;
      tried.add(name);
      if (!forced) {
        const reason = this.skipReason(name);
        if (reason) {
          skipped.push(name);
          log.push({ provider: name, attempt: null, outcome: `skipped: ${reason}` });
          return null;
        }
      }
      const isFallback = previous !== null && previous !== name;
      previous = name;
      for (let retry = 0; retry <= config.max_retries; retry++) {
        const remaining = deadline - Date.now();
        if (remaining <= 0) throw this.budgetExhausted(options.model, log);
        if (retry > 0 && !forced) {
          // A breaker may have opened (or a quota run out) while we backed off.
          const reason = this.skipReason(name);
          if (reason) {
            log.push({ provider: name, attempt: null, outcome: `skipped: ${reason}` });
            break;
          }
        }
        attempts++;
        const started = performance.now();
        const timeoutMs = Math.min(config.timeout * 1000, remaining);
        const timer = attemptTimer(name, timeoutMs, timeoutMs < config.timeout * 1000, options.client);
        const ctx: AttemptContext = {
          model: candidate.model,
          signal: timer.signal,
          requestId: options.requestId,
          timeoutMs,
          streamIdleMs: this.config.server.stream_idle_timeout * 1000,
          rawBody: candidate.model === options.model ? options.rawBody : undefined,
          forwardHeaders: options.forwardHeaders,
        };
        const wrapContext: WrapContext = { op: options.op, model: candidate.model, requestId: options.requestId, signal: ctx.signal, timeoutMs, lastResort: forced };
        try {
          const value = await this.wrap(name, () => attempt(candidate.adapter, ctx), wrapContext);
          timer.clear();
          const durationMs = performance.now() - started;
          upstreamMs += durationMs;
          this.observe({ requestId: options.requestId, provider: name, model: candidate.model, op: options.op, attempt: attempts, isRetry: retry > 0, isFallback, durationMs, error: null });
          return { value, provider: name, providerType: config.type, model: candidate.model, attempts, upstreamMs, log };
        } catch (thrown) {
          timer.clear();
          const durationMs = performance.now() - started;
          upstreamMs += durationMs;
          if (options.client.aborted) throw thrown;
          // Whatever shape the abort took inside the adapter, a fired attempt timer means a timeout.
          const error = timer.fired ? timer.error : asProviderError(name, thrown);
          this.observe({ requestId: options.requestId, provider: name, model: candidate.model, op: options.op, attempt: attempts, isRetry: retry > 0, isFallback, durationMs, error });
          log.push({ provider: name, attempt: attempts, outcome: error.message });
          failures.push(error);
          this.logger.warn({ request_id: options.requestId, provider: name, attempt: attempts, status: error.status, kind: error.kind, err_message: error.message }, 'upstream attempt failed');
          if (error.kind === 'circuit_open') break;
          if (!error.retryable) throw error;
          if (retry === config.max_retries) break;
          const wait = retryDelayMs(retry + 1, config.retry_delay, error.retryAfterMs);
          if (wait === null || Date.now() + wait >= deadline) break;
          const slept = performance.now();
          await sleep(wait, undefined, { signal: options.client.signal }).catch(() => undefined);
          upstreamMs += performance.now() - slept;
          if (options.client.aborted) throw abortError();
        }
      }
      return null;
    };

    for (let i = 0; i < queue.length; i++) {
      const candidate = queue[i];
      if (tried.has(candidate.handle.config.name)) continue;
      const result = await run(candidate, false);
      if (result) return result;
      const fallback = this.fallbackOf(candidate.handle, tried, options.model);
      if (fallback) {
        const viaFallback = await run(fallback, false);
        if (viaFallback) return viaFallback;
      }
    }

    if (attempts === 0 && skipped.length > 0) {
      const lastResort = this.lastResort(skipped);
      const candidate = lastResort ? queue.find((c) => c.handle.config.name === lastResort) : undefined;
      if (candidate) {
        log.push({ provider: lastResort!, attempt: null, outcome: 'tried as last resort: every candidate was skipped' });
        const result = await run(candidate, true);
        if (result) return result;
      }
    }
    if (Date.now() >= deadline) throw this.budgetExhausted(options.model, log);
    throw this.allFailed(options.model, log, failures);
  }

  private fallbackOf(handle: ProviderHandle, tried: ReadonlySet<string>, model: string): Candidate | null {
    const name = handle.config.fallback_provider;
    if (!name || tried.has(name)) return null;
    const target = this.resolver.provider(name);
    if (!target?.adapter) return null;
    const slash = model.indexOf('/');
    const plainModel = slash > 0 && this.resolver.provider(model.slice(0, slash)) ? model.slice(slash + 1) : model;
    return { handle: target, adapter: target.adapter, model: plainModel };
  }

  private allFailed(model: string, log: readonly AttemptLogEntry[], failures: readonly ProviderError[]): ProxyError {
    const detail = log.map((entry) => `${entry.provider}${entry.attempt ? ` (attempt ${entry.attempt})` : ''}: ${entry.outcome}`).join('; ');
    const attempts = log.map((entry) => ({ provider: entry.provider, attempt: entry.attempt, error: entry.outcome }));
    if (failures.length > 0 && failures.every((f) => f.kind === 'timeout')) {
      return new ProxyError('upstream_timeout', `All providers timed out for model '${model}': ${detail}`, null, { attempts });
    }
    return new ProxyError('provider_unavailable', `All providers failed for model '${model}': ${detail || 'no provider could be tried'}`, null, { attempts });
  }

  private budgetExhausted(model: string, log: readonly AttemptLogEntry[]): ProxyError {
    const detail = log.map((entry) => `${entry.provider}: ${entry.outcome}`).join('; ');
    return new ProxyError(
      'upstream_timeout',
      `Request timeout of ${this.config.server.request_timeout}s exhausted for model '${model}'${detail ? `: ${detail}` : ''}`,
    );
  }

  private rank(name: string): number {
    let rank = 0;
    for (const policy of this.policies) if (policy.rank) rank += policy.rank(name);
    return rank;
  }

  private skipReason(name: string): string | null {
    for (const policy of this.policies) {
      const reason = policy.skip?.(name);
      if (reason) return reason;
    }
    return null;
  }

  private lastResort(skipped: readonly string[]): string | null {
    for (const policy of this.policies) {
      const name = policy.lastResort?.(skipped);
      if (name) return name;
    }
    return null;
  }

  /** The first policy wraps innermost: chaos sits inside breakers, so breakers see injected faults. */
  private wrap<T>(name: string, fn: () => Promise<T>, context: WrapContext): Promise<T> {
    let call = fn;
    for (const policy of this.policies) {
      if (!policy.wrap || policy.wraps?.(name) === false) continue;
      const inner = call;
      call = () => policy.wrap!(name, inner, context);
    }
    return call();
  }

  private observe(event: AttemptEvent): void {
    for (const policy of this.policies) policy.observe?.(event);
  }
}

function asProviderError(provider: string, thrown: unknown): ProviderError {
  if (thrown instanceof ProviderError) return thrown;
  if (thrown instanceof ProxyError) {
    return new ProviderError({ provider, status: thrown.status, kind: 'http', retryable: false, message: thrown.message, code: thrown.code, param: thrown.param });
  }
  const message = thrown instanceof Error ? thrown.message : String(thrown);
  return new ProviderError({ provider, status: null, kind: 'protocol', retryable: true, message: `${provider}: ${message}` });
}

interface AttemptTimer {
  /** Aborted when the client goes away or the attempt's time is up. */
  signal: AbortSignal;
  readonly fired: boolean;
  readonly error: ProviderError;
  clear(): void;
}

/**
 * Bounds one attempt as a whole (headers, body, a stream's first chunk): undici's timeouts only bound
 * each wait, so a body trickling in could otherwise outlive the provider's `timeout`. Built for the
 * hot path: the timeout error is only made when the timer fires, and the client is linked with one
 * listener rather than AbortSignal.any.
 */
function attemptTimer(provider: string, timeoutMs: number, budgetBound: boolean, client: ClientLink): AttemptTimer {
  const signal = new AttemptSignal();
  let error: ProviderError | null = null;
  const handle = setTimeout(() => {
    const why = budgetBound ? 'the request timeout budget ran out' : `no answer within ${Math.round(timeoutMs) / 1000}s`;
    error = new ProviderError({ provider, status: null, kind: 'timeout', retryable: true, message: `${provider} timed out (${why})` });
    signal.abort(error);
  }, Math.max(1, timeoutMs));
  // Stays linked after the attempt succeeds: a stream still has to stop when the client leaves.
  client.onAbort(() => signal.abort(abortError()));
  return {
    signal: signal.asAbortSignal(),
    get fired() {
      return error !== null;
    },
    get error() {
      return error!;
    },
    clear: () => clearTimeout(handle),
  };
}

function abortError(): Error {
  const error = new Error('The client closed the request');
  error.name = 'AbortError';
  return error;
}
