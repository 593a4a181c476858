// The hooks by which breakers, quotas, health, chaos, metrics and tracing plug into the router without
// the router knowing them: rank and skip candidates, wrap an attempt, observe its outcome.
import type { ProviderError } from '../errors.js';
import type { Operation } from '../providers/types.js';

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
