// The Anthropic adapter: OpenAI chat requests translated to the Messages API and back (plain and
// streamed), plus the untranslated Messages pass-through used by the inbound /v1/messages route.
import type { ChatRequest } from '../canonical.js';
import { wantsUsage } from '../common/chunks.js';
import { configuredModels, mapBody, nativeHttp, unsupported } from '../common/http.js';
import { transformSse } from '../common/stream.js';
import type { AdapterDeps, AttemptContext, ModelInfo, Operation, ProviderAdapter } from '../types.js';
import { ANTHROPIC_PATHS, anthropicHeaders } from './endpoints.js';
import { anthropicErrorBody } from './errors.js';
import { passThroughBody, relayAnthropicEvents } from './passthrough.js';
import { toAnthropicRequest } from './request.js';
import { toChatCompletion } from './response.js';
import { AnthropicStreamTransform } from './stream.js';

const OPERATIONS: readonly Operation[] = ['chat', 'messages'];

export function createAnthropicAdapter(deps: AdapterDeps): ProviderAdapter {
  const { config, logger, root } = deps;
  const http = nativeHttp(deps, anthropicHeaders(deps), mapBody(anthropicErrorBody));

  const body = (request: ChatRequest, ctx: AttemptContext, stream: boolean) =>
    toAnthropicRequest(request, {
      model: ctx.model,
      defaultMaxTokens: root.model_overrides[ctx.model]?.max_tokens ?? root.model_overrides[request.model]?.max_tokens,
      stream,
      logger,
      provider: config.name,
    });

  return {
    name: config.name,
    type: config.type,
    operations: new Set(OPERATIONS),

    async chat(request, ctx) {
      const { data } = await http.postJson(ANTHROPIC_PATHS.messages, body(request, ctx, false), ctx);
      return { data: toChatCompletion(data, ctx.model) };
    },

    async chatStream(request, ctx) {
      const response = await http.postStream(ANTHROPIC_PATHS.messages, body(request, ctx, true), ctx);
      return transformSse(http.target, response.body, new AnthropicStreamTransform(config.name, ctx.model, wantsUsage(request)));
    },

    async messages(request, ctx) {
      return http.postJson(ANTHROPIC_PATHS.messages, passThroughBody(request, ctx, false), ctx);
    },

    async messagesStream(request, ctx) {
      const response = await http.postStream(ANTHROPIC_PATHS.messages, passThroughBody(request, ctx, true), ctx);
      return relayAnthropicEvents(http.target, response.body);
    },

    completions: () => unsupported(config.name, 'completions'),
    completionsStream: () => unsupported(config.name, 'completions'),
    embeddings: () => unsupported(config.name, 'embeddings'),
    images: () => unsupported(config.name, 'images'),

    async listModels(signal) {
      const models: ModelInfo[] = [];
      let after: string | null = null;
      // Paged by after_id; a handful of pages covers every account.
      for (let page = 0; page < 10; page++) {
        const query = `?limit=1000${after ? `&after_id=${encodeURIComponent(after)}` : ''}`;
        const data = await http.getJson(ANTHROPIC_PATHS.models + query, signal);
        const list = Array.isArray(data.data) ? data.data : [];
        for (const m of list as { id?: unknown; created_at?: unknown }[]) {
          if (typeof m?.id !== 'string') continue;
          const created = typeof m.created_at === 'string' ? Math.floor(Date.parse(m.created_at) / 1000) : undefined;
          models.push({ id: m.id, owned_by: 'anthropic', ...(created && Number.isFinite(created) && { created }) });
        }
        if (data.has_more !== true || typeof data.last_id !== 'string') break;
        after = data.last_id;
      }
      return models.length > 0 ? models : configuredModels(config.models, config.name);
    },

    async healthCheck(signal) {
      await http.getJson(`${ANTHROPIC_PATHS.models}?limit=1`, signal);
    },

    close: () => deps.upstream.close(),
  };
}
