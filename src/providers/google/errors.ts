// Google's error bodies (`{error: {code, message, status}}`, sometimes wrapped in an array by the
// streaming endpoint) in OpenAI's shape.
import { openAiErrorBody } from '../common/http.js';
import { isRecord } from '../common/params.js';

export function googleErrorBody(body: unknown): unknown {
  const first = Array.isArray(body) ? body[0] : body;
  if (!isRecord(first) || !isRecord(first.error)) return body;
  const { message, status } = first.error;
  return openAiErrorBody(typeof message === 'string' ? message : JSON.stringify(first.error), typeof status === 'string' ? status : null);
}

/** The HTTP status an error inside a stream stands for (its `code`, else 500). */
export function googleErrorStatus(body: Record<string, unknown>): number {
  const code = isRecord(body.error) ? body.error.code : undefined;
  return typeof code === 'number' && code >= 400 && code < 600 ? code : 500;
}
