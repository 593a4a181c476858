// Output guardrails on Responses API events relayed from an upstream that serves it: each output
// text's deltas go through a window; what is held is sent before its response.output_text.done, and
// the texts repeated by the done events and the final response are the ones the client was sent.
// Events are renumbered (held text adds or drops deltas). A block ends the answer with
// response.incomplete (reason content_filter); the upstream is stopped. A function call's arguments
// are held whole, checked value by value, and sent as one delta before their .done event.
import type { MessageEvent, MessageEventStream } from '../providers/types.js';
import { GuardrailBlocked, type GuardSession } from './session.js';
import { checkedArguments } from './slots.js';
import { StreamWindow, type WindowSettings } from './stream-window.js';

type Json = Record<string, unknown>;
const isRecord = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

export async function* guardResponseEvents(events: MessageEventStream, session: GuardSession, settings: WindowSettings, onBlock: (error: GuardrailBlocked) => void): MessageEventStream {
  const windows = new Map<string, StreamWindow>();
  const items = new Map<number, Json>();
  /** Output index → a function call's arguments so far, then (once checked) as sent. */
  const args = new Map<number, { text: string; sent: boolean }>();
  let shell: Json = {};
  let sequence = 0;
  const key = (d: Json) => `${String(d.output_index ?? 0)}:${String(d.content_index ?? 0)}`;
  const windowOf = (k: string) => {
    let w = windows.get(k);
    if (!w) windows.set(k, (w = new StreamWindow(session, settings)));
    return w;
  };
  const emit = (type: string, data: Json): MessageEvent => ({ event: type, data: JSON.stringify({ ...data, type, sequence_number: sequence++ }) });
  /** A message item with the texts the client was sent. */
  const sentItem = (item: Json, outputIndex: number): Json => {
    const call = args.get(outputIndex);
    if (item.type === 'function_call') return call?.sent ? { ...item, arguments: call.text } : item;
    if (!Array.isArray(item.content)) return item;
    const content = item.content.map((part: unknown, i) => {
      const w = windows.get(`${outputIndex}:${i}`);
      return isRecord(part) && part.type === 'output_text' && w ? { ...part, text: w.released } : part;
    });
    return { ...item, content };
  };
  const sentResponse = (response: Json): Json =>
    Array.isArray(response.output) ? { ...response, output: response.output.map((item: unknown, i) => (isRecord(item) ? sentItem(item, i) : item)) } : response;
  try {
    for await (const e of events) {
      const data: unknown = JSON.parse(e.data);
      if (!isRecord(data)) {
        yield e;
        continue;
      }
      const type = typeof data.type === 'string' ? data.type : e.event;
      if (isRecord(data.response)) shell = data.response;
      if (type === 'response.output_item.added' && isRecord(data.item)) items.set(Number(data.output_index ?? 0), data.item);
      if (type === 'response.output_text.delta' && typeof data.delta === 'string') {
        const out = await windowOf(key(data)).push(data.delta);
        if (out) yield emit(type, { ...data, delta: out, logprobs: [] });
        continue;
      }
      if (type === 'response.function_call_arguments.delta' && typeof data.delta === 'string') {
        const index = Number(data.output_index ?? 0);
        args.set(index, { text: (args.get(index)?.text ?? '') + data.delta, sent: false });
        continue;
      }
      if (type === 'response.function_call_arguments.done') {
        const index = Number(data.output_index ?? 0);
        const text = await checkedArguments(session, typeof data.arguments === 'string' ? data.arguments : (args.get(index)?.text ?? ''));
        args.set(index, { text, sent: true });
        yield emit('response.function_call_arguments.delta', { item_id: data.item_id, output_index: data.output_index, delta: text });
        yield emit(type, { ...data, arguments: text });
        continue;
      }
      if (type === 'response.output_text.done') {
        const w = windowOf(key(data));
        const rest = await w.flush();
        if (rest) yield emit('response.output_text.delta', { item_id: data.item_id, output_index: data.output_index, content_index: data.content_index, delta: rest, logprobs: [] });
        yield emit(type, { ...data, text: w.released, logprobs: [] });
        continue;
      }
      if (type === 'response.content_part.done' && isRecord(data.part) && data.part.type === 'output_text') {
        const w = windows.get(key(data));
        yield emit(type, w ? { ...data, part: { ...data.part, text: w.released } } : data);
        continue;
      }
      if (type === 'response.output_item.done' && isRecord(data.item)) {
        const index = Number(data.output_index ?? 0);
        const item = sentItem(data.item, index);
        items.set(index, item);
        yield emit(type, { ...data, item });
        continue;
      }
      if (isRecord(data.response) && (type === 'response.completed' || type === 'response.incomplete')) {
        yield emit(type, { ...data, response: sentResponse(data.response) });
        continue;
      }
      yield emit(type, data);
    }
  } catch (error) {
    if (!(error instanceof GuardrailBlocked)) throw error;
    onBlock(error);
    const output = [...items.entries()]
      .sort(([a], [b]) => a - b)
      .map(([i, item]) => {
        const parts = [...windows.entries()].filter(([k]) => k.startsWith(`${i}:`)).map(([, w]) => ({ type: 'output_text', text: w.released, annotations: [] }));
        return item.type === 'message' && parts.length > 0 ? { ...item, status: 'incomplete', content: parts } : item;
      });
    const response = { ...shell, status: 'incomplete', incomplete_details: { reason: 'content_filter' }, output };
    yield emit('response.incomplete', { response });
  }
}
