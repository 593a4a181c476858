// The Azure OpenAI adapter. The wire format is OpenAI's, so bodies and answers pass through (bytes
// unchanged where possible) and streams are relayed by the OpenAI-family relay; only the URL, the
// api-key header and the error vocabulary differ.
import { configuredModels, nativeHttp } from '../common/http.js';
import { relayOpenAiStream } from '../openai-compatible/stream.js';
import type { AdapterDeps, AttemptContext, ChunkStream, JsonResult, ModelInfo, Operation, ProviderAdapter } from '../types.js';
import { AzureEndpoints, azureHeaders, type AzureOperation } from './endpoints.js';
import { azureError } from './errors.js';

const OPERATIONS: readonly Operation[] = ['chat', 'completions', 'embeddings', 'images'];

export function createAzureAdapter(deps: AdapterDeps): ProviderAdapter {
  const { config } = deps;
  const endpoints = new AzureEndpoints(config);
  const http = nativeHttp(deps, azureHeaders(deps), azureError);

  /** The body to send: the client's bytes when nothing in them must change. */
  const body = (request: { model: string }, ctx: AttemptContext): Buffer | object => {
    // Deployment URLs ignore `model`; the unified API reads the deployment from it.
    const model = endpoints.unified ? endpoints.deployment(ctx.model) : ctx.model;
    if (ctx.rawBody && (!endpoints.unified || request.model === model)) return ctx.rawBody;
    return request.model === model ? request : { ...request, model };
  };

  const json = async (operation: AzureOperation, request: { model: string }, ctx: AttemptContext): Promise<JsonResult> => {
    const { data, raw } = await http.postJson(endpoints.path(operation, ctx.model), body(request, ctx), ctx);
    return { data, raw };
  };

  const stream = async (operation: AzureOperation, request: { model: string }, ctx: AttemptContext): Promise<ChunkStream> => {
    const response = await http.postStream(endpoints.path(operation, ctx.model), body(request, ctx), ctx);
    return relayOpenAiStream(http.target, response);
  };

  return {
    name: config.name,
    type: config.type,
    operations: new Set(OPERATIONS),
    chat: (request, ctx) => json('chat', request, ctx),
    chatStream: (request, ctx) => stream('chat', request, ctx),
    completions: (request, ctx) => json('completions', request, ctx),
    completionsStream: (request, ctx) => stream('completions', request, ctx),
    embeddings: (request, ctx) => json('embeddings', request, ctx),
    images: (request, ctx) => json('images', request, ctx),

    /** The names clients use (deployment aliases and configured models), then what the resource lists. */
    async listModels(signal) {
      const data = await http.getJson(endpoints.modelsPath(), signal);
      const seen = new Set<string>();
      const out: ModelInfo[] = [];
      const add = (model: ModelInfo) => {
        if (!seen.has(model.id)) out.push(model);
        seen.add(model.id);
      };
      for (const id of Object.keys(config.deployments)) add({ id, owned_by: config.name });
      for (const model of configuredModels(config.models, config.name)) add(model);
      for (const m of Array.isArray(data.data) ? (data.data as Record<string, unknown>[]) : []) {
        if (typeof m?.id !== 'string') continue;
        const caps = typeof m.capabilities === 'object' && m.capabilities !== null ? m.capabilities : {};
        add({
          id: m.id,
          owned_by: 'azure',
          ...(typeof m.created_at === 'number' && { created: m.created_at }),
          capabilities: Object.entries(caps).filter(([, on]) => on === true).map(([name]) => name),
        });
      }
      return out;
    },

    async healthCheck(signal) {
      await http.getJson(endpoints.modelsPath(), signal);
    },

    close: () => deps.upstream.close(),
  };
}
