// Where-and-how plumbing shared by the native adapters: JSON POSTs, streamed POSTs and GETs against
// the provider's pool, every failure mapped to ProviderError by upstream/call.ts.
import type { Dispatcher } from 'undici';
import { ProviderError, ProxyError } from '../../errors.js';
import { errorFromBody, send, sendJson, type CallTarget } from '../../upstream/call.js';
import type { AdapterDeps, AttemptContext, ModelInfo, Operation } from '../types.js';

export interface NativeHttp {
  target: CallTarget;
  postJson(path: string, body: unknown, ctx: AttemptContext): Promise<{ data: Record<string, unknown>; raw: Buffer }>;
  /** Resolves once the upstream answered 2xx; the body is left for the stream transform. */
  postStream(path: string, body: unknown, ctx: AttemptContext): Promise<Dispatcher.ResponseData>;
  getJson(path: string, signal: AbortSignal, timeoutMs?: number): Promise<Record<string, unknown>>;
}

/** A provider's native error answer rewritten as OpenAI's `{ error: { message, type, code, param } }`. */
export type ErrorMapper = (status: number, body: unknown) => { status: number; body: unknown };

/** An ErrorMapper that keeps the status and rewrites only the body. */
export const mapBody =
  (map: (body: unknown) => unknown): ErrorMapper =>
  (status, body) => ({ status, body: map(body) });

export function nativeHttp(deps: AdapterDeps, headers: Record<string, string>, mapError: ErrorMapper): NativeHttp {
  const target: CallTarget = { provider: deps.config.name, upstream: deps.upstream, secrets: deps.apiKey ? [deps.apiKey] : [] };
  // Upstream HTTP errors are rebuilt from the OpenAI-shaped body so message and type survive.
  const translated = <T>(promise: Promise<T>): Promise<T> =>
    promise.catch((error: unknown) => {
      if (error instanceof ProviderError && error.kind === 'http' && error.status !== null) {
        const mapped = mapError(error.status, error.body);
        throw errorFromBody(target, mapped.status, mapped.body, error.retryAfterMs);
      }
      throw error;
    });
  const base: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json', ...headers, ...deps.config.custom_headers };
  const withForwarded = (ctx: AttemptContext) => (ctx.forwardHeaders ? { ...base, ...ctx.forwardHeaders } : base);
  const encode = (body: unknown) => (Buffer.isBuffer(body) ? body : JSON.stringify(body));

  return {
    target,
    postJson: (path, body, ctx) =>
      translated(sendJson(target, {
        method: 'POST',
        path,
        headers: withForwarded(ctx),
        body: encode(body),
        signal: ctx.signal,
        headersTimeout: ctx.timeoutMs,
        bodyTimeout: ctx.timeoutMs,
      })),
    postStream: (path, body, ctx) =>
      translated(send(target, {
        method: 'POST',
        path,
        headers: { ...withForwarded(ctx), accept: 'text/event-stream' },
        body: encode(body),
        signal: ctx.signal,
        headersTimeout: ctx.timeoutMs,
        bodyTimeout: ctx.streamIdleMs,
      })),
    getJson: async (path, signal, timeoutMs = 10_000) =>
      (await translated(sendJson(target, { method: 'GET', path, headers: base, signal, headersTimeout: timeoutMs, bodyTimeout: timeoutMs }))).data,
  };
}

/** What an adapter answers for an operation its provider does not offer (the router never asks). */
export function unsupported(provider: string, operation: Operation): never {
  throw new ProxyError('invalid_request', `Provider '${provider}' does not support ${operation}`);
}

/** The configured model names (globs left out): the list when the live one cannot be had. */
export function configuredModels(models: readonly string[], owner: string): ModelInfo[] {
  return models.filter((m) => !/[*?[]/.test(m)).map((id) => ({ id, owned_by: owner }));
}

/** OpenAI's error body; `code` and `param` are stated (null) so every reader finds all four fields. */
export function openAiErrorBody(message: string, type?: string | null): { error: Record<string, unknown> } {
  return { error: { message, ...(type && { type }), code: null, param: null } };
}
