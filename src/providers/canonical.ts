// OpenAI's request formats, the lingua franca every route accepts and every adapter translates from.
// Objects are loose: fields we do not know pass through to the provider untouched.
import { z } from 'zod';

export const MODEL_NAME = /^[A-Za-z0-9._:/@+-]+$/;

const model = z
  .string({ error: 'model is required and must be a string' })
  .min(1, 'model must not be empty')
  .max(100, 'model must be at most 100 characters')
  .regex(MODEL_NAME, 'model may contain only letters, digits and . _ : / @ + -');

const contentPart = z.object({ type: z.string() }).loose();

const toolCall = z
  .object({
    id: z.string(),
    type: z.string().default('function'),
    function: z.object({ name: z.string(), arguments: z.string() }).loose(),
  })
  .loose();

export const chatMessageSchema = z
  .object({
    role: z.enum(['system', 'developer', 'user', 'assistant', 'tool', 'function']),
    content: z.union([z.string(), z.array(contentPart), z.null()]).optional(),
    name: z.string().optional(),
    tool_calls: z.array(toolCall).optional(),
    tool_call_id: z.string().optional(),
  })
  .loose()
  .superRefine((message, ctx) => {
    const hasContent = message.content !== undefined && message.content !== null;
    const hasCalls = Array.isArray(message.tool_calls) && message.tool_calls.length > 0;
    if (!hasContent && !(message.role === 'assistant' && (hasCalls || 'function_call' in message))) {
      ctx.addIssue({ code: 'custom', path: ['content'], message: 'content is required unless the assistant message has tool_calls' });
    }
    if (message.role === 'tool' && !message.tool_call_id) {
      ctx.addIssue({ code: 'custom', path: ['tool_call_id'], message: 'tool messages need tool_call_id' });
    }
  });

const sampling = {
  temperature: z.number().min(0).max(2).nullable().optional(),
  top_p: z.number().min(0).max(1).nullable().optional(),
  n: z.number().int().min(1).nullable().optional(),
  max_tokens: z.number().int().positive().nullable().optional(),
  presence_penalty: z.number().min(-2).max(2).nullable().optional(),
  frequency_penalty: z.number().min(-2).max(2).nullable().optional(),
  logit_bias: z.record(z.string(), z.number().min(-100).max(100)).nullable().optional(),
  stop: z.union([z.string(), z.array(z.string()).max(4)]).nullable().optional(),
  stream: z.boolean().nullable().optional(),
  stream_options: z.object({ include_usage: z.boolean().optional() }).loose().nullable().optional(),
  user: z.string().optional(),
  seed: z.number().int().nullable().optional(),
};

export const chatRequestSchema = z
  .object({
    model,
    messages: z.array(chatMessageSchema).min(1, 'messages must contain at least one message'),
    ...sampling,
    max_completion_tokens: z.number().int().positive().nullable().optional(),
    tools: z
      .array(
        z
          .object({
            type: z.string(),
            function: z.object({ name: z.string(), description: z.string().optional(), parameters: z.unknown().optional() }).loose(),
          })
          .loose(),
      )
      .optional(),
    tool_choice: z.union([z.string(), z.object({ type: z.string() }).loose()]).optional(),
    response_format: z.object({ type: z.string() }).loose().optional(),
  })
  .loose();

export const completionRequestSchema = z
  .object({
    model,
    prompt: z.union([z.string(), z.array(z.string()), z.array(z.number()), z.array(z.array(z.number()))]),
    ...sampling,
    echo: z.boolean().nullable().optional(),
    best_of: z.number().int().min(1).nullable().optional(),
    suffix: z.string().nullable().optional(),
  })
  .loose();

export const embeddingRequestSchema = z
  .object({
    model,
    input: z.union([
      z.string(),
      z.array(z.string()).min(1, 'input must not be empty'),
      z.array(z.number()).min(1),
      z.array(z.array(z.number())).min(1),
    ]),
    encoding_format: z.enum(['float', 'base64']).optional(),
    dimensions: z.number().int().positive().optional(),
    user: z.string().optional(),
  })
  .loose();

export const imageRequestSchema = z
  .object({
    model,
    prompt: z.string().min(1, 'prompt must not be empty'),
    n: z.number().int().min(1).max(10).nullable().optional(),
    size: z.string().nullable().optional(),
    quality: z.string().optional(),
    response_format: z.enum(['url', 'b64_json']).nullable().optional(),
    style: z.string().nullable().optional(),
    user: z.string().optional(),
  })
  .loose();

export type ChatMessage = z.infer<typeof chatMessageSchema>;
export type ChatRequest = z.infer<typeof chatRequestSchema>;
export type CompletionRequest = z.infer<typeof completionRequestSchema>;
export type EmbeddingRequest = z.infer<typeof embeddingRequestSchema>;
export type ImageRequest = z.infer<typeof imageRequestSchema>;

/** OpenAI's usage block, the unit every adapter reports tokens in. */
export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  [extra: string]: unknown;
}

/** Maps provider stop reasons to OpenAI finish_reason values: one central table (STYLE.md). */
export const FINISH_REASONS: Record<string, 'stop' | 'length' | 'tool_calls' | 'content_filter'> = {
  // OpenAI family
  stop: 'stop',
  length: 'length',
  tool_calls: 'tool_calls',
  function_call: 'tool_calls',
  content_filter: 'content_filter',
  // Anthropic
  end_turn: 'stop',
  stop_sequence: 'stop',
  max_tokens: 'length',
  tool_use: 'tool_calls',
  pause_turn: 'stop',
  refusal: 'content_filter',
  model_context_window_exceeded: 'length',
  // Gemini
  STOP: 'stop',
  MAX_TOKENS: 'length',
  SAFETY: 'content_filter',
  RECITATION: 'content_filter',
  BLOCKLIST: 'content_filter',
  PROHIBITED_CONTENT: 'content_filter',
  SPII: 'content_filter',
  IMAGE_SAFETY: 'content_filter',
  MALFORMED_FUNCTION_CALL: 'stop',
  LANGUAGE: 'stop',
  OTHER: 'stop',
  FINISH_REASON_UNSPECIFIED: 'stop',
  // Cohere
  COMPLETE: 'stop',
  STOP_SEQUENCE: 'stop',
  TOOL_CALL: 'tool_calls',
  ERROR: 'stop',
  TIMEOUT: 'stop',
};

export function toFinishReason(reason: string | null | undefined): 'stop' | 'length' | 'tool_calls' | 'content_filter' | null {
  if (reason === null || reason === undefined) return null;
  return FINISH_REASONS[reason] ?? 'stop';
}
