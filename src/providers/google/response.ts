// What comes back: a Gemini GenerateContentResponse as an OpenAI chat.completion, one choice per
// candidate. Thought parts become reasoning_content, functionCall parts tool_calls.
import { toFinishReason, type Usage } from '../canonical.js';
import { completionId, unixSeconds, type FinishReason } from '../common/chunks.js';
import { isRecord } from '../common/params.js';
import { encodeToolCallId } from './tool-ids.js';

const num = (value: unknown): number => (typeof value === 'number' && Number.isFinite(value) ? value : 0);

export function toUsage(metadata: unknown): Usage {
  const m = isRecord(metadata) ? metadata : {};
  const prompt = num(m.promptTokenCount) + num(m.toolUsePromptTokenCount);
  // Thinking tokens are billed as output; OpenAI counts reasoning inside completion_tokens.
  const thoughts = num(m.thoughtsTokenCount);
  const completion = num(m.candidatesTokenCount) + thoughts;
  const usage: Usage = {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: num(m.totalTokenCount) || prompt + completion,
    prompt_tokens_details: { cached_tokens: num(m.cachedContentTokenCount) },
  };
  if (thoughts) usage.completion_tokens_details = { reasoning_tokens: thoughts };
  return usage;
}

export interface CandidateParts {
  text: string;
  reasoning: string;
  toolCalls: { id: string; type: 'function'; function: { name: string; arguments: string } }[];
}

/** Splits a candidate's parts (or a streamed slice of them) into text, thoughts and calls. */
export function readParts(parts: unknown): CandidateParts {
  const out: CandidateParts = { text: '', reasoning: '', toolCalls: [] };
  for (const part of Array.isArray(parts) ? parts.filter(isRecord) : []) {
    if (isRecord(part.functionCall)) {
      const call = part.functionCall;
      const signature = typeof part.thoughtSignature === 'string' ? part.thoughtSignature : undefined;
      out.toolCalls.push({
        id: encodeToolCallId(typeof call.id === 'string' ? call.id : undefined, signature),
        type: 'function',
        function: { name: String(call.name ?? ''), arguments: JSON.stringify(call.args ?? {}) },
      });
    } else if (typeof part.text === 'string') {
      if (part.thought === true) out.reasoning += part.text;
      else out.text += part.text;
    }
  }
  return out;
}

export function finishReasonOf(reason: unknown, hasToolCalls: boolean): FinishReason {
  const mapped = toFinishReason(typeof reason === 'string' ? reason : null) ?? 'stop';
  return hasToolCalls && mapped === 'stop' ? 'tool_calls' : mapped;
}

export function toChatCompletion(response: Record<string, unknown>, model: string): Record<string, unknown> {
  const candidates = Array.isArray(response.candidates) ? response.candidates.filter(isRecord) : [];
  const choices = candidates.map((candidate, i) => {
    const parts = readParts(isRecord(candidate.content) ? candidate.content.parts : undefined);
    const message: Record<string, unknown> = {
      role: 'assistant',
      content: parts.text || (parts.toolCalls.length > 0 ? null : parts.text),
    };
    if (parts.toolCalls.length > 0) message.tool_calls = parts.toolCalls;
    if (parts.reasoning) message.reasoning_content = parts.reasoning;
    return {
      index: typeof candidate.index === 'number' ? candidate.index : i,
      message,
      logprobs: null,
      finish_reason: finishReasonOf(candidate.finishReason, parts.toolCalls.length > 0),
    };
  });
  if (choices.length === 0) {
    // A blocked prompt has no candidates, only promptFeedback.blockReason.
    choices.push({ index: 0, message: { role: 'assistant', content: null }, logprobs: null, finish_reason: 'content_filter' });
  }
  return {
    id: typeof response.responseId === 'string' ? response.responseId : completionId(),
    object: 'chat.completion',
    created: unixSeconds(),
    model: typeof response.modelVersion === 'string' ? response.modelVersion : model,
    choices,
    usage: toUsage(response.usageMetadata),
  };
}
