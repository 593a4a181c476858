// What to send: an OpenAI chat request as an Anthropic Messages API body. Parameters Anthropic has
// are mapped; Anthropic-native ones a client added pass through; the rest are dropped (drop_params).
import type { Logger } from 'pino';
import type { ChatRequest } from '../canonical.js';
import { isRecord, logDropped, stopList } from '../common/params.js';
import { toAnthropicConversation } from './messages.js';

export const DEFAULT_MAX_TOKENS = 4096;

/** Anthropic-native parameters a client may put in an OpenAI-format request; sent as given. */
const NATIVE = ['top_k', 'thinking', 'metadata', 'output_config', 'container', 'mcp_servers', 'context_management', 'inference_geo'];

const HANDLED = new Set([
  'model',
  'messages',
  'max_tokens',
  'max_completion_tokens',
  'stop',
  'temperature',
  'top_p',
  'user',
  'tools',
  'tool_choice',
  'parallel_tool_calls',
  'stream',
  'stream_options',
  'response_format',
  'reasoning_effort',
  ...NATIVE,
]);

/** OpenAI reasoning_effort as an extended-thinking budget. */
const THINKING_BUDGET: Record<string, number> = { minimal: 1024, low: 1024, medium: 4096, high: 16_384 };

export interface AnthropicRequestOptions {
  model: string;
  /** From model_overrides, used when the request gives none. */
  defaultMaxTokens?: number;
  stream: boolean;
  logger: Logger;
  provider: string;
}

export function toAnthropicRequest(request: ChatRequest, options: AnthropicRequestOptions): Record<string, unknown> {
  const { system, messages } = toAnthropicConversation(request.messages);
  const explicitMax = request.max_tokens ?? request.max_completion_tokens ?? undefined;
  const body: Record<string, unknown> = {
    model: options.model,
    messages,
    max_tokens: explicitMax ?? options.defaultMaxTokens ?? DEFAULT_MAX_TOKENS,
  };
  if (system.length > 0) body.system = system.every((b) => !('cache_control' in b)) ? system.map((b) => b.text).join('\n\n') : system;
  if (options.stream) body.stream = true;

  const stop = stopList(request.stop);
  if (stop) body.stop_sequences = stop;
  // Anthropic's temperature range is 0..1, OpenAI's 0..2.
  if (typeof request.temperature === 'number') body.temperature = Math.min(request.temperature, 1);
  if (typeof request.top_p === 'number') body.top_p = request.top_p;
  if (request.user) body.metadata = { user_id: request.user };

  for (const key of NATIVE) {
    const value = (request as Record<string, unknown>)[key];
    if (value !== undefined && value !== null) body[key] = key === 'metadata' && isRecord(value) ? { ...(body.metadata as object), ...value } : value;
  }

  const effort = (request as { reasoning_effort?: unknown }).reasoning_effort;
  if (body.thinking === undefined && typeof effort === 'string' && THINKING_BUDGET[effort]) {
    const budget = THINKING_BUDGET[effort];
    body.thinking = { type: 'enabled', budget_tokens: budget };
    // The budget must fit inside max_tokens; only a default (not the client's own value) is raised.
    if (explicitMax === undefined && (body.max_tokens as number) <= budget) body.max_tokens = budget + DEFAULT_MAX_TOKENS;
  }
  if (isRecord(body.thinking) && body.thinking.type === 'enabled') {
    // Extended thinking accepts neither a modified temperature nor top_k.
    delete body.temperature;
    delete body.top_k;
  }

  const format = request.response_format;
  if (format?.type === 'json_schema' && isRecord(format.json_schema) && isRecord(format.json_schema.schema)) {
    body.output_config = { ...(isRecord(body.output_config) ? body.output_config : {}), format: { type: 'json_schema', schema: format.json_schema.schema } };
  } else if (format && format.type !== 'text') {
    options.logger.debug({ provider: options.provider, response_format: format.type }, 'response_format has no Anthropic equivalent; dropped');
  }

  Object.assign(body, toolFields(request));
  logDropped(request as Record<string, unknown>, HANDLED, options.logger, options.provider);
  return body;
}

function toolFields(request: ChatRequest): Record<string, unknown> {
  const tools = (request.tools ?? []).map((tool) => {
    // Non-function tools are Anthropic server tools (web_search_…) a client sent natively.
    if (tool.type !== 'function') return tool as Record<string, unknown>;
    const fn = tool.function;
    return {
      name: fn.name,
      ...(fn.description && { description: fn.description }),
      input_schema: isRecord(fn.parameters) ? fn.parameters : { type: 'object', properties: {} },
      ...(isRecord(tool.cache_control) && { cache_control: tool.cache_control }),
    };
  });
  if (tools.length === 0) return {};
  const out: Record<string, unknown> = { tools };
  const choice = toolChoice(request.tool_choice);
  const parallel = (request as { parallel_tool_calls?: unknown }).parallel_tool_calls;
  if (choice || parallel === false) {
    const base = choice ?? { type: 'auto' };
    out.tool_choice = parallel === false && base.type !== 'none' ? { ...base, disable_parallel_tool_use: true } : base;
  }
  return out;
}

function toolChoice(choice: ChatRequest['tool_choice']): Record<string, unknown> | undefined {
  if (choice === undefined) return undefined;
  if (typeof choice === 'string') {
    if (choice === 'required') return { type: 'any' };
    if (choice === 'none') return { type: 'none' };
    return { type: 'auto' };
  }
  const fn = (choice as { function?: { name?: unknown } }).function;
  if (choice.type === 'function' && typeof fn?.name === 'string') return { type: 'tool', name: fn.name };
  return { type: 'auto' };
}
