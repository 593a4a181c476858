// Output guardrails on Anthropic Messages events relayed from an Anthropic upstream: each text
// block's deltas go through a window; what is held is sent before the block's content_block_stop.
// A block ends the answer as Anthropic ends a refused one: the open block stopped, message_delta with
// stop_reason "refusal", message_stop; the upstream is stopped. A tool_use block's input JSON is held
// whole, checked value by value, and sent as one input_json_delta before its content_block_stop.
import type { MessageEvent, MessageEventStream } from '../providers/types.js';
import { GuardrailBlocked, type GuardSession } from './session.js';
import { checkedArguments } from './slots.js';
import { StreamWindow, type WindowSettings } from './stream-window.js';

type Json = Record<string, unknown>;
const isRecord = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const event = (type: string, data: Json): MessageEvent => ({ event: type, data: JSON.stringify({ type, ...data }) });

export async function* guardMessageEvents(events: MessageEventStream, session: GuardSession, settings: WindowSettings, onBlock: (error: GuardrailBlocked) => void): MessageEventStream {
  const windows = new Map<number, StreamWindow>();
  const open = new Set<number>();
  /** Block index → its input JSON so far. */
  const inputs = new Map<number, string>();
  let outputTokens = 0;
  const windowOf = (index: number) => {
    let w = windows.get(index);
    if (!w) windows.set(index, (w = new StreamWindow(session, settings)));
    return w;
  };
  const textDelta = (index: number, text: string) => event('content_block_delta', { index, delta: { type: 'text_delta', text } });
  try {
    for await (const e of events) {
      if (e.event !== 'content_block_start' && e.event !== 'content_block_delta' && e.event !== 'content_block_stop' && e.event !== 'message_delta') {
        yield e;
        continue;
      }
      const data: unknown = JSON.parse(e.data);
      if (!isRecord(data)) {
        yield e;
        continue;
      }
      const index = typeof data.index === 'number' ? data.index : 0;
      if (e.event === 'message_delta') {
        if (isRecord(data.usage) && typeof data.usage.output_tokens === 'number') outputTokens = data.usage.output_tokens;
        yield e;
      } else if (e.event === 'content_block_start') {
        open.add(index);
        const block = isRecord(data.content_block) ? data.content_block : {};
        if (block.type === 'text' && typeof block.text === 'string' && block.text !== '') {
          // Text in the start event itself (rare): sent once checked, as a delta.
          const text = block.text;
          yield event('content_block_start', { index, content_block: { ...block, text: '' } });
          const out = await windowOf(index).push(text);
          if (out) yield textDelta(index, out);
        } else yield e;
      } else if (e.event === 'content_block_delta') {
        const delta = isRecord(data.delta) ? data.delta : {};
        if (delta.type === 'input_json_delta' && typeof delta.partial_json === 'string') {
          inputs.set(index, (inputs.get(index) ?? '') + delta.partial_json);
          continue;
        }
        if (delta.type !== 'text_delta' || typeof delta.text !== 'string') {
          yield e;
          continue;
        }
        const out = await windowOf(index).push(delta.text);
        if (out) yield textDelta(index, out);
      } else {
        const rest = windows.has(index) ? await windowOf(index).flush() : '';
        if (rest) yield textDelta(index, rest);
        const input = inputs.get(index);
        if (input !== undefined) {
          inputs.delete(index);
          yield event('content_block_delta', { index, delta: { type: 'input_json_delta', partial_json: await checkedArguments(session, input) } });
        }
        open.delete(index);
        yield e;
      }
    }
  } catch (error) {
    if (!(error instanceof GuardrailBlocked)) throw error;
    onBlock(error);
    for (const index of open) yield event('content_block_stop', { index });
    yield event('message_delta', { delta: { stop_reason: 'refusal', stop_sequence: null }, usage: { output_tokens: outputTokens } });
    yield event('message_stop', {});
  }
}
