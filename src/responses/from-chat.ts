// A chat completion as a Responses API object: the assistant's text becomes a message item, each
// tool call a function_call item (its chat id as call_id), usage in input/output tokens.
import { randomBytes } from 'node:crypto';
import { isRecord } from '../providers/common/params.js';
import type { Usage } from '../providers/canonical.js';
import type { ResponseItem, ResponsesRequest } from './schema.js';

export const newId = (prefix: 'resp' | 'msg' | 'fc'): string => `${prefix}_${randomBytes(24).toString('hex')}`;

/** The response object without output, usage and status: what the request asked for, echoed. */
export function responseShell(body: ResponsesRequest, id: string, createdAt: number, model: string): Record<string, unknown> {
  return {
    id,
    object: 'response',
    created_at: createdAt,
    status: 'in_progress',
    background: false,
    error: null,
    incomplete_details: null,
    instructions: body.instructions ?? null,
    max_output_tokens: body.max_output_tokens ?? null,
    model,
    output: [],
    parallel_tool_calls: body.parallel_tool_calls ?? true,
    previous_response_id: body.previous_response_id ?? null,
    reasoning: { effort: body.reasoning?.effort ?? null, summary: null },
    store: body.store ?? true,
    temperature: body.temperature ?? 1,
    text: { format: body.text?.format ?? { type: 'text' } },
    tool_choice: body.tool_choice ?? 'auto',
    tools: body.tools ?? [],
    top_p: body.top_p ?? 1,
    truncation: 'disabled',
    usage: null,
    user: body.user ?? null,
    metadata: body.metadata ?? {},
  };
}

/** Chat usage in the Responses API's terms. */
export function responsesUsage(usage: unknown): Record<string, unknown> {
  const u = isRecord(usage) ? usage : {};
  const input = Number(u.prompt_tokens ?? 0);
  const output = Number(u.completion_tokens ?? 0);
  const cached = isRecord(u.prompt_tokens_details) ? Number(u.prompt_tokens_details.cached_tokens ?? 0) : 0;
  const reasoning = isRecord(u.completion_tokens_details) ? Number(u.completion_tokens_details.reasoning_tokens ?? 0) : 0;
  return {
    input_tokens: input,
    input_tokens_details: { cached_tokens: cached },
    output_tokens: output,
    output_tokens_details: { reasoning_tokens: reasoning },
    total_tokens: Number(u.total_tokens ?? input + output),
  };
}

/** Responses usage in chat terms: what metrics, cost and logs count. */
export function chatUsage(usage: unknown): Usage | null {
  if (!isRecord(usage)) return null;
  const input = Number(usage.input_tokens ?? 0);
  const output = Number(usage.output_tokens ?? 0);
  const out: Usage = { prompt_tokens: input, completion_tokens: output, total_tokens: Number(usage.total_tokens ?? input + output) };
  if (isRecord(usage.input_tokens_details)) out.prompt_tokens_details = { cached_tokens: Number(usage.input_tokens_details.cached_tokens ?? 0) };
  if (isRecord(usage.output_tokens_details)) out.completion_tokens_details = { reasoning_tokens: Number(usage.output_tokens_details.reasoning_tokens ?? 0) };
  return out;
}

export const messageItem = (id: string, text: string, status = 'completed'): ResponseItem => ({
  id,
  type: 'message',
  status,
  role: 'assistant',
  content: text === '' && status === 'in_progress' ? [] : [{ type: 'output_text', text, annotations: [], logprobs: [] }],
});

export const functionCallItem = (id: string, callId: string, name: string, args: string, status = 'completed'): ResponseItem => ({
  id,
  type: 'function_call',
  status,
  arguments: args,
  call_id: callId,
  name,
});

/** `incomplete` with its reason when the model stopped on its token limit or a filter. */
export function completion(finishReason: unknown): { status: string; incomplete_details: { reason: string } | null } {
  if (finishReason === 'length') return { status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' } };
  if (finishReason === 'content_filter') return { status: 'incomplete', incomplete_details: { reason: 'content_filter' } };
  return { status: 'completed', incomplete_details: null };
}

export function chatToResponse(data: Record<string, unknown>, body: ResponsesRequest, model: string): Record<string, unknown> {
  const choice = Array.isArray(data.choices) ? data.choices.find((c) => isRecord(c) && (c.index ?? 0) === 0) : undefined;
  const message = isRecord(choice) && isRecord(choice.message) ? choice.message : {};
  const output: ResponseItem[] = [];
  const text = typeof message.content === 'string' ? message.content : '';
  if (text || !Array.isArray(message.tool_calls) || message.tool_calls.length === 0) output.push(messageItem(newId('msg'), text));
  for (const call of Array.isArray(message.tool_calls) ? message.tool_calls.filter(isRecord) : []) {
    const fn = isRecord(call.function) ? call.function : {};
    output.push(functionCallItem(newId('fc'), String(call.id ?? newId('fc')), String(fn.name ?? ''), typeof fn.arguments === 'string' ? fn.arguments : '{}'));
  }
  const created = typeof data.created === 'number' ? data.created : Math.floor(Date.now() / 1000);
  return {
    ...responseShell(body, newId('resp'), created, typeof data.model === 'string' ? data.model : model),
    ...completion(isRecord(choice) ? choice.finish_reason : null),
    output,
    usage: responsesUsage(data.usage),
  };
}
