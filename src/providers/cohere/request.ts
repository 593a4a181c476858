// What to send: an OpenAI chat request as a Cohere v2 chat body. Cohere's messages and tools are
// close to OpenAI's; what differs is mapped (an assistant's text beside tool calls is its tool_plan,
// sampling names and ranges), Cohere-native fields pass through, the rest are dropped.
import type { Logger } from 'pino';
import type { ChatMessage, ChatRequest } from '../canonical.js';
import { imageUrlOf } from '../common/media.js';
import { contentText, isRecord, logDropped, stopList } from '../common/params.js';

const NATIVE = ['safety_mode', 'documents', 'citation_options', 'strict_tools', 'thinking', 'priority'];

const HANDLED = new Set([
  'model',
  'messages',
  'max_tokens',
  'max_completion_tokens',
  'stop',
  'temperature',
  'seed',
  'frequency_penalty',
  'presence_penalty',
  'top_p',
  'top_k',
  'logprobs',
  'tools',
  'tool_choice',
  'response_format',
  'reasoning_effort',
  'stream',
  'stream_options',
  ...NATIVE,
]);

const clamp = (value: number, min: number, max: number) => Math.min(max, Math.max(min, value));

export interface CohereRequestOptions {
  model: string;
  stream: boolean;
  logger: Logger;
  provider: string;
}

export function toCohereRequest(request: ChatRequest, options: CohereRequestOptions): Record<string, unknown> {
  const r = request as Record<string, unknown>;
  const body: Record<string, unknown> = { model: options.model, messages: request.messages.map(toCohereMessage) };
  if (options.stream) body.stream = true;

  const maxTokens = request.max_tokens ?? request.max_completion_tokens;
  if (typeof maxTokens === 'number') body.max_tokens = maxTokens;
  const stop = stopList(request.stop);
  if (stop) body.stop_sequences = stop;
  if (typeof request.temperature === 'number') body.temperature = request.temperature;
  if (typeof request.seed === 'number') body.seed = request.seed;
  // Cohere's penalties range over 0..1 and p over 0.01..0.99.
  if (typeof request.frequency_penalty === 'number') body.frequency_penalty = clamp(request.frequency_penalty, 0, 1);
  if (typeof request.presence_penalty === 'number') body.presence_penalty = clamp(request.presence_penalty, 0, 1);
  if (typeof request.top_p === 'number') body.p = clamp(request.top_p, 0.01, 0.99);
  if (typeof r.top_k === 'number') body.k = r.top_k;
  if (r.logprobs === true) body.logprobs = true;

  const format = request.response_format;
  if (format?.type === 'json_object') body.response_format = { type: 'json_object' };
  else if (format?.type === 'json_schema') {
    const schema = isRecord(format.json_schema) ? format.json_schema.schema : undefined;
    body.response_format = { type: 'json_object', ...(isRecord(schema) && { json_schema: schema }) };
  }
  if (typeof r.reasoning_effort === 'string' && r.thinking === undefined) {
    body.thinking = { type: r.reasoning_effort === 'none' ? 'disabled' : 'enabled' };
  }

  Object.assign(body, toolFields(request));
  for (const key of NATIVE) if (r[key] !== undefined && r[key] !== null) body[key] = r[key];
  logDropped(r, HANDLED, options.logger, options.provider);
  return body;
}

function toCohereMessage(message: ChatMessage): Record<string, unknown> {
  switch (message.role) {
    case 'system':
    case 'developer':
      return { role: 'system', content: contentText(message.content) };
    case 'user':
      return { role: 'user', content: userContent(message.content) };
    case 'assistant': {
      const text = contentText(message.content);
      const calls = message.tool_calls ?? [];
      if (calls.length === 0) return { role: 'assistant', content: text };
      return {
        role: 'assistant',
        // Text beside tool calls is Cohere's tool_plan (the same field comes back as content).
        ...(text && { tool_plan: text }),
        tool_calls: calls.map((call) => ({ id: call.id, type: 'function', function: { name: call.function.name, arguments: call.function.arguments } })),
      };
    }
    case 'tool':
    case 'function':
      return { role: 'tool', tool_call_id: message.tool_call_id ?? message.name ?? '', content: contentText(message.content) };
  }
}

function userContent(content: ChatMessage['content']): string | Record<string, unknown>[] {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  const parts: Record<string, unknown>[] = [];
  for (const part of content) {
    if (part.type === 'text' && typeof part.text === 'string') parts.push({ type: 'text', text: part.text });
    else if (part.type === 'image_url') {
      const url = imageUrlOf(part);
      const detail = isRecord(part.image_url) ? part.image_url.detail : undefined;
      if (url) parts.push({ type: 'image_url', image_url: { url, ...(typeof detail === 'string' && { detail }) } });
    }
  }
  return parts;
}

function toolFields(request: ChatRequest): Record<string, unknown> {
  let tools = (request.tools ?? [])
    .filter((tool) => tool.type === 'function')
    .map((tool) => ({
      type: 'function',
      function: {
        name: tool.function.name,
        ...(tool.function.description && { description: tool.function.description }),
        parameters: isRecord(tool.function.parameters) ? tool.function.parameters : { type: 'object', properties: {} },
      },
    }));
  if (tools.length === 0) return {};
  const choice = request.tool_choice;
  let toolChoice: string | undefined;
  if (choice === 'required') toolChoice = 'REQUIRED';
  else if (choice === 'none') toolChoice = 'NONE';
  else if (isRecord(choice) && isRecord(choice.function) && typeof choice.function.name === 'string') {
    // Cohere cannot name a tool to call: offering only that one and requiring a call amounts to it.
    const name = choice.function.name;
    tools = tools.filter((tool) => tool.function.name === name);
    toolChoice = 'REQUIRED';
  }
  return { tools, ...(toolChoice && { tool_choice: toolChoice }) };
}
