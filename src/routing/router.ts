// Runs one client request across its candidates: attempt, retry retryable failures on the same
// provider with backoff, then fall back to the next candidate (`fallback_provider` first), within the
// overall request budget. Policies (breakers, quotas, health) plug in without the router knowing them.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import { ProviderError, ProxyError } from '../errors.js';
import type { AttemptContext, Operation, ProviderAdapter } from '../providers/types.js';
import { CandidateResolver, orderCandidates, type Candidate, type ProviderHandle, type ProviderSource } from './candidates.js';
import { abortError, asProviderError, attemptTimer, type ClientLink } from './attempt-timer.js';
import type { AttemptEvent, RouterPolicy, WrapContext } from './policy.js';
import { retryDelayMs } from './retry.js';

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

/**
 * Built once with its policies; reads the providers in force from its source, so a reload or a
 * discovery change is seen by the next request while in-flight ones keep the candidates they hold.
 */
export class Router {
  private resolved: { handles: readonly ProviderHandle[]; resolver: CandidateResolver } | null = null;

  constructor(
    private readonly source: ProviderSource,
    private readonly policies: readonly RouterPolicy[],
    private readonly logger: Logger,
  ) {}

  /** Candidate matching over the providers in force (rebuilt when they are swapped). */
  get resolver(): CandidateResolver {
    const handles = this.source.handles;
    if (this.resolved?.handles !== handles) this.resolved = { handles, resolver: new CandidateResolver(handles) };
    return this.resolved.resolver;
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
    const config = this.source.config;
    const deadline = Date.now() + config.server.request_timeout * 1000;
    const tried = new Set<string>();
    const skipped: string[] = [];
    const log: AttemptLogEntry[] = [];
    const failures: ProviderError[] = [];
    let attempts = 0;
    let upstreamMs = 0;
    let previous: string | null = null;

    const run = async (candidate: Candidate, forced: boolean): Promise<DispatchResult<T> | null> => {
      const provider = candidate.handle.config;
      const name = provider.name;
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
      for (let retry = 0; retry <= provider.max_retries; retry++) {
        const remaining = deadline - Date.now();
        if (remaining <= 0) throw this.budgetExhausted(config, options.model, log);
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
        const timeoutMs = Math.min(provider.timeout * 1000, remaining);
        const timer = attemptTimer(name, timeoutMs, timeoutMs < provider.timeout * 1000, options.client);
        const ctx: AttemptContext = {
          model: candidate.model,
          signal: timer.signal,
          requestId: options.requestId,
          timeoutMs,
          streamIdleMs: config.server.stream_idle_timeout * 1000,
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
          return { value, provider: name, providerType: provider.type, model: candidate.model, attempts, upstreamMs, log };
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
          if (retry === provider.max_retries) break;
          const wait = retryDelayMs(retry + 1, provider.retry_delay, error.retryAfterMs);
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
    if (Date.now() >= deadline) throw this.budgetExhausted(config, options.model, log);
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

  private budgetExhausted(config: Config, model: string, log: readonly AttemptLogEntry[]): ProxyError {
    const detail = log.map((entry) => `${entry.provider}: ${entry.outcome}`).join('; ');
    return new ProxyError(
      'upstream_timeout',
      `Request timeout of ${config.server.request_timeout}s exhausted for model '${model}'${detail ? `: ${detail}` : ''}`,
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

