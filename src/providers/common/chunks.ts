// Builds the OpenAI `chat.completion.chunk` JSON texts every native stream transform emits, so ids,
// timestamps and the usage chunk look the same whichever provider produced them.
import { randomBytes } from 'node:crypto';
import type { Usage } from '../canonical.js';

export type FinishReason = 'stop' | 'length' | 'tool_calls' | 'content_filter';

export interface ToolCallDelta {
  index: number;
  id?: string;
  type?: 'function';
  function: { name?: string; arguments: string };
}

/** A complete reasoning block as Anthropic signs it; carried verbatim so its signature stays valid. */
export type ThinkingBlock = { type: 'thinking'; thinking: string; signature: string } | { type: 'redacted_thinking'; data: string };

export interface ChunkDelta {
  role?: 'assistant';
  content?: string | null;
  reasoning_content?: string;
  thinking_blocks?: ThinkingBlock[];
  tool_calls?: ToolCallDelta[];
}

export function completionId(): string {
  return `chatcmpl-${randomBytes(12).toString('hex')}`;
}

export function toolCallId(): string {
  return `call_${randomBytes(12).toString('hex')}`;
}

export function unixSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

export class ChunkWriter {
  id: string;
  model: string;
  readonly created = unixSeconds();

  constructor(id: string, model: string) {
    this.id = id;
    this.model = model;
  }

  chunk(delta: ChunkDelta, finishReason: FinishReason | null = null, index = 0): string {
    return JSON.stringify({
      id: this.id,
      object: 'chat.completion.chunk',
      created: this.created,
      model: this.model,
      choices: [{ index, delta, logprobs: null, finish_reason: finishReason }],
    });
  }

  /** The final chunk sent when the client asked for `stream_options.include_usage`. */
  usage(usage: Usage): string {
    return JSON.stringify({
      id: this.id,
      object: 'chat.completion.chunk',
      created: this.created,
      model: this.model,
      choices: [],
      usage,
    });
  }
}

export function wantsUsage(request: { stream_options?: { include_usage?: boolean } | null }): boolean {
  return request.stream_options?.include_usage === true;
}
