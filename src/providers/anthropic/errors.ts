// Anthropic's error vocabulary: `{type: "error", error: {type, message}}` bodies in OpenAI's shape,
// and the HTTP status each error type stands for when it arrives inside a stream.
import { openAiErrorBody } from '../common/http.js';
import { isRecord } from '../common/params.js';

const ERROR_STATUS: Record<string, number> = {
  invalid_request_error: 400,
  authentication_error: 401,
  billing_error: 402,
  permission_error: 403,
  not_found_error: 404,
  request_too_large: 413,
  rate_limit_error: 429,
  api_error: 500,
  timeout_error: 504,
  overloaded_error: 529,
};

export function anthropicErrorStatus(type: unknown): number {
  return (typeof type === 'string' && ERROR_STATUS[type]) || 500;
}

export function anthropicErrorBody(body: unknown): unknown {
  if (!isRecord(body) || !isRecord(body.error)) return body;
  const { type, message } = body.error;
  return openAiErrorBody(typeof message === 'string' ? message : JSON.stringify(body.error), typeof type === 'string' ? type : null);
}
