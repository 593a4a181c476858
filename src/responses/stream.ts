// Chat completion chunks as the Responses API's typed stream events: response.created, then per
// output item (the assistant's text, each tool call) its added / delta / done events, then
// response.completed (or response.incomplete) with the whole response and usage. A failure after the
// first event ends the stream with response.failed and an error event, never a clean end.
import { isRecord } from '../providers/common/params.js';
import { sseEvent } from '../upstream/sse.js';
import { completion, functionCallItem, messageItem, newId, responseShell, responsesUsage } from './from-chat.js';
import type { ResponseItem, ResponsesRequest } from './schema.js';

type Open = { kind: 'message'; id: string; index: number; text: string } | { kind: 'call'; id: string; index: number; chatIndex: number; callId: string; name: string; args: string };

export class ResponsesEventEncoder {
  private sequence = 0;
  private started = false;
  private open: Open | null = null;
  private readonly output: ResponseItem[] = [];
  private finish: unknown = null;
  private usage: unknown = null;
  private final: Record<string, unknown> | null = null;
  readonly shell: Record<string, unknown>;

  /** `resume`: continue a stream another party started (its response so far and next sequence number). */
  constructor(body: ResponsesRequest, model: string, resume?: { shell: Record<string, unknown> | null; sequence: number }) {
    this.shell = resume?.shell ?? responseShell(body, newId('resp'), Math.floor(Date.now() / 1000), model);
    if (resume) {
      this.started = true;
      this.sequence = resume.sequence;
    }
  }

  /** The SSE text one chat chunk (JSON) produces; empty when it produces no event. */
  push(chunkJson: string): string {
    const chunk: unknown = JSON.parse(chunkJson);
    let out = this.start();
    if (!isRecord(chunk)) return out;
    if (isRecord(chunk.usage)) this.usage = chunk.usage;
    const choice = Array.isArray(chunk.choices) ? chunk.choices.find((c) => isRecord(c) && (c.index ?? 0) === 0) : undefined;
    if (!isRecord(choice)) return out;
    const delta = isRecord(choice.delta) ? choice.delta : {};
    if (typeof delta.content === 'string' && delta.content) out += this.text(delta.content);
    for (const call of Array.isArray(delta.tool_calls) ? delta.tool_calls.filter(isRecord) : []) out += this.toolCall(call);
    if (typeof choice.finish_reason === 'string') this.finish = choice.finish_reason;
    return out;
  }

  /** Closes what is open and completes the response. */
  end(): string {
    let out = this.start() + this.close();
    const { status, incomplete_details } = completion(this.finish);
    this.final = { ...this.shell, status, incomplete_details, output: this.output, usage: responsesUsage(this.usage) };
    out += this.event(status === 'completed' ? 'response.completed' : 'response.incomplete', { response: this.final });
    return out;
  }

  /** Ends a broken stream: response.failed, then an error event clients raise. */
  fail(error: { code?: unknown; message?: unknown; type?: unknown }): string {
    const code = typeof error.code === 'string' ? error.code : 'upstream_error';
    const message = typeof error.message === 'string' ? error.message : 'The upstream stream failed';
    let out = this.start();
    out += this.event('response.failed', { response: { ...this.shell, status: 'failed', error: { code, message }, output: this.output, usage: null } });
    out += this.event('error', { code, message, param: null, error: { type: typeof error.type === 'string' ? error.type : 'api_error', code, message, param: null } });
    return out;
  }

  /** The completed response, once end() ran. */
  get response(): Record<string, unknown> | null {
    return this.final;
  }

  private start(): string {
    if (this.started) return '';
    this.started = true;
    return this.event('response.created', { response: this.shell }) + this.event('response.in_progress', { response: this.shell });
  }

  private text(delta: string): string {
    let out = '';
    if (this.open?.kind !== 'message') {
      out += this.close();
      const id = newId('msg');
      const index = this.output.length;
      this.output.push(messageItem(id, '', 'in_progress'));
      this.open = { kind: 'message', id, index, text: '' };
      out += this.event('response.output_item.added', { output_index: index, item: this.output[index] });
      out += this.event('response.content_part.added', { item_id: id, output_index: index, content_index: 0, part: { type: 'output_text', text: '', annotations: [] } });
    }
    this.open.text += delta;
    return out + this.event('response.output_text.delta', { item_id: this.open.id, output_index: this.open.index, content_index: 0, delta, logprobs: [] });
  }

  private toolCall(call: Record<string, unknown>): string {
    const chatIndex = typeof call.index === 'number' ? call.index : 0;
    const fn = isRecord(call.function) ? call.function : {};
    let out = '';
    if (this.open?.kind !== 'call' || this.open.chatIndex !== chatIndex) {
      out += this.close();
      const id = newId('fc');
      const index = this.output.length;
      const callId = typeof call.id === 'string' ? call.id : `call_${id.slice(3, 27)}`;
      const name = typeof fn.name === 'string' ? fn.name : '';
      this.output.push(functionCallItem(id, callId, name, '', 'in_progress'));
      this.open = { kind: 'call', id, index, chatIndex, callId, name, args: '' };
      out += this.event('response.output_item.added', { output_index: index, item: this.output[index] });
    }
    const open = this.open;
    if (typeof fn.arguments === 'string' && fn.arguments) {
      open.args += fn.arguments;
      out += this.event('response.function_call_arguments.delta', { item_id: open.id, output_index: open.index, delta: fn.arguments });
    }
    return out;
  }

  private close(): string {
    const open = this.open;
    if (!open) return '';
    this.open = null;
    if (open.kind === 'message') {
      const part = { type: 'output_text', text: open.text, annotations: [] };
      this.output[open.index] = messageItem(open.id, open.text);
      return (
        this.event('response.output_text.done', { item_id: open.id, output_index: open.index, content_index: 0, text: open.text, logprobs: [] }) +
        this.event('response.content_part.done', { item_id: open.id, output_index: open.index, content_index: 0, part }) +
        this.event('response.output_item.done', { output_index: open.index, item: this.output[open.index] })
      );
    }
    this.output[open.index] = functionCallItem(open.id, open.callId, open.name, open.args);
    return (
      this.event('response.function_call_arguments.done', { item_id: open.id, output_index: open.index, name: open.name, arguments: open.args }) +
      this.event('response.output_item.done', { output_index: open.index, item: this.output[open.index] })
    );
  }

  private event(type: string, payload: Record<string, unknown>): string {
    return sseEvent(type, JSON.stringify({ type, sequence_number: this.sequence++, ...payload }));
  }
}
