// Relays an OpenAI-format SSE body chunk by chunk. Each event's data is forwarded as received; only
// error events and a stream cut before its end are turned into ProviderErrors.
import type { Dispatcher } from 'undici';
import { ProviderError } from '../../errors.js';
import { errorFromBody, networkError, type CallTarget } from '../../upstream/call.js';
import { SseDecoder } from '../../upstream/sse.js';
import type { ChunkStream } from '../types.js';

const FINISHED = /"finish_reason"\s*:\s*"/;

export async function* relayOpenAiStream(
  target: Pick<CallTarget, 'provider' | 'secrets'>,
  response: Dispatcher.ResponseData,
): ChunkStream {
  const decoder = new SseDecoder();
  let finished = false;
  let done = false;
  try {
    // Returning at [DONE] must not destroy the body: its end may still be on the way, and a body
    // destroyed before its end closes the upstream keep-alive socket (see `finally`).
    for await (const chunk of response.body.iterator({ destroyOnReturn: false })) {
      for (const event of decoder.push(chunk as Buffer)) {
        const { data } = event;
        if (data === '[DONE]') {
          done = true;
          return;
        }
        if (event.event === 'error' || (data.includes('"error"') && isErrorEvent(data))) {
          throw errorFromBody(target, 502, parseOrText(data));
        }
        if (!finished && FINISHED.test(data)) finished = true;
        yield data;
      }
    }
  } catch (error) {
    if (error instanceof ProviderError || (error as Error).name === 'AbortError') throw error;
    throw networkError(target.provider, error);
  } finally {
    // Finished: read what is left of the body (its end) so the socket goes back to the pool.
    // Early return by the consumer (client gone) or an error: release the upstream socket now.
    if (done) response.body.dump().catch(() => undefined);
    else if (!response.body.destroyed) {
      // The loop's iterator has let go of the body, so its abort error would have no listener.
      response.body.on('error', () => undefined);
      response.body.destroy();
    }
  }
  if (!finished) {
    throw new ProviderError({
      provider: target.provider,
      status: null,
      kind: 'reset',
      retryable: true,
      message: `${target.provider} closed the stream before it finished`,
    });
  }
}

function parseOrText(data: string): unknown {
  try {
    return JSON.parse(data);
  } catch {
    return data;
  }
}

function isErrorEvent(data: string): boolean {
  try {
    const parsed: unknown = JSON.parse(data);
    return typeof parsed === 'object' && parsed !== null && 'error' in parsed && !('choices' in parsed);
  } catch {
    return false;
  }
}
