// What to send: an OpenAI chat request as a Gemini generateContent body. Sampling settings go into
// generationConfig, tools into functionDeclarations; Gemini-native fields a client added pass
// through; the rest are dropped (drop_params).
import type { Logger } from 'pino';
import type { ChatRequest } from '../canonical.js';
import { isRecord, logDropped, stopList } from '../common/params.js';
import { toGeminiConversation } from './contents.js';
import { toGeminiParameters, toGeminiSchema } from './schema.js';

const HANDLED = new Set([
  'model',
  'messages',
  'temperature',
  'top_p',
  'top_k',
  'max_tokens',
  'max_completion_tokens',
  'stop',
  'n',
  'presence_penalty',
  'frequency_penalty',
  'seed',
  'logprobs',
  'top_logprobs',
  'response_format',
  'reasoning_effort',
  'tools',
  'tool_choice',
  'stream',
  'stream_options',
  // Gemini-native, in either spelling
  'safety_settings',
  'safetySettings',
  'cached_content',
  'cachedContent',
  'thinking_config',
  'thinkingConfig',
  'labels',
]);

/** OpenAI reasoning_effort as a Gemini thinking budget (tokens). */
const THINKING_BUDGET: Record<string, number> = { none: 0, minimal: 512, low: 1024, medium: 8192, high: 24_576 };

export interface GoogleRequestOptions {
  logger: Logger;
  provider: string;
}

export function toGeminiRequest(request: ChatRequest, options: GoogleRequestOptions): Record<string, unknown> {
  const r = request as Record<string, unknown>;
  const body: Record<string, unknown> = { ...toGeminiConversation(request.messages) };
  const config: Record<string, unknown> = {};

  if (typeof request.temperature === 'number') config.temperature = request.temperature;
  if (typeof request.top_p === 'number') config.topP = request.top_p;
  if (typeof r.top_k === 'number') config.topK = r.top_k;
  const maxTokens = request.max_tokens ?? request.max_completion_tokens;
  if (typeof maxTokens === 'number') config.maxOutputTokens = maxTokens;
  const stop = stopList(request.stop);
  if (stop) config.stopSequences = stop;
  if (typeof request.n === 'number' && request.n > 1) config.candidateCount = request.n;
  if (typeof request.presence_penalty === 'number') config.presencePenalty = request.presence_penalty;
  if (typeof request.frequency_penalty === 'number') config.frequencyPenalty = request.frequency_penalty;
  if (typeof request.seed === 'number') config.seed = request.seed;
  if (r.logprobs === true) {
    config.responseLogprobs = true;
    if (typeof r.top_logprobs === 'number') config.logprobs = r.top_logprobs;
  }

  const format = request.response_format;
  if (format?.type === 'json_object') config.responseMimeType = 'application/json';
  else if (format?.type === 'json_schema') {
    config.responseMimeType = 'application/json';
    const schema = isRecord(format.json_schema) ? format.json_schema.schema : undefined;
    if (isRecord(schema)) config.responseSchema = toGeminiSchema(schema);
  }

  const thinking = r.thinking_config ?? r.thinkingConfig;
  const effort = r.reasoning_effort;
  if (isRecord(thinking)) config.thinkingConfig = thinking;
  else if (typeof effort === 'string' && effort in THINKING_BUDGET) {
    const budget = THINKING_BUDGET[effort];
    config.thinkingConfig = { thinkingBudget: budget, ...(budget > 0 && { includeThoughts: true }) };
  }

  if (Object.keys(config).length > 0) body.generationConfig = config;
  Object.assign(body, toolFields(request));

  const safety = r.safety_settings ?? r.safetySettings;
  if (Array.isArray(safety)) body.safetySettings = safety;
  const cached = r.cached_content ?? r.cachedContent;
  if (typeof cached === 'string') body.cachedContent = cached;
  if (isRecord(r.labels)) body.labels = r.labels;

  logDropped(r, HANDLED, options.logger, options.provider);
  return body;
}

function toolFields(request: ChatRequest): Record<string, unknown> {
  const declarations = (request.tools ?? [])
    .filter((tool) => tool.type === 'function')
    .map((tool) => {
      const parameters = toGeminiParameters(tool.function.parameters);
      return {
        name: tool.function.name,
        ...(tool.function.description && { description: tool.function.description }),
        ...(parameters && { parameters }),
      };
    });
  if (declarations.length === 0) return {};
  const out: Record<string, unknown> = { tools: [{ functionDeclarations: declarations }] };
  const choice = request.tool_choice;
  if (choice === 'none') out.toolConfig = { functionCallingConfig: { mode: 'NONE' } };
  else if (choice === 'required') out.toolConfig = { functionCallingConfig: { mode: 'ANY' } };
  else if (choice === 'auto') out.toolConfig = { functionCallingConfig: { mode: 'AUTO' } };
  else if (isRecord(choice) && isRecord(choice.function) && typeof choice.function.name === 'string') {
    out.toolConfig = { functionCallingConfig: { mode: 'ANY', allowedFunctionNames: [choice.function.name] } };
  }
  return out;
}
