// Cohere's error bodies (`{id?, message}`) in OpenAI's shape.
import { openAiErrorBody } from '../common/http.js';
import { isRecord } from '../common/params.js';

export function cohereErrorBody(body: unknown): unknown {
  if (!isRecord(body) || typeof body.message !== 'string') return body;
  return openAiErrorBody(body.message);
}
