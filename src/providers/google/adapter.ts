// The Google Gemini adapter: chat (plain and streamed) through generateContent and
// streamGenerateContent, embeddings through batchEmbedContents, models from the models list.
import { wantsUsage } from '../common/chunks.js';
import { configuredModels, mapBody, nativeHttp, unsupported } from '../common/http.js';
import { transformSse } from '../common/stream.js';
import type { AdapterDeps, Operation, ProviderAdapter } from '../types.js';
import { toBatchEmbedRequest, toEmbeddingList } from './embeddings.js';
import { GOOGLE_PATHS, googleHeaders } from './endpoints.js';
import { googleErrorBody } from './errors.js';
import { toGeminiRequest } from './request.js';
import { toChatCompletion } from './response.js';
import { GoogleStreamTransform } from './stream.js';
import { listPagedModels } from '../common/models.js';

const OPERATIONS: readonly Operation[] = ['chat', 'embeddings'];

export function createGoogleAdapter(deps: AdapterDeps): ProviderAdapter {
  const { config, logger } = deps;
  const http = nativeHttp(deps, googleHeaders(deps), mapBody(googleErrorBody));
  const options = { logger, provider: config.name };

  return {
    name: config.name,
    type: config.type,
    operations: new Set(OPERATIONS),

    async chat(request, ctx) {
      const { data } = await http.postJson(GOOGLE_PATHS.generate(ctx.model), toGeminiRequest(request, options), ctx);
      return { data: toChatCompletion(data, ctx.model) };
    },

    async chatStream(request, ctx) {
      const response = await http.postStream(GOOGLE_PATHS.stream(ctx.model), toGeminiRequest(request, options), ctx);
      return transformSse(http.target, response.body, new GoogleStreamTransform(config.name, ctx.model, wantsUsage(request)));
    },

    async embeddings(request, ctx) {
      const { data } = await http.postJson(GOOGLE_PATHS.embed(ctx.model), toBatchEmbedRequest(request, ctx.model), ctx);
      return { data: toEmbeddingList(data, request, ctx.model) };
    },

    completions: () => unsupported(config.name, 'completions'),
    completionsStream: () => unsupported(config.name, 'completions'),
    images: () => unsupported(config.name, 'images'),

    async listModels(signal) {
      const models = await listPagedModels({
        page: (token) => http.getJson(GOOGLE_PATHS.models(1000, token), signal),
        tokenField: 'nextPageToken',
        toModel: (m) => ({
          id: m.name.replace(/^models\//, ''),
          owned_by: 'google',
          ...(typeof m.inputTokenLimit === 'number' && { context_window: m.inputTokenLimit }),
          ...(typeof m.outputTokenLimit === 'number' && { max_tokens: m.outputTokenLimit }),
          ...(Array.isArray(m.supportedGenerationMethods) && { capabilities: m.supportedGenerationMethods as string[] }),
        }),
      });
      return models.length > 0 ? models : configuredModels(config.models, config.name);
    },

    async healthCheck(signal) {
      await http.getJson(GOOGLE_PATHS.models(1), signal);
    },

    close: () => deps.upstream.close(),
  };
}
