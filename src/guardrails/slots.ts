// Where the text is in each API's requests and answers: a list of slots (an object and the key that
// holds a string), read into a list of texts for the checks and written back when they change.
// Tool calls' arguments are checked value by value: a JSON text is parsed, its string values become
// slots, and it is serialised again only when one of them changed (so a restored value that needs
// escaping stays valid JSON). Token-id prompts and inputs (arrays of numbers) carry no text to check.
import type { GuardSession } from './session.js';

type Json = Record<string, unknown>;
const isRecord = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

interface Slot {
  obj: Json | unknown[];
  key: string | number;
}

/** A tool call's JSON arguments, parsed: slots [from, to) are its string values. */
interface JsonText {
  holder: Json;
  key: string;
  parsed: unknown;
  from: number;
  to: number;
}

/** Nesting deeper than this is not walked (arguments are small objects). */
const MAX_DEPTH = 64;

export class Slots {
  readonly list: Slot[] = [];
  private readonly json: JsonText[] = [];

  /** Adds `obj[key]` when it holds a non-empty string. */
  add(obj: unknown, key: string | number): void {
    if (obj === null || typeof obj !== 'object') return;
    const value = (obj as Record<string | number, unknown>)[key];
    if (typeof value === 'string' && value !== '') this.list.push({ obj: obj as Json, key });
  }

  /** Every string of an array (prompts, embedding inputs). */
  addStrings(obj: unknown, key: string): void {
    if (!isRecord(obj)) return;
    const value = obj[key];
    if (typeof value === 'string') this.add(obj, key);
    else if (Array.isArray(value)) value.forEach((_, i) => this.add(value, i));
  }

  /** Every string value inside a JSON value (an Anthropic tool_use's `input`), keys excluded. */
  addValues(value: unknown, depth = 0): void {
    if (depth > MAX_DEPTH || value === null || typeof value !== 'object') return;
    const holder = value as Record<string | number, unknown>;
    for (const key of Array.isArray(value) ? value.keys() : Object.keys(value)) {
      if (typeof holder[key] === 'string') this.add(holder, key);
      else this.addValues(holder[key], depth + 1);
    }
  }

  /** `holder[key]` as JSON text (a tool call's `arguments`): its string values; the text itself when it is not a JSON object or array. */
  addJsonText(holder: unknown, key: string): void {
    if (!isRecord(holder) || typeof holder[key] !== 'string') return;
    let parsed: unknown;
    try {
      parsed = JSON.parse(holder[key]);
    } catch {
      parsed = null;
    }
    if (parsed === null || typeof parsed !== 'object') {
      this.add(holder, key);
      return;
    }
    const from = this.list.length;
    this.addValues(parsed);
    if (this.list.length > from) this.json.push({ holder, key, parsed, from, to: this.list.length });
  }

  texts(): string[] {
    return this.list.map((s) => (s.obj as Record<string | number, unknown>)[s.key] as string);
  }

  write(texts: readonly string[]): void {
    const changed = this.list.map((s, i) => {
      const holder = s.obj as Record<string | number, unknown>;
      if (holder[s.key] === texts[i]) return false;
      holder[s.key] = texts[i];
      return true;
    });
    for (const j of this.json) if (changed.slice(j.from, j.to).includes(true)) j.holder[j.key] = JSON.stringify(j.parsed);
  }
}

/** A tool call's arguments (JSON text) after the output guardrails. Throws GuardrailBlocked. */
export async function checkedArguments(session: GuardSession, text: string): Promise<string> {
  const holder = { arguments: text };
  const slots = new Slots();
  slots.addJsonText(holder, 'arguments');
  const texts = slots.texts();
  if (texts.length > 0 && (await session.run('output', texts))) slots.write(texts);
  return holder.arguments;
}

/** Chat tool calls (and the legacy function_call) of a message: their arguments. */
function addToolCalls(slots: Slots, message: unknown): void {
  if (!isRecord(message)) return;
  if (Array.isArray(message.tool_calls)) for (const call of message.tool_calls) if (isRecord(call)) slots.addJsonText(call.function, 'arguments');
  slots.addJsonText(message.function_call, 'arguments');
}

