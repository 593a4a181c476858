// OpenAI's Responses API request (POST /v1/responses), as far as the gateway reads it. Loose like the
// chat schema: fields we do not know travel to a pass-through provider untouched.
import { z } from 'zod';
import { MODEL_NAME } from '../providers/canonical.js';

const item = z.object({ type: z.string().optional() }).loose();

export const responsesRequestSchema = z
  .object({
    model: z
      .string({ error: 'model is required and must be a string' })
      .min(1, 'model must not be empty')
      .max(100, 'model must be at most 100 characters')
      .regex(MODEL_NAME, 'model may contain only letters, digits and . _ : / @ + -'),
    input: z.union([z.string(), z.array(item)]).optional(),
    instructions: z.string().nullable().optional(),
    previous_response_id: z.string().min(1).nullable().optional(),
    store: z.boolean().nullable().optional(),
    stream: z.boolean().nullable().optional(),
    tools: z.array(z.object({ type: z.string() }).loose()).optional(),
    tool_choice: z.union([z.string(), z.object({ type: z.string() }).loose()]).optional(),
    parallel_tool_calls: z.boolean().nullable().optional(),
    max_output_tokens: z.number().int().positive().nullable().optional(),
    temperature: z.number().min(0).max(2).nullable().optional(),
    top_p: z.number().min(0).max(1).nullable().optional(),
    text: z.object({ format: z.object({ type: z.string() }).loose().optional() }).loose().nullable().optional(),
    reasoning: z.object({ effort: z.string().nullable().optional() }).loose().nullable().optional(),
    metadata: z.record(z.string(), z.string()).nullable().optional(),
    user: z.string().optional(),
  })
  .loose()
  .superRefine((body, ctx) => {
    if (body.input === undefined && !body.previous_response_id) {
      ctx.addIssue({ code: 'custom', path: ['input'], message: 'input is required' });
    }
  });

export type ResponsesRequest = z.infer<typeof responsesRequestSchema>;
/** One input or output item (message, function_call, function_call_output, …), as sent. */
export type ResponseItem = Record<string, unknown>;
