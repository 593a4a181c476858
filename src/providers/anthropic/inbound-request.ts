// The inbound direction of /v1/messages: an Anthropic Messages request as the canonical OpenAI chat
// request, so any provider can serve it. Anthropic-only features other providers cannot take
// (extended thinking, server tools, top_k, cache_control) are left out with a debug line.
import { z } from 'zod';
import { ProxyError } from '../../errors.js';
import { chatRequestSchema, MODEL_NAME, type ChatRequest } from '../canonical.js';
import { toDataUrl } from '../common/media.js';
import { isRecord } from '../common/params.js';

const block = z.object({ type: z.string() }).loose();

/** Anthropic's request, loosely: what the translation needs is checked, the rest passes. */
export const anthropicRequestSchema = z
  .object({
    model: z.string().min(1, 'model must not be empty').max(100).regex(MODEL_NAME, 'model may contain only letters, digits and . _ : / @ + -'),
    max_tokens: z.number().int().positive(),
    messages: z
      .array(z.object({ role: z.enum(['user', 'assistant']), content: z.union([z.string(), z.array(block)]) }).loose())
      .min(1, 'messages must contain at least one message'),
    system: z.union([z.string(), z.array(block)]).optional(),
    stop_sequences: z.array(z.string()).optional(),
    stream: z.boolean().optional(),
    temperature: z.number().min(0).max(1).optional(),
    top_p: z.number().min(0).max(1).optional(),
    top_k: z.number().int().min(0).optional(),
    metadata: z.object({ user_id: z.string().nullable().optional() }).loose().optional(),
    tools: z.array(z.object({ name: z.string() }).loose()).optional(),
    tool_choice: z.object({ type: z.enum(['auto', 'any', 'tool', 'none']), name: z.string().optional(), disable_parallel_tool_use: z.boolean().optional() }).loose().optional(),
  })
  .loose();

export type AnthropicRequest = z.infer<typeof anthropicRequestSchema>;
type Block = z.infer<typeof block>;
type OpenAiMessage = Record<string, unknown>;

const TRANSLATED = new Set(['model', 'max_tokens', 'messages', 'system', 'stop_sequences', 'stream', 'temperature', 'top_p', 'metadata', 'tools', 'tool_choice']);

/** The one logger method the translation uses (pino's and Fastify's loggers both have it). */
export interface DebugLogger {
  debug(fields: object, message: string): void;
}

export function anthropicToChat(request: AnthropicRequest, logger: DebugLogger): ChatRequest {
  const messages: OpenAiMessage[] = [];
  const system = textOf(request.system);
  if (system) messages.push({ role: 'system', content: system });
  for (const message of request.messages) {
    if (message.role === 'user') messages.push(...userMessages(message.content));
    else messages.push(assistantMessage(message.content));
  }

  const chat: Record<string, unknown> = { model: request.model, messages, max_tokens: request.max_tokens };
  if (request.stop_sequences?.length) chat.stop = request.stop_sequences;
  if (request.temperature !== undefined) chat.temperature = request.temperature;
  if (request.top_p !== undefined) chat.top_p = request.top_p;
  if (request.metadata?.user_id) chat.user = request.metadata.user_id;
  if (request.stream) {
    chat.stream = true;
    // message_delta reports usage, so the canonical stream must carry it.
    chat.stream_options = { include_usage: true };
  }
  Object.assign(chat, toolFields(request));

  const dropped = Object.keys(request).filter((key) => !TRANSLATED.has(key));
  if (dropped.length > 0) logger.debug({ dropped }, `/v1/messages: ${dropped.join(', ')} cannot be served by this provider; dropped`);

  const parsed = chatRequestSchema.safeParse(chat);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ProxyError('invalid_request', `${issue.path.join('.')}: ${issue.message}`, issue.path.join('.') || null);
  }
  return parsed.data;
}

function textOf(content: string | Block[] | undefined): string {
  if (typeof content === 'string') return content;
  return (content ?? [])
    .filter((b) => b.type === 'text' && typeof b.text === 'string')
    .map((b) => b.text as string)
    .join('\n\n');
}

