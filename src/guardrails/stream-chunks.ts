// Output guardrails on a stream of OpenAI chunks (chat or completions): each choice's text goes
// through its own window, so what is sent has been checked. A block ends every open choice with
// finish_reason "content_filter" (the way OpenAI ends a filtered answer) and stops the upstream.
// Tool calls' arguments are held whole (their JSON is checked value by value) and sent in one delta
// just before the choice's finish; the call's id and name go out as they come.
import type { ChunkStream } from '../providers/types.js';
import { GuardrailBlocked, type GuardSession } from './session.js';
import { checkedArguments } from './slots.js';
import { StreamWindow, type WindowSettings } from './stream-window.js';

type Json = Record<string, unknown>;
const isRecord = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

export async function* guardChunks(chunks: ChunkStream, session: GuardSession, settings: WindowSettings, kind: 'chat' | 'completions', onBlock: (error: GuardrailBlocked) => void): ChunkStream {
  const windows = new Map<number, StreamWindow>();
  const finished = new Set<number>();
  /** Choice index → tool call index → its arguments so far. */
  const held = new Map<number, Map<number, string>>();
  const field = kind === 'chat' ? 'content' : 'text';
  let template: Json = { object: kind === 'chat' ? 'chat.completion.chunk' : 'text_completion' };
  const windowOf = (index: number) => {
    let w = windows.get(index);
    if (!w) windows.set(index, (w = new StreamWindow(session, settings)));
    return w;
  };
  const textOf = (choice: Json) => (kind === 'chat' ? (isRecord(choice.delta) ? choice.delta.content : undefined) : choice.text);
  const setText = (choice: Json, text: string) => {
    if (kind === 'chat') (choice.delta as Json).content = text;
    else choice.text = text;
  };
  const chunkWith = (index: number, text: string, finish: string | null): string =>
    JSON.stringify({ ...template, choices: [kind === 'chat' ? { index, delta: text ? { [field]: text } : {}, logprobs: null, finish_reason: finish } : { index, text, logprobs: null, finish_reason: finish }] });
  /** The choice's held tool-call arguments, checked, as one chunk (null when it holds none). */
  const releaseCalls = async (index: number): Promise<string | null> => {
    const calls = held.get(index);
    if (!calls) return null;
    held.delete(index);
    const tool_calls = [];
    for (const [i, text] of calls) tool_calls.push({ index: i, function: { arguments: await checkedArguments(session, text) } });
    return JSON.stringify({ ...template, choices: [{ index, delta: { tool_calls }, logprobs: null, finish_reason: null }] });
  };
  try {
    for await (const json of chunks) {
      const chunk: unknown = JSON.parse(json);
      if (!isRecord(chunk) || !Array.isArray(chunk.choices) || chunk.choices.length === 0) {
        yield json;
        continue;
      }
      template = { id: chunk.id, object: chunk.object, created: chunk.created, model: chunk.model };
      let changed = false;
      const keep: Json[] = [];
      for (const choice of chunk.choices.filter(isRecord)) {
        const index = typeof choice.index === 'number' ? choice.index : 0;
        // Log probabilities would repeat the text before it is checked.
        if (choice.logprobs !== null && choice.logprobs !== undefined && session.has('output')) {
          choice.logprobs = null;
          changed = true;
        }
        const heldArguments = kind === 'chat' && holdArguments(choice, index, held);
        if (heldArguments) changed = true;
        const text = textOf(choice);
        let out: string | null = null;
        if (typeof text === 'string' && text !== '') out = await windowOf(index).push(text);
        if (choice.finish_reason !== null && choice.finish_reason !== undefined) {
          out = (out ?? '') + (await windowOf(index).flush());
          const calls = await releaseCalls(index);
          if (calls) yield calls;
          finished.add(index);
        }
        if (out !== null) {
          changed = true;
          setText(choice, out);
        }
        if (!emptied(choice, field, heldArguments ? (out ?? '') : out)) keep.push(choice);
      }
      if (!changed) yield json;
      else if (keep.length > 0 || isRecord(chunk.usage)) yield JSON.stringify({ ...chunk, choices: keep });
    }
    // A stream that ended without a finish_reason for a choice: what it still holds, checked.
    for (const [index, w] of windows) {
      if (finished.has(index)) continue;
      const rest = await w.flush();
      if (rest) yield chunkWith(index, rest, null);
    }
    for (const index of [...held.keys()]) {
      const calls = await releaseCalls(index);
      if (calls) yield calls;
    }
  } catch (error) {
    if (!(error instanceof GuardrailBlocked)) throw error;
    onBlock(error);
    const open = [...windows.keys()].filter((i) => !finished.has(i));
    for (const index of open.length > 0 ? open : [0]) yield chunkWith(index, '', 'content_filter');
  }
}

/**
 * Takes the arguments out of a chat choice's tool-call deltas into `held`; a call's delta that carried
 * only arguments is dropped. Returns whether the choice changed.
 */
function holdArguments(choice: Json, index: number, held: Map<number, Map<number, string>>): boolean {
  const delta = choice.delta;
  if (!isRecord(delta) || !Array.isArray(delta.tool_calls)) return false;
  let changed = false;
  const kept = [];
  for (const call of delta.tool_calls) {
    const fn = isRecord(call) ? call.function : undefined;
    if (!isRecord(call) || !isRecord(fn) || typeof fn.arguments !== 'string') {
      kept.push(call);
      continue;
    }
    const calls = held.get(index) ?? held.set(index, new Map()).get(index)!;
    const at = typeof call.index === 'number' ? call.index : 0;
    calls.set(at, (calls.get(at) ?? '') + fn.arguments);
    changed = true;
    const { arguments: _held, ...rest } = fn;
    const other = Object.keys(call).some((k) => k !== 'index' && k !== 'function') || Object.keys(rest).length > 0;
    if (other) kept.push({ ...call, function: { ...rest, arguments: '' } });
  }
  if (kept.length > 0) delta.tool_calls = kept;
  else delete delta.tool_calls;
  return changed;
}

/** A choice left with nothing to say once its text is held back. */
function emptied(choice: Json, field: string, out: string | null): boolean {
  if (out !== '' || (choice.finish_reason !== null && choice.finish_reason !== undefined)) return false;
  const carrier = field === 'content' ? choice.delta : choice;
  if (!isRecord(carrier)) return true;
  for (const key of Object.keys(carrier)) {
    if (key === field || key === 'index' || key === 'logprobs' || key === 'finish_reason') continue;
    const value = carrier[key];
    if (value !== null && value !== undefined && value !== '') return false;
  }
  return true;
}
