// What comes back: an Anthropic message as an OpenAI chat.completion. Text blocks become content,
// tool_use blocks tool_calls, thinking blocks reasoning_content plus the signed blocks themselves.
import { toFinishReason, type Usage } from '../canonical.js';
import { completionId, unixSeconds, type ThinkingBlock } from '../common/chunks.js';
import { isRecord } from '../common/params.js';

const num = (value: unknown): number => (typeof value === 'number' && Number.isFinite(value) ? value : 0);

/**
 * Anthropic counts cached prompt tokens apart from input_tokens; OpenAI's prompt_tokens includes
 * them (with the cached share in prompt_tokens_details).
 */
export function toUsage(usage: unknown): Usage {
  const u = isRecord(usage) ? usage : {};
  const cacheRead = num(u.cache_read_input_tokens);
  const cacheCreation = num(u.cache_creation_input_tokens);
  const prompt = num(u.input_tokens) + cacheRead + cacheCreation;
  const completion = num(u.output_tokens);
  const out: Usage = {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: prompt + completion,
    prompt_tokens_details: { cached_tokens: cacheRead },
  };
  if (cacheCreation) out.cache_creation_input_tokens = cacheCreation;
  if (cacheRead) out.cache_read_input_tokens = cacheRead;
  const details = isRecord(u.output_tokens_details) ? u.output_tokens_details : null;
  if (details && typeof details.thinking_tokens === 'number') out.completion_tokens_details = { reasoning_tokens: details.thinking_tokens };
  return out;
}

export function toChatCompletion(message: Record<string, unknown>, model: string): Record<string, unknown> {
  const blocks = Array.isArray(message.content) ? message.content.filter(isRecord) : [];
  let text = '';
  let reasoning = '';
  const thinkingBlocks: ThinkingBlock[] = [];
  const toolCalls: Record<string, unknown>[] = [];
  for (const block of blocks) {
    if (block.type === 'text' && typeof block.text === 'string') text += block.text;
    else if (block.type === 'thinking') {
      reasoning += typeof block.thinking === 'string' ? block.thinking : '';
      thinkingBlocks.push(block as ThinkingBlock);
    } else if (block.type === 'redacted_thinking') thinkingBlocks.push(block as ThinkingBlock);
    else if (block.type === 'tool_use') {
      toolCalls.push({
        id: block.id,
        type: 'function',
        function: { name: block.name, arguments: JSON.stringify(block.input ?? {}) },
      });
    }
  }
  const stopReason = typeof message.stop_reason === 'string' ? message.stop_reason : null;
  const assistant: Record<string, unknown> = { role: 'assistant', content: text || (toolCalls.length > 0 ? null : text) };
  if (toolCalls.length > 0) assistant.tool_calls = toolCalls;
  if (thinkingBlocks.length > 0) {
    assistant.reasoning_content = reasoning;
    assistant.thinking_blocks = thinkingBlocks;
  }
  return {
    id: typeof message.id === 'string' ? message.id : completionId(),
    object: 'chat.completion',
    created: unixSeconds(),
    model: typeof message.model === 'string' ? message.model : model,
    choices: [{ index: 0, message: assistant, logprobs: null, finish_reason: toFinishReason(stopReason) ?? 'stop' }],
    usage: toUsage(message.usage),
  };
}
