// What comes back: a Cohere v2 chat response as an OpenAI chat.completion. Text items become
// content (the tool_plan when there is no text), thinking items reasoning_content.
import { toFinishReason, type Usage } from '../canonical.js';
import { completionId, unixSeconds } from '../common/chunks.js';
import { isRecord } from '../common/params.js';

const num = (value: unknown): number => (typeof value === 'number' && Number.isFinite(value) ? value : 0);

/** Cohere reports `tokens` (what the model saw) and `billed_units`; tokens when present. */
export function toUsage(usage: unknown): Usage {
  const u = isRecord(usage) ? usage : {};
  const counts = isRecord(u.tokens) ? u.tokens : isRecord(u.billed_units) ? u.billed_units : {};
  const prompt = num(counts.input_tokens);
  const completion = num(counts.output_tokens);
  return {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: prompt + completion,
    prompt_tokens_details: { cached_tokens: num(u.cached_tokens) },
  };
}

export function toChatCompletion(response: Record<string, unknown>, model: string): Record<string, unknown> {
  const message = isRecord(response.message) ? response.message : {};
  const items = Array.isArray(message.content) ? message.content.filter(isRecord) : [];
  const text = items.map((item) => (item.type === 'text' && typeof item.text === 'string' ? item.text : '')).join('');
  const reasoning = items.map((item) => (item.type === 'thinking' && typeof item.thinking === 'string' ? item.thinking : '')).join('');
  const toolCalls = (Array.isArray(message.tool_calls) ? message.tool_calls.filter(isRecord) : []).map((call) => {
    const fn = isRecord(call.function) ? call.function : {};
    return { id: String(call.id ?? ''), type: 'function', function: { name: String(fn.name ?? ''), arguments: typeof fn.arguments === 'string' ? fn.arguments : '{}' } };
  });
  const plan = typeof message.tool_plan === 'string' ? message.tool_plan : '';
  const assistant: Record<string, unknown> = { role: 'assistant', content: text || plan || (toolCalls.length > 0 ? null : '') };
  if (toolCalls.length > 0) assistant.tool_calls = toolCalls;
  if (reasoning) assistant.reasoning_content = reasoning;
  return {
    id: typeof response.id === 'string' ? response.id : completionId(),
    object: 'chat.completion',
    created: unixSeconds(),
    model,
    choices: [{ index: 0, message: assistant, logprobs: null, finish_reason: toFinishReason(typeof response.finish_reason === 'string' ? response.finish_reason : null) ?? 'stop' }],
    usage: toUsage(response.usage),
  };
}
