// The one factory behind every OpenAI-family provider. Pass-through fast path: the client's bytes go
// upstream unchanged when nothing in them must change, and the answer's bytes come back unchanged.
import { ProviderError } from '../../errors.js';
import { send, sendJson, type CallTarget } from '../../upstream/call.js';
import type { UpstreamRequest } from '../../upstream/pools.js';
import type { AdapterDeps, AttemptContext, ChunkStream, JsonResult, ModelInfo, Operation, ProviderAdapter } from '../types.js';
import { OPENAI_FAMILY, type OpenAiFamilyType } from './endpoints.js';
import { relayResponsesEvents } from './responses-stream.js';
import { relayOpenAiStream } from './stream.js';

export function createOpenAiCompatibleAdapter(deps: AdapterDeps): ProviderAdapter {
  const { config, apiKey, upstream } = deps;
  const family = OPENAI_FAMILY[config.type as OpenAiFamilyType];
  const target: CallTarget = { provider: config.name, upstream, secrets: apiKey ? [apiKey] : [] };
  const baseHeaders: Record<string, string> = {
    'content-type': 'application/json',
    accept: 'application/json',
    ...family.headers?.(deps.root.app.name),
    ...(apiKey && { authorization: `Bearer ${apiKey}` }),
    ...config.custom_headers,
  };
  const operations = new Set<Operation>(family.operations);

  const request = (path: string, body: unknown, ctx: AttemptContext, streaming: boolean): UpstreamRequest => {
    const model = (body as { model?: unknown }).model;
    return {
      method: 'POST',
      path,
      headers: ctx.forwardHeaders ? { ...baseHeaders, ...ctx.forwardHeaders } : baseHeaders,
      body: ctx.rawBody ?? JSON.stringify(model === ctx.model ? body : { ...(body as object), model: ctx.model }),
      signal: ctx.signal,
      headersTimeout: ctx.timeoutMs,
      bodyTimeout: streaming ? ctx.streamIdleMs : ctx.timeoutMs,
    };
  };

  const json = async (path: string, body: unknown, ctx: AttemptContext): Promise<JsonResult> => sendJson(target, request(path, body, ctx, false));

  const stream = async (path: string, body: unknown, ctx: AttemptContext): Promise<ChunkStream> => {
    const response = await send(target, request(path, body, ctx, true));
    return relayOpenAiStream(target, response);
  };

  const get = (path: string, signal: AbortSignal, timeoutMs = 10_000) =>
    sendJson(target, { method: 'GET', path, headers: baseHeaders, signal, headersTimeout: timeoutMs, bodyTimeout: timeoutMs });

  const responsesApi = config.responses_api ?? config.type === 'openai';
  const responsesBody = (body: Record<string, unknown>, stream: boolean): Record<string, unknown> => {
    const out = { ...body };
    if (stream) out.stream = true;
    else delete out.stream;
    return out;
  };

  return {
    name: config.name,
    type: config.type,
    operations,
    ...(responsesApi && {
      responses: (body: Record<string, unknown>, ctx: AttemptContext) => json('/responses', ctx.rawBody ? body : responsesBody(body, false), ctx),
      async responsesStream(body: Record<string, unknown>, ctx: AttemptContext) {
        const response = await send(target, request('/responses', ctx.rawBody ? body : responsesBody(body, true), ctx, true));
        return relayResponsesEvents(target, response.body);
      },
    }),
    chat: (req, ctx) => json('/chat/completions', req, ctx),
    chatStream: (req, ctx) => stream('/chat/completions', req, ctx),
    completions: (req, ctx) => json('/completions', req, ctx),
    completionsStream: (req, ctx) => stream('/completions', req, ctx),
    embeddings: (req, ctx) => json('/embeddings', req, ctx),
    images: (req, ctx) => json('/images/generations', req, ctx),

    async listModels(signal) {
      if (!family.listsModels) return configuredModels(config.models, config.name);
      const { data } = await get('/models', signal);
      const list = Array.isArray(data.data) ? data.data : [];
      return list
        .filter((m): m is { id: string } => typeof (m as { id?: unknown })?.id === 'string')
        .map((m) => {
          const model = m as { id: string; created?: number; owned_by?: string; context_length?: number };
          return { id: model.id, created: model.created, owned_by: model.owned_by ?? config.name, context_window: model.context_length };
        });
    },

    async healthCheck(signal) {
      if (family.listsModels) {
        await get('/models', signal);
        return;
      }
      // No model list to ask for: any HTTP answer short of a server error means the API is up.
      const response = await upstream
        .request({ method: 'GET', path: '/', headers: baseHeaders, signal, headersTimeout: 10_000, bodyTimeout: 10_000 })
        .catch((error: unknown) => {
          throw new ProviderError({ provider: config.name, status: null, kind: 'connect', retryable: true, message: `${config.name} could not be reached (${(error as Error).message})` });
        });
      await response.body.dump();
      if (response.statusCode >= 500) {
        throw new ProviderError({ provider: config.name, status: response.statusCode, kind: 'http', retryable: true, message: `${config.name} answered HTTP ${response.statusCode}` });
      }
    },

    close: () => upstream.close(),
  };
}

export function configuredModels(models: readonly string[], owner: string): ModelInfo[] {
  return models.filter((m) => !/[*?[]/.test(m)).map((id) => ({ id, owned_by: owner }));
}