/** Content that is a string or a list of parts with `text` (chat, Anthropic, Responses messages). */
function addContent(slots: Slots, holder: unknown, key = 'content'): void {
  if (!isRecord(holder)) return;
  const content = holder[key];
  if (typeof content === 'string') slots.add(holder, key);
  else if (Array.isArray(content)) {
    for (const part of content) {
      if (!isRecord(part)) continue;
      slots.add(part, 'text');
      // Anthropic tool results hold content of their own; tool calls hold their input.
      if (part.type === 'tool_result') addContent(slots, part);
      else if (part.type === 'tool_use') slots.addValues(part.input);
    }
  }
}

export function chatInput(body: Json, slots = new Slots()): Slots {
  if (Array.isArray(body.messages)) {
    for (const m of body.messages) {
      addContent(slots, m);
      addToolCalls(slots, m);
    }
  }
  return slots;
}

export function completionsInput(body: Json): Slots {
  const slots = new Slots();
  slots.addStrings(body, 'prompt');
  return slots;
}

export function embeddingsInput(body: Json): Slots {
  const slots = new Slots();
  slots.addStrings(body, 'input');
  return slots;
}

export function imagesInput(body: Json): Slots {
  const slots = new Slots();
  slots.add(body, 'prompt');
  return slots;
}

export function messagesInput(body: Json): Slots {
  const slots = new Slots();
  addContent(slots, body, 'system');
  if (Array.isArray(body.messages)) for (const m of body.messages) addContent(slots, m);
  return slots;
}

/** Responses items: messages (string or parts), tool outputs. */
export function responseItems(items: readonly unknown[], slots = new Slots()): Slots {
  for (const item of items) {
    if (!isRecord(item)) continue;
    addContent(slots, item);
    if (item.type === 'function_call_output') slots.add(item, 'output');
    else if (item.type === 'function_call') slots.addJsonText(item, 'arguments');
  }
  return slots;
}

/**
 * Log probabilities repeat the answer's text token by token, unchecked: with output guardrails they
 * are dropped (chat and completions choices). Returns whether any were.
 */
export function dropLogprobs(data: Json): boolean {
  let dropped = false;
  if (Array.isArray(data.choices)) {
    for (const c of data.choices) {
      if (isRecord(c) && c.logprobs !== null && c.logprobs !== undefined) {
        c.logprobs = null;
        dropped = true;
      }
    }
  }
  return dropped;
}

export function chatOutput(data: Json): Slots {
  const slots = new Slots();
  if (Array.isArray(data.choices)) {
    for (const c of data.choices) {
      if (!isRecord(c)) continue;
      slots.add(c.message, 'content');
      addToolCalls(slots, c.message);
    }
  }
  return slots;
}

export function completionsOutput(data: Json): Slots {
  const slots = new Slots();
  if (Array.isArray(data.choices)) for (const c of data.choices) slots.add(c, 'text');
  return slots;
}

export function responsesOutput(data: Json): Slots {
  const slots = new Slots();
  if (Array.isArray(data.output)) {
    for (const item of data.output) {
      if (!isRecord(item)) continue;
      if (item.type === 'message') addContent(slots, item);
      else if (item.type === 'function_call') slots.addJsonText(item, 'arguments');
    }
  }
  return slots;
}

export function messagesOutput(data: Json): Slots {
  const slots = new Slots();
  if (Array.isArray(data.content)) {
    for (const block of data.content) {
      if (!isRecord(block)) continue;
      if (block.type === 'text') slots.add(block, 'text');
      else if (block.type === 'tool_use') slots.addValues(block.input);
    }
  }
  return slots;
}

/** A Responses request's text: instructions, its input, and the stored conversation it continues. */
export function responsesInputSlots(body: Json, resolved: { own: readonly unknown[]; history: ReadonlyArray<{ input: readonly unknown[]; response: Json }> | null }): Slots {
  const slots = new Slots();
  slots.add(body, 'instructions');
  if (typeof body.input === 'string') slots.add(body, 'input');
  else if (Array.isArray(body.input)) responseItems(body.input, slots);
  responseItems(resolved.own, slots);
  for (const turn of resolved.history ?? []) {
    responseItems(turn.input, slots);
    if (Array.isArray(turn.response.output)) responseItems(turn.response.output, slots);
  }
  return slots;
}
