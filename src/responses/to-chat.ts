// A Responses request as a chat completions request, for providers that do not serve the Responses
// API: instructions and input items become messages, function tools and tool choice their chat
// forms, text.format the response_format. What chat cannot express is refused with a 400 naming it.
import { ProxyError } from '../errors.js';
import type { ChatMessage, ChatRequest } from '../providers/canonical.js';
import { isRecord } from '../providers/common/params.js';
import type { ResponseItem, ResponsesRequest } from './schema.js';

/** Request fields with a meaning only the Responses API or its store has; not sent to chat. */
const RESPONSES_ONLY = new Set([
  'input', 'instructions', 'previous_response_id', 'store', 'tools', 'tool_choice', 'max_output_tokens', 'text',
  'reasoning', 'metadata', 'include', 'truncation', 'background', 'conversation', 'prompt', 'service_tier',
  'max_tool_calls', 'prompt_cache_key', 'safety_identifier', 'top_logprobs', 'stream_options',
]);

export function responsesToChat(body: ResponsesRequest, items: readonly ResponseItem[]): ChatRequest {
  const messages: ChatMessage[] = [];
  if (body.instructions) messages.push({ role: 'system', content: body.instructions });
  items.forEach((item, index) => addItem(messages, item, index));
  if (messages.length === 0) throw new ProxyError('invalid_request', 'input must contain at least one message', 'input');

  const chat: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(body)) if (!RESPONSES_ONLY.has(key) && value !== undefined) chat[key] = value;
  chat.messages = messages;
  if (body.max_output_tokens) chat.max_tokens = body.max_output_tokens;
  if (body.tools?.length) chat.tools = body.tools.map(chatTool);
  if (body.tool_choice !== undefined) chat.tool_choice = chatToolChoice(body.tool_choice);
  const format = body.text?.format;
  if (format && format.type !== 'text') chat.response_format = responseFormat(format);
  if (body.reasoning?.effort) chat.reasoning_effort = body.reasoning.effort;
  if (body.stream) chat.stream_options = { include_usage: true };
  return chat as ChatRequest;
}

function addItem(messages: ChatMessage[], item: ResponseItem, index: number): void {
  const type = item.type ?? (item.role !== undefined ? 'message' : undefined);
  const param = `input[${index}]`;
  switch (type) {
    case 'message': {
      const role = item.role === 'developer' ? 'system' : item.role;
      if (role !== 'user' && role !== 'assistant' && role !== 'system') {
        throw new ProxyError('invalid_request', `${param}.role must be user, assistant, system or developer`, `${param}.role`);
      }
      const content = messageContent(item.content, `${param}.content`);
      if (role === 'assistant') {
        const last = messages.at(-1);
        // Text and calls of one assistant turn travel as one chat message.
        if (last?.role === 'assistant' && last.tool_calls?.length && !last.content) last.content = textOf(content);
        else messages.push({ role: 'assistant', content: textOf(content) });
      } else messages.push({ role, content });
      return;
    }
    case 'function_call': {
      if (typeof item.call_id !== 'string' || typeof item.name !== 'string') {
        throw new ProxyError('invalid_request', `${param} (function_call) needs call_id and name`, param);
      }
      const call = { id: item.call_id, type: 'function', function: { name: item.name, arguments: typeof item.arguments === 'string' ? item.arguments : '{}' } };
      const last = messages.at(-1);
      if (last?.role === 'assistant') (last.tool_calls ??= []).push(call);
      else messages.push({ role: 'assistant', content: null, tool_calls: [call] });
      return;
    }
    case 'function_call_output': {
      if (typeof item.call_id !== 'string') throw new ProxyError('invalid_request', `${param} (function_call_output) needs call_id`, `${param}.call_id`);
      const output = typeof item.output === 'string' ? item.output : textOf(messageContent(item.output, `${param}.output`));
      messages.push({ role: 'tool', tool_call_id: item.call_id, content: output });
      return;
    }
    case 'reasoning':
      return; // the provider reasons afresh; a summary is not input it can take
    default:
      throw new ProxyError(
        'invalid_request',
        `${param}: input items of type '${String(type)}' are not supported when the request is translated to chat completions`,
        `${param}.type`,
      );
  }
}

/** Responses content (a string or input/output parts) as chat content. */
function messageContent(content: unknown, param: string): string | Array<{ type: string; [key: string]: unknown }> {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) throw new ProxyError('invalid_request', `${param} must be a string or a list of content parts`, param);
  return content.map((part, i) => {
    if (!isRecord(part)) throw new ProxyError('invalid_request', `${param}[${i}] must be an object`, `${param}[${i}]`);
    switch (part.type) {
      case 'input_text':
      case 'output_text':
      case 'text':
        return { type: 'text', text: String(part.text ?? '') };
      case 'refusal':
        return { type: 'text', text: String(part.refusal ?? '') };
      case 'input_image': {
        if (typeof part.image_url !== 'string') {
          throw new ProxyError('invalid_request', `${param}[${i}]: input_image needs image_url (file ids cannot be translated)`, `${param}[${i}].image_url`);
        }
        return { type: 'image_url', image_url: { url: part.image_url, ...(part.detail !== undefined && { detail: part.detail }) } };
      }
      default:
        throw new ProxyError('invalid_request', `${param}[${i}]: content of type '${String(part.type)}' cannot be translated to chat completions`, `${param}[${i}].type`);
    }
  });
}

function textOf(content: string | Array<{ type: string; [key: string]: unknown }>): string {
  return typeof content === 'string' ? content : content.map((part) => (typeof part.text === 'string' ? part.text : '')).join('');
}

function chatTool(tool: Record<string, unknown>, index: number): Record<string, unknown> {
  if (tool.type !== 'function') {
    throw new ProxyError('invalid_request', `tools[${index}]: '${String(tool.type)}' tools are served only by providers with the Responses API; function tools are translated`, `tools[${index}].type`);
  }
  const fn: Record<string, unknown> = { name: tool.name };
  if (tool.description !== undefined && tool.description !== null) fn.description = tool.description;
  if (tool.parameters !== undefined && tool.parameters !== null) fn.parameters = tool.parameters;
  if (typeof tool.strict === 'boolean') fn.strict = tool.strict;
  return { type: 'function', function: fn };
}

function chatToolChoice(choice: string | Record<string, unknown>): unknown {
  if (typeof choice === 'string') return choice;
  if (choice.type === 'function' && typeof choice.name === 'string') return { type: 'function', function: { name: choice.name } };
  if (choice.type === 'allowed_tools' && typeof choice.mode === 'string') return choice.mode;
  throw new ProxyError('invalid_request', `tool_choice of type '${String(choice.type)}' cannot be translated to chat completions`, 'tool_choice');
}

function responseFormat(format: Record<string, unknown>): Record<string, unknown> {
  if (format.type === 'json_object') return { type: 'json_object' };
  if (format.type === 'json_schema') {
    const schema: Record<string, unknown> = { name: format.name ?? 'response', schema: format.schema };
    if (format.description !== undefined) schema.description = format.description;
    if (format.strict !== undefined) schema.strict = format.strict;
    return { type: 'json_schema', json_schema: schema };
  }
  throw new ProxyError('invalid_request', `text.format.type must be text, json_object or json_schema`, 'text.format.type');
}
