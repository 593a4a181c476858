// OpenAI's Responses API: POST /v1/responses, plain and streamed, served by any provider. A provider
// whose upstream serves the Responses API gets the request as the client sent it and answers
// unchanged (pass-through); any other gets a chat completions request, and its answer (or stream) is
// translated into a response object (or the typed response.* events). Answers are kept in the
// gateway's response store unless the client says `store: false`.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ProxyError } from '../errors.js';
import type { ChatRequest } from '../providers/canonical.js';
import type { AttemptContext, ChunkStream, JsonResult, MessageEventStream, ProviderAdapter } from '../providers/types.js';
import { costInfo } from '../observability/usage.js';
import { chatToResponse, chatUsage } from '../responses/from-chat.js';
import { fullConversation, passThroughBody, resolveInput } from '../responses/input.js';
import { responsesRequestSchema, type ResponsesRequest } from '../responses/schema.js';
import type { ResponseStore } from '../responses/store.js';
import { ResponsesEventEncoder } from '../responses/stream.js';
import { responsesToChat } from '../responses/to-chat.js';
import { applyModelOverrides } from '../routing/overrides.js';
import type { Router } from '../routing/router.js';
import type { Runtime } from '../runtime.js';
import { sseEvent } from '../upstream/sse.js';
import { clientLink, openStream, sendJsonResult, traceHeaders, validate, writeStream } from './respond.js';
import { guardInput, guardJson, streamBlocked, type Guardrails } from '../guardrails/guardrails.js';
import { responsesInputSlots, responsesOutput } from '../guardrails/slots.js';
import { guardResponseEvents } from '../guardrails/stream-responses.js';
import { guardChunks } from '../guardrails/stream-chunks.js';

export default async function responsesRoutes(app: FastifyInstance, opts: { runtime: Runtime; router: Router; store: ResponseStore; guardrails: Guardrails }): Promise<void> {
  const { runtime, router, store, guardrails } = opts;

  app.post('/v1/responses', async (request: FastifyRequest, reply: FastifyReply) => {
    const body = validate(responsesRequestSchema, request.body);
    const changed = applyModelOverrides(body as ResponsesRequest & { model: string }, runtime.config.model_overrides);
    const model = body.model;
    request.proxy.model = model;
    const resolved = await resolveInput(body, store);
    // Upstream gets the conversation as the input guardrails left it; the store keeps the client's own.
    const guard = guardrails.start(request);
    let sent = resolved;
    const masked = guard !== null && (await guardInput(guard, reply, () => {
      sent = { ...resolved, own: structuredClone(resolved.own), history: structuredClone(resolved.history) };
      if (Array.isArray(body.input)) body.input = structuredClone(body.input);
      return responsesInputSlots(body, sent);
    }));
    const checksOutput = guard !== null && guard.checksOutput;
    const keep = store.enabled && body.store !== false;
    const options = {
      op: 'chat' as const,
      model,
      client: clientLink(reply),
      requestId: request.id,
      rawBody: changed || masked ? undefined : request.rawBody,
      forwardHeaders: traceHeaders(request),
    };
    // Translated once, and only when a provider that needs it is tried.
    let chat: ChatRequest | undefined;
    const canonical = () => (chat ??= responsesToChat(body, fullConversation(body, sent)));
    /** What a pass-through attempt sends: the client's bytes, or the conversation spelled out. */
    const forUpstream = (adapter: ProviderAdapter, ctx: AttemptContext): [Record<string, unknown>, AttemptContext] => {
      const expanded = passThroughBody(body, sent, adapter.name);
      return expanded ? [expanded, { ...ctx, rawBody: undefined }] : [body, ctx];
    };
    const save = (response: Record<string, unknown>, origin: 'gateway' | 'upstream', provider: string): Promise<void> =>
      keep && typeof response.id === 'string' ? store.save({ response, previous: body.previous_response_id ?? null, input: resolved.own, origin, provider }) : Promise.resolve();

    if (body.stream) {
      let failed: (error: Record<string, unknown>) => string = (error) => new ResponsesEventEncoder(body, model).fail(error);
      const outcome = await router.dispatch(options, (adapter, ctx) => openStream(openEvents(adapter, ctx)));
      return writeStream(request, reply, outcome, { encode: (text) => text, done: '', encodeError: (b) => failed(b.error) });

      async function openEvents(adapter: ProviderAdapter, ctx: AttemptContext): Promise<ChunkStream> {
        if (adapter.responsesStream) {
          const [upstreamBody, context] = forUpstream(adapter, ctx);
          const relay = new UpstreamRelay(body, model);
          failed = (error) => relay.fail(error);
          const events = await adapter.responsesStream(upstreamBody, context);
          const checked = guard && checksOutput ? guardResponseEvents(events, guard, guardrails.stream, streamBlocked(request)) : events;
          return relay.run(checked, request, (response) => void save(response, 'upstream', adapter.name));
        }
        const encoder = new ResponsesEventEncoder(body, model);
        failed = (error) => encoder.fail(error);
        const chunks = await adapter.chatStream(canonical(), { ...ctx, rawBody: undefined });
        const checked = guard && checksOutput ? guardChunks(chunks, guard, guardrails.stream, 'chat', streamBlocked(request)) : chunks;
        return encodeChunks(checked, encoder, request, (response) => void save(response, 'gateway', adapter.name));
      }
    }

    const dispatched = await router.dispatch(options, (adapter, ctx) => responseOf(adapter, ctx));
    const outcome = guard ? { ...dispatched, value: await guardJson(guard, reply, dispatched.value, responsesOutput) } : dispatched;
    const usage = chatUsage(outcome.value.data.usage);
    const cost = usage ? costInfo(request, runtime.config, { ...outcome, value: { data: { usage } } }) : undefined;
    // Stored before the answer is sent: a next turn on another replica finds it.
    await save(outcome.value.data, outcome.value.raw ? 'upstream' : 'gateway', outcome.provider);
    sendJsonResult(request, reply, outcome, { enabled: runtime.config.server.proxy_info, extra: cost });
    // Usage is counted in chat terms whichever way the answer came.
    request.proxy.usage = usage;
    return reply;

    async function responseOf(adapter: ProviderAdapter, ctx: AttemptContext): Promise<JsonResult> {
      if (adapter.responses) {
        const [upstreamBody, context] = forUpstream(adapter, ctx);
        return adapter.responses(upstreamBody, context);
      }
      const { data } = await adapter.chat(canonical(), { ...ctx, rawBody: undefined });
      return { data: chatToResponse(data, body, model) };
    }
  });

  app.get('/v1/responses/:id', async (request) => {
    const { id } = request.params as { id: string };
    const entry = await store.get(id);
    if (!entry) throw new ProxyError('not_found', `Response '${id}' is not in this gateway's response store`, 'response_id');
    return entry.response;
  });

  app.delete('/v1/responses/:id', async (request) => {
    const { id } = request.params as { id: string };
    if (!(await store.delete(id))) throw new ProxyError('not_found', `Response '${id}' is not in this gateway's response store`, 'response_id');
    return { id, object: 'response', deleted: true };
  });
}

