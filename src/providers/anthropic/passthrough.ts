// The Anthropic-to-Anthropic path of /v1/messages: the client's request and the upstream's answer
// and events travel unchanged; only a stream error or cut is turned into a ProviderError.
import type { Dispatcher } from 'undici';
import { ProviderError } from '../../errors.js';
import { errorFromBody, networkError, type CallTarget } from '../../upstream/call.js';
import { SseDecoder } from '../../upstream/sse.js';
import { isRecord } from '../common/params.js';
import { parseEventJson, streamCut } from '../common/stream.js';
import type { AttemptContext, MessageEventStream } from '../types.js';
import { anthropicErrorBody, anthropicErrorStatus } from './errors.js';

/** The body to send: the client's bytes when they may go unchanged, else the body with the resolved model. */
export function passThroughBody(body: Record<string, unknown>, ctx: AttemptContext, stream: boolean): Buffer | Record<string, unknown> {
  if (ctx.rawBody) return ctx.rawBody;
  const out: Record<string, unknown> = body.model === ctx.model ? { ...body } : { ...body, model: ctx.model };
  if (stream) out.stream = true;
  else delete out.stream;
  return out;
}

export async function* relayAnthropicEvents(target: Pick<CallTarget, 'provider'>, body: Dispatcher.ResponseData['body']): MessageEventStream {
  const decoder = new SseDecoder();
  let stopped = false;
  let completed = false;
  try {
    for await (const bytes of body) {
      for (const event of decoder.push(bytes as Buffer)) {
        if (stopped) continue;
        const data = parseEventJson(target.provider, event);
        const type = typeof data.type === 'string' ? data.type : (event.event ?? 'message');
        if (type === 'error') {
          const error = isRecord(data.error) ? data.error : {};
          throw errorFromBody({ provider: target.provider, secrets: [] }, anthropicErrorStatus(error.type), anthropicErrorBody(data));
        }
        yield { event: event.event ?? type, data: event.data };
        // Read on to the end of the body after message_stop so the connection can be reused.
        if (type === 'message_stop') stopped = true;
      }
    }
    completed = true;
  } catch (error) {
    if (error instanceof ProviderError || (error as Error).name === 'AbortError') throw error;
    throw networkError(target.provider, error);
  } finally {
    if (!completed && !body.destroyed) body.destroy();
  }
  if (!stopped) throw streamCut(target.provider);
}
