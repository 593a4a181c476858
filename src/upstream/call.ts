// Performs one upstream HTTP exchange and turns every way it can fail into a ProviderError: network
// errors, timeouts, and non-2xx answers (with the upstream's message, and Retry-After honoured).
import type { Dispatcher } from 'undici';
import { z } from 'zod';
import { ProviderError, isRetryableStatus, type FailureKind } from '../errors.js';
import type { BufferedResponse, Upstream, UpstreamRequest } from './pools.js';
import { looksLikeObject, RawJson } from './raw-json.js';

export interface CallTarget {
  provider: string;
  upstream: Upstream;
  /** Secrets that must never appear in an error message relayed to a client. */
  secrets: readonly string[];
}

/** Sends the request; resolves with a 2xx response whose body is still unread. */
export async function send(target: CallTarget, req: UpstreamRequest): Promise<Dispatcher.ResponseData> {
  let response: Dispatcher.ResponseData;
  try {
    response = await target.upstream.request(req);
  } catch (error) {
    throw networkError(target.provider, error);
  }
  if (response.statusCode >= 200 && response.statusCode < 300) return response;
  throw await httpError(target, response);
}

/**
 * Sends the request and reads a JSON answer as bytes for pass-through. A body that does not even look
 * like a JSON object fails the attempt (so the router can retry or fall back); the full parse waits
 * until something reads `data`.
 */
export async function sendJson(target: CallTarget, req: UpstreamRequest): Promise<RawJson> {
  let response: BufferedResponse;
  try {
    response = await target.upstream.requestBuffered(req);
  } catch (error) {
    throw networkError(target.provider, error);
  }
  if (response.statusCode < 200 || response.statusCode >= 300) {
    throw errorFromText(target, response.statusCode, response.body.toString('utf8'), response.headers());
  }
  const raw = response.body;
  const notJson = () =>
    new ProviderError({
      provider: target.provider,
      status: response.statusCode,
      kind: 'protocol',
      retryable: true,
      message: `${target.provider} returned a body that is not a JSON object`,
    });
  if (!looksLikeObject(raw)) throw notJson();
  return new RawJson(raw, (bytes) => {
    try {
      const data: unknown = JSON.parse(bytes.toString('utf8'));
      if (data && typeof data === 'object' && !Array.isArray(data)) return data as Record<string, unknown>;
    } catch {
      // the protocol error below
    }
    throw notJson();
  });
}

const NETWORK_KINDS: Record<string, FailureKind> = {
  UND_ERR_CONNECT_TIMEOUT: 'timeout',
  UND_ERR_HEADERS_TIMEOUT: 'timeout',
  UND_ERR_BODY_TIMEOUT: 'timeout',
  ETIMEDOUT: 'timeout',
  UND_ERR_SOCKET: 'reset',
  ECONNRESET: 'reset',
  EPIPE: 'reset',
  UND_ERR_CLOSED: 'reset',
  ECONNREFUSED: 'connect',
  ENOTFOUND: 'connect',
  EAI_AGAIN: 'connect',
  EHOSTUNREACH: 'connect',
  ENETUNREACH: 'connect',
};

/** Maps a thrown network error; a client abort stays an AbortError so the router stops at once. */
export function networkError(provider: string, error: unknown): Error {
  if (error instanceof ProviderError) return error;
  const err = error as { name?: string; code?: string; message?: string; cause?: { code?: string } };
  if (err?.name === 'AbortError' || err?.code === 'UND_ERR_ABORTED') return error as Error;
  const code = err?.code ?? err?.cause?.code ?? '';
  const kind = NETWORK_KINDS[code] ?? 'connect';
  const what = kind === 'timeout' ? 'timed out' : kind === 'reset' ? 'connection was reset' : 'could not be reached';
  return new ProviderError({
    provider,
    status: null,
    kind,
    retryable: true,
    message: `${provider} ${what} (${code || err?.message || 'network error'})`,
  });
}

const errorBodySchema = z
  .object({
    error: z
      .union([
        z.string(),
        z.object({ message: z.string().optional(), type: z.string().nullish(), status: z.string().nullish(), code: z.unknown().optional(), param: z.unknown().optional() }).loose(),
      ])
      .optional(),
    message: z.string().optional(),
    detail: z.unknown().optional(),
  })
  .loose();

async function httpError(target: CallTarget, response: Dispatcher.ResponseData): Promise<ProviderError> {
  let text = '';
  try {
    text = await response.body.text();
  } catch {
    // the status alone will have to do
  }
  return errorFromText(target, response.statusCode, text, response.headers);
}

/** The ProviderError for a non-2xx answer whose body was read as text (JSON when it parses). */
function errorFromText(target: CallTarget, status: number, text: string, headers: Record<string, string | string[] | undefined>): ProviderError {
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  return errorFromBody(target, status, body, retryAfterMs(headers));
}

/** Builds the ProviderError for an upstream error body (also used for error events inside streams). */
export function errorFromBody(target: Pick<CallTarget, 'provider' | 'secrets'>, status: number, body: unknown, retryAfter: number | null = null): ProviderError {
  const parsed = errorBodySchema.safeParse(body);
  let message = `HTTP ${status}`;
  let type: string | null = null;
  let code: string | null = null;
  let param: string | null = null;
  if (parsed.success) {
    const { error } = parsed.data;
    if (typeof error === 'string') message = error;
    else if (error) {
      message = error.message ?? message;
      type = error.type ?? error.status ?? null;
      code = typeof error.code === 'string' ? error.code : null;
      param = typeof error.param === 'string' ? error.param : null;
    } else if (parsed.data.message) message = parsed.data.message;
    else if (typeof parsed.data.detail === 'string') message = parsed.data.detail;
  } else if (typeof body === 'string' && body.trim()) {
    message = body.trim().slice(0, 500);
  }
  return new ProviderError({
    provider: target.provider,
    status,
    kind: 'http',
    retryable: isRetryableStatus(status),
    retryAfterMs: retryAfter,
    message: redact(message, target.secrets),
    body,
    type,
    code,
    param,
  });
}

export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) {
    if (secret && secret.length >= 4 && out.includes(secret)) out = out.split(secret).join('***');
  }
  return out;
}

/** `retry-after-ms`, then `retry-after` in seconds or as an HTTP date. */
export function retryAfterMs(headers: Record<string, string | string[] | undefined>): number | null {
  const ms = headerValue(headers['retry-after-ms']);
  if (ms !== undefined) {
    const value = Number(ms);
    if (Number.isFinite(value) && value >= 0) return value;
  }
  const after = headerValue(headers['retry-after']);
  if (after === undefined) return null;
  const seconds = Number(after);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(after);
  return Number.isNaN(date) ? null : Math.max(0, date - Date.now());
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
