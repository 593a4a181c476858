// Azure OpenAI's error answers in OpenAI's shape. Content-filter refusals (the prompt tripped Azure's
// content management policy) become 400 invalid_request errors carrying Azure's message.
import { isRecord } from '../common/params.js';
import type { ErrorMapper } from '../common/http.js';

const FILTER_CODES = new Set(['content_filter', 'contentFilter', 'content_policy_violation', 'ResponsibleAIPolicyViolation']);

export const azureError: ErrorMapper = (status, body) => {
  if (!isRecord(body) || !isRecord(body.error)) return { status, body };
  const error = body.error;
  const inner = isRecord(error.innererror) ? error.innererror : {};
  const message = typeof error.message === 'string' ? error.message : `HTTP ${status}`;
  const filtered = FILTER_CODES.has(String(error.code)) || FILTER_CODES.has(String(inner.code));
  return {
    status: filtered ? 400 : status,
    body: {
      error: {
        message,
        ...(filtered ? { type: 'invalid_request_error' } : typeof error.type === 'string' ? { type: error.type } : {}),
        code: filtered ? 'content_filter' : null,
        param: typeof error.param === 'string' ? error.param : null,
      },
    },
  };
};
