// OpenAI chat messages -> Anthropic `system` and `messages`: system prompts lifted out, tool calls
// and tool results turned into tool_use / tool_result blocks, same-role turns merged, thinking
// blocks put back exactly as Anthropic signed them.
import type { ChatMessage } from '../canonical.js';
import { imageUrlOf, parseDataUrl } from '../common/media.js';
import { contentText, isRecord, parseArguments } from '../common/params.js';

export type AnthropicBlock = Record<string, unknown> & { type: string };

export interface AnthropicMessage {
  role: 'user' | 'assistant';
  content: AnthropicBlock[];
}

export interface AnthropicConversation {
  system: AnthropicBlock[];
  messages: AnthropicMessage[];
}

export function toAnthropicConversation(messages: readonly ChatMessage[]): AnthropicConversation {
  const system: AnthropicBlock[] = [];
  const out: AnthropicMessage[] = [];
  const push = (role: AnthropicMessage['role'], content: AnthropicBlock[]) => {
    if (content.length === 0) return;
    const last = out[out.length - 1];
    // Anthropic wants user and assistant turns to alternate: consecutive same-role turns merge.
    if (last && last.role === role) last.content.push(...content);
    else out.push({ role, content });
  };

  for (const message of messages) {
    switch (message.role) {
      case 'system':
      case 'developer':
        system.push(...textBlocks(message.content));
        break;
      case 'user':
        push('user', userBlocks(message.content));
        break;
      case 'assistant':
        push('assistant', assistantBlocks(message));
        break;
      case 'tool':
        push('user', [toolResult(message.tool_call_id ?? '', message.content)]);
        break;
      case 'function':
        // Legacy function messages answer the assistant's function_call, which got this id below.
        push('user', [toolResult(legacyCallId(message.name), message.content)]);
        break;
    }
  }
  return { system, messages: out };
}

function textBlocks(content: ChatMessage['content']): AnthropicBlock[] {
  if (typeof content === 'string') return content ? [{ type: 'text', text: content }] : [];
  if (!Array.isArray(content)) return [];
  return content
    .filter((part) => part.type === 'text' && typeof part.text === 'string' && part.text)
    .map((part) => withCacheControl({ type: 'text', text: part.text }, part));
}

function userBlocks(content: ChatMessage['content']): AnthropicBlock[] {
  if (typeof content === 'string') return content ? [{ type: 'text', text: content }] : [];
  if (!Array.isArray(content)) return [];
  const blocks: AnthropicBlock[] = [];
  for (const part of content) {
    const block = contentBlock(part);
    if (block) blocks.push(block);
  }
  return blocks;
}

/** One OpenAI content part as an Anthropic block; null for parts Anthropic has no block for. */
function contentBlock(part: Record<string, unknown> & { type: string }): AnthropicBlock | null {
  switch (part.type) {
    case 'text':
      return typeof part.text === 'string' && part.text ? withCacheControl({ type: 'text', text: part.text }, part) : null;
    case 'image_url': {
      const url = imageUrlOf(part);
      if (!url) return null;
      const inline = parseDataUrl(url);
      const source = inline ? { type: 'base64', media_type: inline.mediaType, data: inline.data } : { type: 'url', url };
      return withCacheControl({ type: 'image', source }, part);
    }
    case 'file': {
      const file = isRecord(part.file) ? part.file : {};
      const inline = typeof file.file_data === 'string' ? parseDataUrl(file.file_data) : null;
      if (!inline) return null;
      const source =
        inline.mediaType === 'text/plain'
          ? { type: 'text', media_type: 'text/plain', data: Buffer.from(inline.data, 'base64').toString('utf8') }
          : { type: 'base64', media_type: inline.mediaType, data: inline.data };
      return withCacheControl({ type: 'document', source, ...(typeof file.filename === 'string' && { title: file.filename }) }, part);
    }
    default:
      return null;
  }
}

function assistantBlocks(message: ChatMessage): AnthropicBlock[] {
  const blocks: AnthropicBlock[] = [];
  // Thinking blocks must precede the text and tool_use they led to, byte for byte as received.
  const thinking = (message as { thinking_blocks?: unknown }).thinking_blocks;
  if (Array.isArray(thinking)) {
    for (const block of thinking) {
      if (isRecord(block) && (block.type === 'thinking' || block.type === 'redacted_thinking')) blocks.push(block as AnthropicBlock);
    }
  }
  blocks.push(...textBlocks(message.content));
  for (const call of message.tool_calls ?? []) {
    blocks.push({ type: 'tool_use', id: call.id, name: call.function.name, input: parseArguments(call.function.arguments) });
  }
  const legacy = (message as { function_call?: unknown }).function_call;
  if (isRecord(legacy) && typeof legacy.name === 'string') {
    const args = typeof legacy.arguments === 'string' ? legacy.arguments : undefined;
    blocks.push({ type: 'tool_use', id: legacyCallId(legacy.name), name: legacy.name, input: parseArguments(args) });
  }
  return blocks;
}

function toolResult(toolCallId: string, content: ChatMessage['content']): AnthropicBlock {
  if (Array.isArray(content)) {
    const blocks = content.map(contentBlock).filter((b): b is AnthropicBlock => b !== null && (b.type === 'text' || b.type === 'image'));
    return { type: 'tool_result', tool_use_id: toolCallId, content: blocks };
  }
  return { type: 'tool_result', tool_use_id: toolCallId, content: contentText(content) };
}

function legacyCallId(name: string | undefined): string {
  return `call_${name ?? 'function'}`;
}

/** Clients that know Anthropic put `cache_control` on parts; it is kept where it was put. */
function withCacheControl(block: AnthropicBlock, part: Record<string, unknown>): AnthropicBlock {
  return isRecord(part.cache_control) ? { ...block, cache_control: part.cache_control } : block;
}
