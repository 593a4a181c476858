// Relays an upstream Responses API event stream unchanged (pass-through of /v1/responses). An `error`
// event becomes a ProviderError (before the first event the router can still fall back; after it the
// route ends the stream with response.failed); a body that ends before the response finished is a cut.
import type { Dispatcher } from 'undici';
import { ProviderError } from '../../errors.js';
import { errorFromBody, networkError, type CallTarget } from '../../upstream/call.js';
import { SseDecoder } from '../../upstream/sse.js';
import { isRecord } from '../common/params.js';
import { parseEventJson, streamCut } from '../common/stream.js';
import type { MessageEventStream } from '../types.js';

const FINAL = new Set(['response.completed', 'response.incomplete', 'response.failed']);

export async function* relayResponsesEvents(target: Pick<CallTarget, 'provider' | 'secrets'>, body: Dispatcher.ResponseData['body']): MessageEventStream {
  const decoder = new SseDecoder();
  let finished = false;
  let completed = false;
  try {
    for await (const bytes of body) {
      for (const event of decoder.push(bytes as Buffer)) {
        if (finished || event.data === '[DONE]') continue;
        const data = parseEventJson(target.provider, event);
        const type = typeof data.type === 'string' ? data.type : (event.event ?? 'message');
        if (type === 'error') throw errorFromBody(target, 502, isRecord(data.error) ? data : { error: data });
        yield { event: event.event ?? type, data: event.data };
        // Read on to the end of the body so the connection can be reused.
        if (FINAL.has(type)) finished = true;
      }
    }
    completed = true;
  } catch (error) {
    if (error instanceof ProviderError || (error as Error).name === 'AbortError') throw error;
    throw networkError(target.provider, error);
  } finally {
    if (!completed && !body.destroyed) body.destroy();
  }
  if (!finished) throw streamCut(target.provider);
}
