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
import { guardInput, guardJson, streamBlocked, type Guardrails } from '../guardrails/guardrails.js';
import { chatInput, chatOutput, completionsInput, completionsOutput, embeddingsInput, imagesInput, type Slots } from '../guardrails/slots.js';
import { guardChunks } from '../guardrails/stream-chunks.js';

interface Surface<S extends z.ZodType> {
  path: string;
  op: Operation;
  schema: S;
  /** Where the request's text is, for input guardrails. */
  input: (body: Record<string, unknown>) => Slots;
  /** Where the answer's text is (none for embeddings and images). */
  output?: (data: Record<string, unknown>) => Slots;
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
    input: (body) => chatInput(body),
    output: chatOutput,
    json: (adapter, body, ctx) => adapter.chat(body, ctx),
    stream: (adapter, body, ctx) => adapter.chatStream(body, ctx),
  }),
  completions: surface({
    path: '/v1/completions',
    op: 'completions',
    schema: completionRequestSchema,
    input: completionsInput,
    output: completionsOutput,
    json: (adapter, body, ctx) => adapter.completions(body, ctx),
    stream: (adapter, body, ctx) => adapter.completionsStream(body, ctx),
  }),
  embeddings: surface({
    path: '/v1/embeddings',
    op: 'embeddings',
    schema: embeddingRequestSchema,
    input: embeddingsInput,
    json: (adapter, body, ctx) => adapter.embeddings(body, ctx),
  }),
  images: surface({
    path: '/v1/images/generations',
    op: 'images',
    schema: imageRequestSchema,
    input: imagesInput,
    json: (adapter, body, ctx) => adapter.images(body, ctx),
  }),
};

export default async function openaiRoutes(app: FastifyInstance, opts: { runtime: Runtime; condenser: Condenser; cache: ResponseCache; guardrails: Guardrails }): Promise<void> {
  const { runtime, condenser, cache, guardrails } = opts;

  const register = <S extends z.ZodType>(s: Surface<S>) => {
    app.post(s.path, async (request: FastifyRequest, reply: FastifyReply) => {
      const body = validate(s.schema, request.body);
      const changed = applyModelOverrides(body as Record<string, unknown> & { model: string }, runtime.config.model_overrides);
      const { model, stream } = body as { model: string; stream?: boolean | null };
      request.proxy.model = model;
      const guard = guardrails.start(request);
      const masked = guard !== null && (await guardInput(guard, reply, () => s.input(body as Record<string, unknown>)));
      const options = {
        op: s.op,
        model,
        client: clientLink(reply),
        requestId: request.id,
        rawBody: changed || masked ? undefined : request.rawBody,
        forwardHeaders: traceHeaders(request),
      };
      const router = condensingRouter(condenser, request, reply, s.op, body);
      // An answer the guardrails rewrite (placeholders put back, output checked) is not cached.
      const guarded = guard !== null && ((s.output !== undefined && guard.has('output')) || guard.placeholders.restorable);
      const cachePlan = guarded ? null : planCache(cache, runtime.config, request, s.op, body as Record<string, unknown>);
      if (guarded && runtime.config.caching.enabled) reply.header('x-proxy-cache', 'BYPASS');
      const output = guard && s.output ? s.output : null;
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
        const kind = s.op === 'chat' ? 'chat' : 'completions';
        const checked = async (adapter: ProviderAdapter, ctx: AttemptContext) =>
          guard && output && guard.checksOutput ? guardChunks(await open(adapter, body, ctx), guard, guardrails.stream, kind, streamBlocked(request)) : open(adapter, body, ctx);
        const outcome = await router.dispatch(options, (adapter, ctx) => openStream(checked(adapter, ctx)));
        return writeStream(request, reply, outcome);
      }
      const dispatched = await router.dispatch(options, (adapter, ctx) => s.json(adapter, body, ctx));
      const outcome = output ? { ...dispatched, value: await guardJson(guard, reply, dispatched.value, output) } : dispatched;
      return sendJsonResult(request, reply, outcome, { enabled: runtime.config.server.proxy_info, extra: costInfo(request, runtime.config, outcome) });
    });
  };

  register(SURFACES.chat);
  register(SURFACES.completions);
  register(SURFACES.embeddings);
  register(SURFACES.images);
}
