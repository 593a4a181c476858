// Cohere's v2 chat stream events -> OpenAI chunks: message-start opens, content-delta and
// tool-plan-delta carry text, tool-call-start/delta build the calls, message-end finishes.
import { toFinishReason, type Usage } from '../canonical.js';
import { ChunkWriter, completionId } from '../common/chunks.js';
import { isRecord } from '../common/params.js';
import { parseEventJson, streamCut, type StreamTransform } from '../common/stream.js';
import { ProviderError } from '../../errors.js';
import type { SseEvent } from '../../upstream/sse.js';
import { toUsage } from './response.js';

/** The `delta.message` of an event, where Cohere puts its payload. */
function messageOf(data: Record<string, unknown>): Record<string, unknown> {
  const delta = isRecord(data.delta) ? data.delta : {};
  return isRecord(delta.message) ? delta.message : {};
}

export class CohereStreamTransform implements StreamTransform {
  private readonly writer: ChunkWriter;
  private started = false;
  private ended = false;
  private usage: unknown = null;
  /** Cohere's tool-call index -> the OpenAI tool_calls index. */
  private readonly toolIndexes = new Map<number, number>();

  constructor(
    private readonly provider: string,
    model: string,
    private readonly includeUsage: boolean,
  ) {
    this.writer = new ChunkWriter(completionId(), model);
  }

  push(event: SseEvent): string[] {
    if (this.ended || event.data === '[DONE]') return [];
    const data = parseEventJson(this.provider, event);
    const type = typeof data.type === 'string' ? data.type : event.event;
    const message = messageOf(data);
    switch (type) {
      case 'message-start':
        if (typeof data.id === 'string') this.writer.id = data.id;
        return this.ensureStarted();
      case 'content-start':
      case 'content-delta': {
        const content = isRecord(message.content) ? message.content : {};
        const out = this.ensureStarted();
        if (typeof content.thinking === 'string' && content.thinking) out.push(this.writer.chunk({ reasoning_content: content.thinking }));
        if (typeof content.text === 'string' && content.text) out.push(this.writer.chunk({ content: content.text }));
        return out;
      }
      case 'tool-plan-delta': {
        const out = this.ensureStarted();
        if (typeof message.tool_plan === 'string' && message.tool_plan) out.push(this.writer.chunk({ content: message.tool_plan }));
        return out;
      }
      case 'tool-call-start': {
        const out = this.ensureStarted();
        const call = isRecord(message.tool_calls) ? message.tool_calls : {};
        const fn = isRecord(call.function) ? call.function : {};
        const index = this.toolIndexes.size;
        this.toolIndexes.set(typeof data.index === 'number' ? data.index : index, index);
        const args = typeof fn.arguments === 'string' ? fn.arguments : '';
        out.push(this.writer.chunk({ tool_calls: [{ index, id: String(call.id ?? ''), type: 'function', function: { name: String(fn.name ?? ''), arguments: args } }] }));
        return out;
      }
      case 'tool-call-delta': {
        const call = isRecord(message.tool_calls) ? message.tool_calls : {};
        const fn = isRecord(call.function) ? call.function : {};
        const index = this.toolIndexes.get(typeof data.index === 'number' ? data.index : -1) ?? this.toolIndexes.size - 1;
        if (index < 0 || typeof fn.arguments !== 'string' || !fn.arguments) return [];
        return [this.writer.chunk({ tool_calls: [{ index, function: { arguments: fn.arguments } }] })];
      }
      case 'message-end':
        return this.finishMessage(isRecord(data.delta) ? data.delta : {});
      default:
        // content-end, tool-call-end, citation-start/end, debug
        return [];
    }
  }

  end(): string[] {
    if (!this.ended) throw streamCut(this.provider);
    return [];
  }

  currentUsage(): Usage {
    return toUsage(this.usage);
  }

  private finishMessage(delta: Record<string, unknown>): string[] {
    if (typeof delta.error === 'string' && delta.error) {
      throw new ProviderError({ provider: this.provider, status: 502, kind: 'http', retryable: true, message: delta.error });
    }
    const out = this.ensureStarted();
    this.ended = true;
    this.usage = delta.usage ?? null;
    const reason = typeof delta.finish_reason === 'string' ? delta.finish_reason : null;
    out.push(this.writer.chunk({}, toFinishReason(reason) ?? 'stop'));
    if (this.includeUsage) out.push(this.writer.usage(this.currentUsage()));
    return out;
  }

  private ensureStarted(): string[] {
    if (this.started) return [];
    this.started = true;
    return [this.writer.chunk({ role: 'assistant', content: '' })];
  }
}
