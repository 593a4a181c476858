// Where the text is in each API's requests and answers: a list of slots (an object and the key that
// holds a string), read into a list of texts for the checks and written back when they change.
// Token-id prompts and inputs (arrays of numbers) carry no text to check.

type Json = Record<string, unknown>;
const isRecord = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

interface Slot {
  obj: Json | unknown[];
  key: string | number;
}

export class Slots {
  readonly list: Slot[] = [];

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

  texts(): string[] {
    return this.list.map((s) => (s.obj as Record<string | number, unknown>)[s.key] as string);
  }

  write(texts: readonly string[]): void {
    this.list.forEach((s, i) => ((s.obj as Record<string | number, unknown>)[s.key] = texts[i]));
  }
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
      // Anthropic tool results hold content of their own.
      if (part.type === 'tool_result') addContent(slots, part);
    }
  }
}

export function chatInput(body: Json, slots = new Slots()): Slots {
  if (Array.isArray(body.messages)) for (const m of body.messages) addContent(slots, m);
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
  if (Array.isArray(data.choices)) for (const c of data.choices) if (isRecord(c)) slots.add(c.message, 'content');
  return slots;
}

export function completionsOutput(data: Json): Slots {
  const slots = new Slots();
  if (Array.isArray(data.choices)) for (const c of data.choices) slots.add(c, 'text');
  return slots;
}

export function responsesOutput(data: Json): Slots {
  const slots = new Slots();
  if (Array.isArray(data.output)) for (const item of data.output) if (isRecord(item) && item.type === 'message') addContent(slots, item);
  return slots;
}

export function messagesOutput(data: Json): Slots {
  const slots = new Slots();
  if (Array.isArray(data.content)) for (const block of data.content) if (isRecord(block) && block.type === 'text') slots.add(block, 'text');
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
