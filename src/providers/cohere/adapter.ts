// The Cohere adapter: chat (plain and streamed) through /v2/chat, embeddings through /v2/embed.
import { wantsUsage } from '../common/chunks.js';
import { configuredModels, mapBody, nativeHttp, unsupported } from '../common/http.js';
import { transformSse } from '../common/stream.js';
import type { AdapterDeps, Operation, ProviderAdapter } from '../types.js';
import { toEmbedRequest, toEmbeddingList } from './embeddings.js';
import { COHERE_PATHS, cohereHeaders } from './endpoints.js';
import { cohereErrorBody } from './errors.js';
import { toCohereRequest } from './request.js';
import { toChatCompletion } from './response.js';
import { CohereStreamTransform } from './stream.js';
import { listPagedModels } from '../common/models.js';

const OPERATIONS: readonly Operation[] = ['chat', 'embeddings'];

export function createCohereAdapter(deps: AdapterDeps): ProviderAdapter {
  const { config, logger } = deps;
  const http = nativeHttp(deps, cohereHeaders(deps), mapBody(cohereErrorBody));

  return {
    name: config.name,
    type: config.type,
    operations: new Set(OPERATIONS),

    async chat(request, ctx) {
      const body = toCohereRequest(request, { model: ctx.model, stream: false, logger, provider: config.name });
      const { data } = await http.postJson(COHERE_PATHS.chat, body, ctx);
      return { data: toChatCompletion(data, ctx.model) };
    },

    async chatStream(request, ctx) {
      const body = toCohereRequest(request, { model: ctx.model, stream: true, logger, provider: config.name });
      const response = await http.postStream(COHERE_PATHS.chat, body, ctx);
      return transformSse(http.target, response.body, new CohereStreamTransform(config.name, ctx.model, wantsUsage(request)));
    },

    async embeddings(request, ctx) {
      const { data } = await http.postJson(COHERE_PATHS.embed, toEmbedRequest(request, ctx.model), ctx);
      return { data: toEmbeddingList(data, request, ctx.model) };
    },

    completions: () => unsupported(config.name, 'completions'),
    completionsStream: () => unsupported(config.name, 'completions'),
    images: () => unsupported(config.name, 'images'),

    async listModels(signal) {
      const models = await listPagedModels({
        page: (token) => http.getJson(COHERE_PATHS.models(1000, token), signal),
        tokenField: 'next_page_token',
        toModel: (m) => ({
          id: m.name,
          owned_by: 'cohere',
          ...(typeof m.context_length === 'number' && { context_window: m.context_length }),
          ...(Array.isArray(m.endpoints) && { capabilities: m.endpoints as string[] }),
        }),
      });
      return models.length > 0 ? models : configuredModels(config.models, config.name);
    },

    async healthCheck(signal) {
      await http.getJson(COHERE_PATHS.models(1), signal);
    },

    close: () => deps.upstream.close(),
  };
}
