// Output guardrails on a stream of OpenAI chunks (chat or completions): each choice's text goes
// through its own window, so what is sent has been checked. A block ends every open choice with
// finish_reason "content_filter" (the way OpenAI ends a filtered answer) and stops the upstream.
import type { ChunkStream } from '../providers/types.js';
import { GuardrailBlocked, type GuardSession } from './session.js';
import { StreamWindow, type WindowSettings } from './stream-window.js';

type Json = Record<string, unknown>;
const isRecord = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

export async function* guardChunks(chunks: ChunkStream, session: GuardSession, settings: WindowSettings, kind: 'chat' | 'completions', onBlock: (error: GuardrailBlocked) => void): ChunkStream {
  const windows = new Map<number, StreamWindow>();
  const finished = new Set<number>();
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
        const text = textOf(choice);
        let out: string | null = null;
        if (typeof text === 'string' && text !== '') out = await windowOf(index).push(text);
        if (choice.finish_reason !== null && choice.finish_reason !== undefined) {
          out = (out ?? '') + (await windowOf(index).flush());
          finished.add(index);
        }
        if (out !== null) {
          changed = true;
          setText(choice, out);
        }
        if (!emptied(choice, field, out)) keep.push(choice);
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
  } catch (error) {
    if (!(error instanceof GuardrailBlocked)) throw error;
    onBlock(error);
    const open = [...windows.keys()].filter((i) => !finished.has(i));
    for (const index of open.length > 0 ? open : [0]) yield chunkWith(index, '', 'content_filter');
  }
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