/** A user turn: its tool_result blocks become tool messages (first, as OpenAI wants), the rest one user message. */
function userMessages(content: string | Block[]): OpenAiMessage[] {
  if (typeof content === 'string') return [{ role: 'user', content }];
  const out: OpenAiMessage[] = [];
  const parts: Record<string, unknown>[] = [];
  for (const b of content) {
    if (b.type === 'tool_result') {
      const { text, images } = toolResultContent(b.content);
      out.push({ role: 'tool', tool_call_id: String(b.tool_use_id ?? ''), content: b.is_error === true && text ? `Error: ${text}` : text });
      // OpenAI tool messages carry text only; images a tool returned follow in the user message.
      parts.push(...images);
      continue;
    }
    const part = contentPart(b);
    if (part) parts.push(part);
  }
  if (parts.length > 0) out.push({ role: 'user', content: parts });
  return out;
}

function toolResultContent(content: unknown): { text: string; images: Record<string, unknown>[] } {
  if (typeof content === 'string') return { text: content, images: [] };
  const blocks = Array.isArray(content) ? content.filter(isRecord) : [];
  const text = blocks
    .filter((b) => b.type === 'text' && typeof b.text === 'string')
    .map((b) => b.text as string)
    .join('\n');
  const images = blocks.map((b) => (b.type === 'image' ? contentPart(b as Block) : null)).filter((p): p is Record<string, unknown> => p !== null);
  return { text, images };
}

function contentPart(b: Block): Record<string, unknown> | null {
  const source = isRecord(b.source) ? b.source : {};
  switch (b.type) {
    case 'text':
      return typeof b.text === 'string' ? { type: 'text', text: b.text } : null;
    case 'image':
      if (source.type === 'base64' && typeof source.data === 'string') {
        return { type: 'image_url', image_url: { url: toDataUrl(String(source.media_type ?? 'image/png'), source.data) } };
      }
      if (source.type === 'url' && typeof source.url === 'string') return { type: 'image_url', image_url: { url: source.url } };
      return null;
    case 'document':
      if (source.type === 'base64' && typeof source.data === 'string') {
        const filename = typeof b.title === 'string' ? b.title : 'document.pdf';
        return { type: 'file', file: { filename, file_data: toDataUrl(String(source.media_type ?? 'application/pdf'), source.data) } };
      }
      if (source.type === 'text' && typeof source.data === 'string') return { type: 'text', text: source.data };
      return null;
    default:
      return null;
  }
}

function assistantMessage(content: string | Block[]): OpenAiMessage {
  if (typeof content === 'string') return { role: 'assistant', content };
  const text = content
    .filter((b) => b.type === 'text' && typeof b.text === 'string')
    .map((b) => b.text as string)
    .join('');
  const toolCalls = content
    .filter((b) => b.type === 'tool_use')
    .map((b) => ({ id: String(b.id ?? ''), type: 'function', function: { name: String(b.name ?? ''), arguments: JSON.stringify(b.input ?? {}) } }));
  return { role: 'assistant', content: text || (toolCalls.length > 0 ? null : ''), ...(toolCalls.length > 0 && { tool_calls: toolCalls }) };
}

function toolFields(request: AnthropicRequest): Record<string, unknown> {
  // Server tools (web search, code execution, …) have a versioned type and run at Anthropic only.
  const tools = (request.tools ?? [])
    .filter((tool) => tool.type === undefined || tool.type === 'custom')
    .map((tool) => ({
      type: 'function',
      function: {
        name: tool.name,
        ...(typeof tool.description === 'string' && { description: tool.description }),
        parameters: isRecord(tool.input_schema) ? tool.input_schema : { type: 'object', properties: {} },
      },
    }));
  if (tools.length === 0) return {};
  const out: Record<string, unknown> = { tools };
  const choice = request.tool_choice;
  if (choice?.type === 'any') out.tool_choice = 'required';
  else if (choice?.type === 'none') out.tool_choice = 'none';
  else if (choice?.type === 'tool' && choice.name) out.tool_choice = { type: 'function', function: { name: choice.name } };
  else if (choice?.type === 'auto') out.tool_choice = 'auto';
  if (choice?.disable_parallel_tool_use) out.parallel_tool_calls = false;
  return out;
}
