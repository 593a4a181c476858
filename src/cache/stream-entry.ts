// Between streams and cache entries: a streamed chat or completions answer is assembled, chunk by
// chunk, into the JSON answer the same request would have got unstreamed; a cached JSON answer is
// replayed as the chunks of a valid OpenAI stream.
import type { Operation } from '../providers/types.js';

interface ToolCallParts {
  id?: string;
  type?: string;
  name: string;
  arguments: string;
}

interface ChoiceParts {
  role: string;
  content: string | null;
  refusal: string | null;
  toolCalls: Map<number, ToolCallParts>;
  finishReason: string | null;
  text: string;
}

type Json = Record<string, unknown>;

/** Collects the chunks of one streamed answer; `result()` is null unless the answer is complete. */
export class StreamAssembler {
  private head: Json | null = null;
  private usage: unknown = undefined;
  private readonly choices = new Map<number, ChoiceParts>();
  private broken = false;

  constructor(private readonly op: Operation) {}

  add(chunkJson: string): void {
    if (this.broken) return;
    let chunk: Json;
    try {
      chunk = JSON.parse(chunkJson) as Json;
    } catch {
      this.broken = true;
      return;
    }
    if (chunk.error !== undefined) {
      this.broken = true;
      return;
    }
    this.head ??= chunk;
    if (chunk.usage) this.usage = chunk.usage;
    if (!Array.isArray(chunk.choices)) return;
    for (const raw of chunk.choices as Json[]) {
      const index = typeof raw.index === 'number' ? raw.index : 0;
      let parts = this.choices.get(index);
      if (!parts) {
        parts = { role: 'assistant', content: null, refusal: null, toolCalls: new Map(), finishReason: null, text: '' };
        this.choices.set(index, parts);
      }
      if (typeof raw.finish_reason === 'string') parts.finishReason = raw.finish_reason;
      if (typeof raw.text === 'string') parts.text += raw.text;
      const delta = raw.delta as Json | undefined;
      if (!delta) continue;
      if (typeof delta.role === 'string') parts.role = delta.role;
      if (typeof delta.content === 'string') parts.content = (parts.content ?? '') + delta.content;
      if (typeof delta.refusal === 'string') parts.refusal = (parts.refusal ?? '') + delta.refusal;
      if (Array.isArray(delta.tool_calls)) {
        for (const call of delta.tool_calls as Json[]) {
          const at = typeof call.index === 'number' ? call.index : parts.toolCalls.size;
          const fn = (call.function ?? {}) as Json;
          const known = parts.toolCalls.get(at) ?? { name: '', arguments: '' };
          if (typeof call.id === 'string') known.id = call.id;
          if (typeof call.type === 'string') known.type = call.type;
          if (typeof fn.name === 'string') known.name += fn.name;
          if (typeof fn.arguments === 'string') known.arguments += fn.arguments;
          parts.toolCalls.set(at, known);
        }
      }
    }
  }

  /** The assembled answer, or null when the stream broke or a choice never finished. */
  result(): Json | null {
    if (this.broken || !this.head || this.choices.size === 0) return null;
    const indexes = [...this.choices.keys()].sort((a, b) => a - b);
    if (indexes.some((i) => this.choices.get(i)!.finishReason === null)) return null;
    const { id, created, model, system_fingerprint: fingerprint } = this.head;
    const answer: Json = { id, object: this.op === 'chat' ? 'chat.completion' : 'text_completion', created, model };
    if (fingerprint !== undefined) answer.system_fingerprint = fingerprint;
    answer.choices = indexes.map((index) => {
      const parts = this.choices.get(index)!;
      if (this.op !== 'chat') return { index, text: parts.text, logprobs: null, finish_reason: parts.finishReason };
      const message: Json = { role: parts.role, content: parts.content, refusal: parts.refusal };
      if (parts.toolCalls.size > 0) {
        message.tool_calls = [...parts.toolCalls.entries()]
          .sort(([a], [b]) => a - b)
          .map(([, call]) => ({ id: call.id, type: call.type ?? 'function', function: { name: call.name, arguments: call.arguments } }));
      }
      return { index, message, logprobs: null, finish_reason: parts.finishReason };
    });
    if (this.usage) answer.usage = this.usage;
    return answer;
  }
}

/** The chunks (JSON texts of `data:` events, without [DONE]) that replay a cached answer as a stream. */
export function replayChunks(op: Operation, answer: Json, includeUsage: boolean): string[] {
  const base: Json = { id: answer.id, object: op === 'chat' ? 'chat.completion.chunk' : 'text_completion', created: answer.created, model: answer.model };
  if (answer.system_fingerprint !== undefined) base.system_fingerprint = answer.system_fingerprint;
  const chunk = (choices: Json[], extra: Json = {}) => JSON.stringify({ ...base, choices, ...extra });
  const chunks: string[] = [];
  const choices = Array.isArray(answer.choices) ? (answer.choices as Json[]) : [];
  for (const choice of choices) {
    const index = choice.index ?? 0;
    if (op !== 'chat') {
      chunks.push(chunk([{ index, text: choice.text ?? '', logprobs: null, finish_reason: choice.finish_reason ?? 'stop' }]));
      continue;
    }
    const message = (choice.message ?? {}) as Json;
    chunks.push(chunk([{ index, delta: { role: message.role ?? 'assistant', content: '' }, logprobs: null, finish_reason: null }]));
    if (typeof message.content === 'string' && message.content !== '') {
      chunks.push(chunk([{ index, delta: { content: message.content }, logprobs: null, finish_reason: null }]));
    }
    if (typeof message.refusal === 'string') chunks.push(chunk([{ index, delta: { refusal: message.refusal }, logprobs: null, finish_reason: null }]));
    if (Array.isArray(message.tool_calls) && message.tool_calls.length > 0) {
      const calls = (message.tool_calls as Json[]).map((call, at) => ({ index: at, id: call.id, type: call.type ?? 'function', function: call.function }));
      chunks.push(chunk([{ index, delta: { tool_calls: calls }, logprobs: null, finish_reason: null }]));
    }
    chunks.push(chunk([{ index, delta: {}, logprobs: null, finish_reason: choice.finish_reason ?? 'stop' }]));
  }
  if (includeUsage && answer.usage) chunks.push(chunk([], { usage: answer.usage }));
  return chunks;
}
