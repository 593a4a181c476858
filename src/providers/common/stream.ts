// Runs a provider's SSE body through its stream transform: parse once, transform events to OpenAI
// chunks, yield them. Network failures and cut streams become ProviderErrors; an early return()
// by the consumer destroys the upstream body so the socket is released at once.
import type { Dispatcher } from 'undici';
import { ProviderError } from '../../errors.js';
import { networkError, type CallTarget } from '../../upstream/call.js';
import { SseDecoder, type SseEvent } from '../../upstream/sse.js';
import type { ChunkStream } from '../types.js';

export interface StreamTransform {
  /** The chunks one upstream event produces (often none). Throws ProviderError for error events. */
  push(event: SseEvent): string[];
  /** The chunks owed once the body ended. Throws ProviderError if the stream had not finished. */
  end(): string[];
}

export async function* transformSse(
  target: Pick<CallTarget, 'provider'>,
  body: Dispatcher.ResponseData['body'],
  transform: StreamTransform,
): ChunkStream {
  const decoder = new SseDecoder();
  let completed = false;
  try {
    for await (const bytes of body) {
      for (const event of decoder.push(bytes as Buffer)) yield* transform.push(event);
    }
    for (const event of decoder.end()) yield* transform.push(event);
    yield* transform.end();
    completed = true;
  } catch (error) {
    if (error instanceof ProviderError || (error as Error).name === 'AbortError') throw error;
    throw networkError(target.provider, error);
  } finally {
    if (!completed && !body.destroyed) body.destroy();
  }
}

/** Parses one event's JSON; a malformed chunk is a ProviderError, never a crash. */
export function parseEventJson(provider: string, event: SseEvent): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(event.data);
    if (value && typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // reported below
  }
  throw new ProviderError({
    provider,
    status: null,
    kind: 'protocol',
    retryable: true,
    message: `${provider} sent a malformed stream event: ${event.data.slice(0, 200)}`,
  });
}

export function streamCut(provider: string): ProviderError {
  return new ProviderError({
    provider,
    status: null,
    kind: 'reset',
    retryable: true,
    message: `${provider} closed the stream before it finished`,
  });
}
