// Anthropic's stream events -> OpenAI chunks. Each tool_use block gets the next tool_calls index;
// thinking text streams as reasoning_content and each finished block is carried whole, signature
// included, in `thinking_blocks` so a client can send it back unbroken.
import { toFinishReason, type Usage } from '../canonical.js';
import { ChunkWriter, completionId, type ThinkingBlock } from '../common/chunks.js';
import { isRecord } from '../common/params.js';
import { parseEventJson, streamCut, type StreamTransform } from '../common/stream.js';
import { errorFromBody } from '../../upstream/call.js';
import type { SseEvent } from '../../upstream/sse.js';
import { anthropicErrorBody, anthropicErrorStatus } from './errors.js';
import { toUsage } from './response.js';

type OpenBlock =
  | { kind: 'text' }
  | { kind: 'tool'; index: number }
  | { kind: 'thinking'; thinking: string; signature: string }
  | { kind: 'other' };

export class AnthropicStreamTransform implements StreamTransform {
  private readonly writer: ChunkWriter;
  private readonly blocks = new Map<number, OpenBlock>();
  private toolCount = 0;
  private usage: Record<string, unknown> = {};
  private finish: string | null = null;
  private started = false;
  private stopped = false;

  constructor(
    private readonly provider: string,
    model: string,
    private readonly includeUsage: boolean,
  ) {
    this.writer = new ChunkWriter(completionId(), model);
  }

  push(event: SseEvent): string[] {
    if (this.stopped) return [];
    const data = parseEventJson(this.provider, event);
    const type = typeof data.type === 'string' ? data.type : event.event;
    switch (type) {
      case 'message_start':
        return this.start(isRecord(data.message) ? data.message : {});
      case 'content_block_start':
        return this.blockStart(Number(data.index), isRecord(data.content_block) ? data.content_block : {});
      case 'content_block_delta':
        return this.blockDelta(Number(data.index), isRecord(data.delta) ? data.delta : {});
      case 'content_block_stop':
        return this.blockStop(Number(data.index));
      case 'message_delta': {
        const delta = isRecord(data.delta) ? data.delta : {};
        if (typeof delta.stop_reason === 'string') this.finish = delta.stop_reason;
        // message_delta usage is cumulative: it replaces what message_start reported.
        if (isRecord(data.usage)) this.usage = { ...this.usage, ...stripNulls(data.usage) };
        return [];
      }
      case 'message_stop':
        return this.stop();
      case 'error': {
        const error = isRecord(data.error) ? data.error : {};
        throw errorFromBody({ provider: this.provider, secrets: [] }, anthropicErrorStatus(error.type), anthropicErrorBody(data));
      }
      default:
        // ping, and event types added after this was written
        return [];
    }
  }

  end(): string[] {
    if (!this.stopped) throw streamCut(this.provider);
    return [];
  }

  /** Usage seen so far, as OpenAI reports it. */
  currentUsage(): Usage {
    return toUsage(this.usage);
  }

  private start(message: Record<string, unknown>): string[] {
    if (typeof message.id === 'string') this.writer.id = message.id;
    if (typeof message.model === 'string') this.writer.model = message.model;
    if (isRecord(message.usage)) this.usage = stripNulls(message.usage);
    this.started = true;
    return [this.writer.chunk({ role: 'assistant', content: '' })];
  }

  private blockStart(index: number, block: Record<string, unknown>): string[] {
    const out = this.ensureStarted();
    switch (block.type) {
      case 'text':
        this.blocks.set(index, { kind: 'text' });
        if (typeof block.text === 'string' && block.text) out.push(this.writer.chunk({ content: block.text }));
        break;
      case 'tool_use': {
        const toolIndex = this.toolCount++;
        this.blocks.set(index, { kind: 'tool', index: toolIndex });
        out.push(
          this.writer.chunk({
            tool_calls: [{ index: toolIndex, id: String(block.id), type: 'function', function: { name: String(block.name), arguments: '' } }],
          }),
        );
        break;
      }
      case 'thinking':
        this.blocks.set(index, { kind: 'thinking', thinking: String(block.thinking ?? ''), signature: String(block.signature ?? '') });
        break;
      case 'redacted_thinking':
        this.blocks.set(index, { kind: 'other' });
        out.push(this.writer.chunk({ thinking_blocks: [{ type: 'redacted_thinking', data: String(block.data ?? '') }] }));
        break;
      default:
        this.blocks.set(index, { kind: 'other' });
    }
    return out;
  }

  private blockDelta(index: number, delta: Record<string, unknown>): string[] {
    const block = this.blocks.get(index);
    switch (delta.type) {
      case 'text_delta':
        return typeof delta.text === 'string' && delta.text ? [this.writer.chunk({ content: delta.text })] : [];
      case 'input_json_delta':
        if (block?.kind !== 'tool' || typeof delta.partial_json !== 'string' || !delta.partial_json) return [];
        return [this.writer.chunk({ tool_calls: [{ index: block.index, function: { arguments: delta.partial_json } }] })];
      case 'thinking_delta':
        if (block?.kind !== 'thinking' || typeof delta.thinking !== 'string') return [];
        block.thinking += delta.thinking;
        return delta.thinking ? [this.writer.chunk({ reasoning_content: delta.thinking })] : [];
      case 'signature_delta':
        if (block?.kind === 'thinking' && typeof delta.signature === 'string') block.signature += delta.signature;
        return [];
      default:
        return [];
    }
  }

  private blockStop(index: number): string[] {
    const block = this.blocks.get(index);
    this.blocks.delete(index);
    if (block?.kind !== 'thinking') return [];
    const whole: ThinkingBlock = { type: 'thinking', thinking: block.thinking, signature: block.signature };
    return [this.writer.chunk({ thinking_blocks: [whole] })];
  }

  private stop(): string[] {
    const out = this.ensureStarted();
    this.stopped = true;
    out.push(this.writer.chunk({}, toFinishReason(this.finish) ?? 'stop'));
    if (this.includeUsage) out.push(this.writer.usage(this.currentUsage()));
    return out;
  }

  private ensureStarted(): string[] {
    if (this.started) return [];
    this.started = true;
    return [this.writer.chunk({ role: 'assistant', content: '' })];
  }
}

function stripNulls(record: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(record).filter(([, value]) => value !== null && value !== undefined));
}
