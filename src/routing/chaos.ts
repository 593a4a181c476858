// Chaos engineering: when `chaos_engineering.enabled`, injects the configured faults into upstream
// attempts (delay, error, timeout, 429, connection reset) with their probability, as a router policy
// wrapped innermost so breakers, retries and fallback meet the faults as they would real ones.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { ChaosFault, Config } from '../config/schema.js';
import { ProviderError } from '../errors.js';
import type { Operation } from '../providers/types.js';
import { globToRegExp } from './candidates.js';
import type { RouterPolicy, WrapContext } from './policy.js';

/** The client endpoint each operation serves, as `excluded_endpoints` names them. */
export const ENDPOINT_OF: Record<Operation, string> = {
  chat: '/v1/chat/completions',
  completions: '/v1/completions',
  embeddings: '/v1/embeddings',
  images: '/v1/images/generations',
  messages: '/v1/messages',
};

interface CompiledFault {
  fault: ChaosFault;
  target: RegExp;
}

export class ChaosPolicy implements RouterPolicy {
  private compiledFor: Config['chaos_engineering'] | null = null;
  private faults: CompiledFault[] = [];
  private excluded: RegExp[] = [];
  /** Injected faults by type, since start. */
  readonly injected: Record<ChaosFault['type'], number> = { delay: 0, error: 0, timeout: 0, rate_limit: 0, network_failure: 0 };

  constructor(
    private readonly config: () => Config,
    private readonly logger: Logger,
    private readonly random: () => number = Math.random,
  ) {}

  wraps(): boolean {
    return this.config().chaos_engineering.enabled;
  }

  async wrap<T>(provider: string, attempt: () => Promise<T>, context: WrapContext): Promise<T> {
    const settings = this.config().chaos_engineering;
    if (!settings.enabled) return attempt();
    this.compile(settings);
    const endpoint = ENDPOINT_OF[context.op];
    if (this.excluded.some((e) => e.test(endpoint))) return attempt();
    for (const { fault, target } of this.faults) {
      if (!fault.enabled || !target.test(provider)) continue;
      if (this.random() >= fault.probability) continue;
      this.injected[fault.type]++;
      this.logger.warn(
        { chaos_fault: fault.type, provider, endpoint, model: context.model, request_id: context.requestId, probability: fault.probability },
        `chaos: injected ${fault.type} into ${provider}`,
      );
      if (fault.type === 'delay') {
        await this.hold(fault.duration_ms ?? 1000, context);
        continue;
      }
      throw await this.failure(fault, provider, context);
    }
    return attempt();
  }

  private async failure(fault: ChaosFault, provider: string, context: WrapContext): Promise<ProviderError> {
    const message = `${provider}: ${fault.error_message}`;
    switch (fault.type) {
      case 'error':
        return new ProviderError({ provider, status: fault.error_code, kind: 'http', retryable: fault.error_code >= 500 || fault.error_code === 429, message, code: 'chaos_injected' });
      case 'rate_limit':
        return new ProviderError({
          provider,
          status: 429,
          kind: 'http',
          retryable: true,
          retryAfterMs: fault.retry_after !== undefined ? fault.retry_after * 1000 : null,
          message: `${provider}: rate limit exceeded (injected fault)`,
          code: 'rate_limit_exceeded',
        });
      case 'network_failure':
        return new ProviderError({ provider, status: null, kind: 'reset', retryable: true, message: `${provider} connection was reset (injected fault)` });
      default: {
        // timeout: hold until the attempt's own deadline (or duration_ms), then fail as a timeout would.
        await this.hold(fault.duration_ms ?? context.timeoutMs, context);
        const reason: unknown = context.signal.reason;
        if (reason instanceof ProviderError) return reason;
        return new ProviderError({ provider, status: null, kind: 'timeout', retryable: true, message: `${provider} timed out (injected fault)` });
      }
    }
  }

  /** Waits, cut short when the attempt is aborted (client gone or attempt timed out). */
  private async hold(ms: number, context: WrapContext): Promise<void> {
    await sleep(ms, undefined, { signal: context.signal }).catch(() => undefined);
    if (context.signal.aborted) {
      const reason: unknown = context.signal.reason;
      if (reason instanceof ProviderError) throw reason;
      const error = new Error('The client closed the request');
      error.name = 'AbortError';
      throw error;
    }
  }

  private compile(settings: Config['chaos_engineering']): void {
    if (settings === this.compiledFor) return;
    this.compiledFor = settings;
    this.faults = settings.faults.map((fault) => ({ fault, target: globToRegExp(fault.target) }));
    this.excluded = settings.excluded_endpoints.map(globToRegExp);
  }
}
