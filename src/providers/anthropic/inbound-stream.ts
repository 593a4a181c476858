// The inbound direction of /v1/messages, streams: OpenAI chunks as Anthropic stream events. Content
// blocks open and close as the kind of delta changes (thinking, text, each tool call); the closing
// message_delta carries the stop reason and the usage of the final chunk.
import { isRecord } from '../common/params.js';
import type { MessageEvent } from '../types.js';
import { anthropicStopReason, anthropicUsage, messageId } from './inbound-response.js';

type Open = { kind: 'thinking' | 'text' } | { kind: 'tool'; toolIndex: number } | null;

export class AnthropicEventEncoder {
  private started = false;
  private blockIndex = -1;
  private open: Open = null;
  private finish: unknown = null;
  private usage: unknown = null;

  constructor(private readonly model: string) {}

  /** The events one OpenAI chunk (JSON text) produces. */
  push(chunkJson: string): MessageEvent[] {
    const chunk: unknown = JSON.parse(chunkJson);
    if (!isRecord(chunk)) return [];
    const out = this.start(chunk.id);
    if (isRecord(chunk.usage)) this.usage = chunk.usage;
    const choice = Array.isArray(chunk.choices) ? chunk.choices.find((c) => isRecord(c) && (c.index ?? 0) === 0) : undefined;
    if (!isRecord(choice)) return out;
    const delta = isRecord(choice.delta) ? choice.delta : {};

    if (typeof delta.reasoning_content === 'string' && delta.reasoning_content) {
      this.ensureOpen({ kind: 'thinking' }, { type: 'thinking', thinking: '', signature: '' }, out);
      out.push(this.event('content_block_delta', { index: this.blockIndex, delta: { type: 'thinking_delta', thinking: delta.reasoning_content } }));
    }
    for (const thinking of Array.isArray(delta.thinking_blocks) ? delta.thinking_blocks.filter(isRecord) : []) this.thinkingBlock(thinking, out);
    if (typeof delta.content === 'string' && delta.content) {
      this.ensureOpen({ kind: 'text' }, { type: 'text', text: '' }, out);
      out.push(this.event('content_block_delta', { index: this.blockIndex, delta: { type: 'text_delta', text: delta.content } }));
    }
    for (const call of Array.isArray(delta.tool_calls) ? delta.tool_calls.filter(isRecord) : []) this.toolCall(call, out);
    if (typeof choice.finish_reason === 'string') this.finish = choice.finish_reason;
    return out;
  }

  /** The events that close the message once the chunks are done. */
  end(): MessageEvent[] {
    const out = this.start(undefined);
    this.close(out);
    const usage = anthropicUsage(this.usage);
    out.push(
      this.event('message_delta', {
        delta: { stop_reason: anthropicStopReason(this.finish), stop_sequence: null },
        usage: { input_tokens: usage.input_tokens, output_tokens: usage.output_tokens, cache_read_input_tokens: usage.cache_read_input_tokens },
      }),
    );
    out.push(this.event('message_stop', {}));
    return out;
  }

  private start(id: unknown): MessageEvent[] {
    if (this.started) return [];
    this.started = true;
    return [
      this.event('message_start', {
        message: {
          id: messageId(id),
          type: 'message',
          role: 'assistant',
          model: this.model,
          content: [],
          stop_reason: null,
          stop_sequence: null,
          usage: { input_tokens: 0, output_tokens: 0 },
        },
      }),
    ];
  }

  /** A whole thinking block from the chunk: its signature completes the open thinking block. */
  private thinkingBlock(thinking: Record<string, unknown>, out: MessageEvent[]): void {
    if (thinking.type === 'redacted_thinking') {
      this.close(out);
      this.blockIndex++;
      out.push(this.event('content_block_start', { index: this.blockIndex, content_block: { type: 'redacted_thinking', data: String(thinking.data ?? '') } }));
      out.push(this.event('content_block_stop', { index: this.blockIndex }));
      return;
    }
    if (typeof thinking.signature !== 'string' || !thinking.signature) return;
    if (this.open?.kind !== 'thinking') {
      this.ensureOpen({ kind: 'thinking' }, { type: 'thinking', thinking: '', signature: '' }, out);
      if (typeof thinking.thinking === 'string' && thinking.thinking) {
        out.push(this.event('content_block_delta', { index: this.blockIndex, delta: { type: 'thinking_delta', thinking: thinking.thinking } }));
      }
    }
    out.push(this.event('content_block_delta', { index: this.blockIndex, delta: { type: 'signature_delta', signature: thinking.signature } }));
    this.close(out);
  }

  private toolCall(call: Record<string, unknown>, out: MessageEvent[]): void {
    const toolIndex = typeof call.index === 'number' ? call.index : 0;
    const fn = isRecord(call.function) ? call.function : {};
    // A call's first delta opens its block; later deltas of the same index continue it.
    if (this.open?.kind !== 'tool' || this.open.toolIndex !== toolIndex) {
      this.close(out);
      this.blockIndex++;
      this.open = { kind: 'tool', toolIndex };
      out.push(
        this.event('content_block_start', {
          index: this.blockIndex,
          content_block: { type: 'tool_use', id: String(call.id ?? `toolu_${this.blockIndex}`), name: String(fn.name ?? ''), input: {} },
        }),
      );
    }
    if (typeof fn.arguments === 'string' && fn.arguments) {
      out.push(this.event('content_block_delta', { index: this.blockIndex, delta: { type: 'input_json_delta', partial_json: fn.arguments } }));
    }
  }

  private ensureOpen(kind: { kind: 'thinking' | 'text' }, contentBlock: Record<string, unknown>, out: MessageEvent[]): void {
    if (this.open?.kind === kind.kind) return;
    this.close(out);
    this.blockIndex++;
    this.open = kind;
    out.push(this.event('content_block_start', { index: this.blockIndex, content_block: contentBlock }));
  }

  private close(out: MessageEvent[]): void {
    if (!this.open) return;
    out.push(this.event('content_block_stop', { index: this.blockIndex }));
    this.open = null;
  }

  private event(type: string, payload: Record<string, unknown>): MessageEvent {
    return { event: type, data: JSON.stringify({ type, ...payload }) };
  }
}
