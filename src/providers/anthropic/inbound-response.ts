// The inbound direction of /v1/messages, answers: an OpenAI chat.completion as an Anthropic message.
import type { Usage } from '../canonical.js';
import { isRecord, parseArguments } from '../common/params.js';

const STOP_REASONS: Record<string, string> = {
  stop: 'end_turn',
  length: 'max_tokens',
  tool_calls: 'tool_use',
  function_call: 'tool_use',
  content_filter: 'refusal',
};

export function anthropicStopReason(finish: unknown): string {
  return (typeof finish === 'string' && STOP_REASONS[finish]) || 'end_turn';
}

/** OpenAI's prompt_tokens include cached tokens; Anthropic's input_tokens do not. */
export function anthropicUsage(usage: unknown): Record<string, number> {
  const u = (isRecord(usage) ? usage : {}) as Partial<Usage>;
  const details = isRecord(u.prompt_tokens_details) ? u.prompt_tokens_details : {};
  const cached = typeof details.cached_tokens === 'number' ? details.cached_tokens : 0;
  const prompt = typeof u.prompt_tokens === 'number' ? u.prompt_tokens : 0;
  return {
    input_tokens: Math.max(0, prompt - cached),
    output_tokens: typeof u.completion_tokens === 'number' ? u.completion_tokens : 0,
    cache_creation_input_tokens: 0,
    cache_read_input_tokens: cached,
  };
}

export function messageId(id: unknown): string {
  const text = typeof id === 'string' && id ? id : `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 10)}`;
  return text.startsWith('msg_') ? text : `msg_${text}`;
}

export function chatToAnthropicMessage(completion: Record<string, unknown>, model: string): Record<string, unknown> {
  const choice = Array.isArray(completion.choices) && isRecord(completion.choices[0]) ? completion.choices[0] : {};
  const message = isRecord(choice.message) ? choice.message : {};
  const content: Record<string, unknown>[] = [];
  if (typeof message.reasoning_content === 'string' && message.reasoning_content) {
    content.push({ type: 'thinking', thinking: message.reasoning_content, signature: '' });
  }
  if (typeof message.content === 'string' && message.content) content.push({ type: 'text', text: message.content });
  for (const call of Array.isArray(message.tool_calls) ? message.tool_calls.filter(isRecord) : []) {
    const fn = isRecord(call.function) ? call.function : {};
    content.push({
      type: 'tool_use',
      id: String(call.id ?? ''),
      name: String(fn.name ?? ''),
      input: parseArguments(typeof fn.arguments === 'string' ? fn.arguments : undefined),
    });
  }
  return {
    id: messageId(completion.id),
    type: 'message',
    role: 'assistant',
    model,
    content,
    stop_reason: anthropicStopReason(choice.finish_reason),
    stop_sequence: null,
    usage: anthropicUsage(completion.usage),
  };
}
