// The OpenAI-compatible client surface: chat completions, completions, embeddings and images, plain
// and streamed. Each handler validates, dispatches through the router and writes the answer.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import {
  chatRequestSchema,
  completionRequestSchema,
  embeddingRequestSchema,
  imageRequestSchema,
} from '../providers/canonical.js';
import type { AttemptContext, ChunkStream, JsonResult, Operation, ProviderAdapter } from '../providers/types.js';
import type { ResponseCache } from '../cache/response-cache.js';
import { planCache, serveCached } from '../cache/serve.js';
import { applyModelOverrides } from '../routing/overrides.js';
import { condensingRouter, type Condenser } from '../routing/condense.js';
import type { Runtime } from '../runtime.js';
import { costInfo } from '../observability/usage.js';
import { clientLink, openStream, sendJsonResult, traceHeaders, validate, writeStream } from './respond.js';

interface Surface<S extends z.ZodType> {
  path: string;
  op: Operation;
  schema: S;
  json: (adapter: ProviderAdapter, body: z.infer<S>, ctx: AttemptContext) => Promise<JsonResult>;
  stream?: (adapter: ProviderAdapter, body: z.infer<S>, ctx: AttemptContext) => Promise<ChunkStream>;
}

function surface<S extends z.ZodType>(s: Surface<S>): Surface<S> {
  return s;
}

const SURFACES = {
  chat: surface({
    path: '/v1/chat/completions',
    op: 'chat',
    schema: chatRequestSchema,
    json: (adapter, body, ctx) => adapter.chat(body, ctx),
    stream: (adapter, body, ctx) => adapter.chatStream(body, ctx),
  }),
  completions: surface({
    path: '/v1/completions',
    op: 'completions',
    schema: completionRequestSchema,
    json: (adapter, body, ctx) => adapter.completions(body, ctx),
    stream: (adapter, body, ctx) => adapter.completionsStream(body, ctx),
  }),
  embeddings: surface({
    path: '/v1/embeddings',
    op: 'embeddings',
    schema: embeddingRequestSchema,
    json: (adapter, body, ctx) => adapter.embeddings(body, ctx),
  }),
  images: surface({
    path: '/v1/images/generations',
    op: 'images',
    schema: imageRequestSchema,
    json: (adapter, body, ctx) => adapter.images(body, ctx),
  }),
};

export default async function openaiRoutes(app: FastifyInstance, opts: { runtime: Runtime; condenser: Condenser; cache: ResponseCache }): Promise<void> {
  const { runtime, condenser, cache } = opts;

  const register = <S extends z.ZodType>(s: Surface<S>) => {
    app.post(s.path, async (request: FastifyRequest, reply: FastifyReply) => {
      const body = validate(s.schema, request.body);
      const changed = applyModelOverrides(body as Record<string, unknown> & { model: string }, runtime.config.model_overrides);
      const { model, stream } = body as { model: string; stream?: boolean | null };
      request.proxy.model = model;
      const options = {
        op: s.op,
        model,
        client: clientLink(reply),
        requestId: request.id,
        rawBody: changed ? undefined : request.rawBody,
        forwardHeaders: traceHeaders(request),
      };
      const router = condensingRouter(condenser, request, reply, s.op, body);
      const cachePlan = planCache(cache, runtime.config, request, s.op, body as Record<string, unknown>);
      if (cachePlan) {
        const openCached = stream && s.stream;
        return serveCached(cachePlan, request, reply, {
          json: () => router.dispatch(options, (adapter, ctx) => s.json(adapter, body, ctx)),
          stream: openCached ? () => router.dispatch(options, (adapter, ctx) => openStream(openCached(adapter, body, ctx))) : null,
          info: (outcome) => costInfo(request, runtime.config, outcome),
        });
      }
      if (stream && s.stream) {
        const open = s.stream;
        const outcome = await router.dispatch(options, (adapter, ctx) => openStream(open(adapter, body, ctx)));
        return writeStream(request, reply, outcome);
      }
      const outcome = await router.dispatch(options, (adapter, ctx) => s.json(adapter, body, ctx));
      return sendJsonResult(request, reply, outcome, { enabled: runtime.config.server.proxy_info, extra: costInfo(request, runtime.config, outcome) });
    });
  };

  register(SURFACES.chat);
  register(SURFACES.completions);
  register(SURFACES.embeddings);
  register(SURFACES.images);
}
