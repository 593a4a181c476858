// One attempt's bounds and failures: the client link that cancels it, the timer that bounds it as a
// whole, and how whatever it threw becomes a ProviderError the router can reason about.
import { ProviderError, ProxyError } from '../errors.js';
import { AttemptSignal } from './attempt-signal.js';

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

export function asProviderError(provider: string, thrown: unknown): ProviderError {
  if (thrown instanceof ProviderError) return thrown;
  if (thrown instanceof ProxyError) {
    return new ProviderError({ provider, status: thrown.status, kind: 'http', retryable: false, message: thrown.message, code: thrown.code, param: thrown.param });
  }
  const message = thrown instanceof Error ? thrown.message : String(thrown);
  return new ProviderError({ provider, status: null, kind: 'protocol', retryable: true, message: `${provider}: ${message}` });
}

export interface AttemptTimer {
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
export function attemptTimer(provider: string, timeoutMs: number, budgetBound: boolean, client: ClientLink): AttemptTimer {
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

export function abortError(): Error {
  const error = new Error('The client closed the request');
  error.name = 'AbortError';
  return error;
}