/** Chat chunks as Responses events; usage noted as it arrives, the finished response stored. */
async function* encodeChunks(chunks: ChunkStream, encoder: ResponsesEventEncoder, request: FastifyRequest, done: (response: Record<string, unknown>) => void): ChunkStream {
  for await (const chunk of chunks) {
    if (chunk.includes('"usage"')) {
      const usage = (JSON.parse(chunk) as { usage?: unknown }).usage;
      if (usage && typeof usage === 'object') request.proxy.usage = usage as never;
    }
    const text = encoder.push(chunk);
    if (text) yield text;
  }
  yield encoder.end();
  if (encoder.response) done(encoder.response);
}

/** An upstream's Responses events relayed as SSE; remembers enough to end a broken stream properly. */
class UpstreamRelay {
  private response: Record<string, unknown> | null = null;
  private sequence = 0;

  constructor(
    private readonly body: ResponsesRequest,
    private readonly model: string,
  ) {}

  async *run(events: MessageEventStream, request: FastifyRequest, done: (response: Record<string, unknown>) => void): ChunkStream {
    for await (const event of events) {
      const data = JSON.parse(event.data) as { sequence_number?: unknown; response?: Record<string, unknown> };
      if (typeof data.sequence_number === 'number') this.sequence = data.sequence_number + 1;
      if (data.response && typeof data.response === 'object') {
        this.response = data.response;
        const usage = chatUsage(data.response.usage);
        if (usage) request.proxy.usage = usage;
      }
      yield sseEvent(event.event, event.data);
      if (event.event === 'response.completed' || event.event === 'response.incomplete') done(data.response ?? {});
    }
  }

  fail(error: Record<string, unknown>): string {
    const encoder = new ResponsesEventEncoder(this.body, this.model, { shell: this.response, sequence: this.sequence });
    return encoder.fail(error);
  }
}
