// The Anthropic-compatible surface: POST /v1/messages, plain and streamed, served by any provider.
// An `anthropic` provider gets the request and answers its events unchanged (pass-through); any
// other gets the canonical chat request, and its answer is translated back. Errors on this route
// are in Anthropic's shape, which the Anthropic SDK reads.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { toUsage } from '../providers/anthropic/response.js';
import { anthropicRequestSchema, anthropicToChat, type AnthropicRequest } from '../providers/anthropic/inbound-request.js';
import { chatToAnthropicMessage } from '../providers/anthropic/inbound-response.js';
import { AnthropicEventEncoder } from '../providers/anthropic/inbound-stream.js';
import type { ChatRequest } from '../providers/canonical.js';
import type { AttemptContext, ChunkStream, JsonResult, MessageEvent, MessageEventStream, ProviderAdapter, Usage } from '../providers/types.js';
import { costInfo } from '../observability/usage.js';
import { applyModelOverrides } from '../routing/overrides.js';
import type { Router } from '../routing/router.js';
import type { Runtime } from '../runtime.js';
import { shapeError } from '../server/errors.js';
import { sseEvent } from '../upstream/sse.js';
import { clientLink, openStream, sendJsonResult, validate, writeStream } from './respond.js';
import { guardInput, guardJson, streamBlocked, type Guardrails } from '../guardrails/guardrails.js';
import { messagesInput, messagesOutput } from '../guardrails/slots.js';
import { guardMessageEvents } from '../guardrails/stream-anthropic.js';
import { guardChunks } from '../guardrails/stream-chunks.js';

/** Anthropic's error type for each status this proxy answers with. */
const ERROR_TYPES: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  403: 'permission_error',
  404: 'not_found_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  504: 'timeout_error',
  529: 'overloaded_error',
};

export function anthropicErrorType(status: number): string {
  return ERROR_TYPES[status] ?? (status >= 500 ? 'api_error' : 'invalid_request_error');
}

/** Client headers the Messages API defines, forwarded to an Anthropic upstream on pass-through. */
const PASS_HEADERS = ['anthropic-beta'];

export default async function anthropicRoutes(app: FastifyInstance, opts: { runtime: Runtime; router: Router; guardrails: Guardrails }): Promise<void> {
  const { runtime, router, guardrails } = opts;

  // Scoped to this plugin: every error on /v1/messages (auth and rate limits included) in Anthropic's shape.
  app.setErrorHandler((error, request, reply) => {
    const shaped = shapeError(error);
    if (shaped.status >= 500 && shaped.body.error.code === 'internal_error') request.log.error({ err: error, request_id: request.id }, 'unhandled error');
    if (request.proxy) request.proxy.errorCode = shaped.body.error.code;
    void reply
      .code(shaped.status)
      .headers(shaped.headers)
      .send({ type: 'error', error: { type: anthropicErrorType(shaped.status), message: shaped.body.error.message }, request_id: request.id });
  });

  app.post('/v1/messages', async (request: FastifyRequest, reply: FastifyReply) => {
    const body = validate(anthropicRequestSchema, request.body);
    const changed = applyModelOverrides(body as AnthropicRequest & Record<string, unknown>, runtime.config.model_overrides);
    const model = body.model;
    request.proxy.model = model;
    const guard = guardrails.start(request);
    const masked = guard !== null && (await guardInput(guard, reply, () => messagesInput(body as Record<string, unknown>)));
    const checksOutput = guard !== null && guard.checksOutput;
    const passHeaders = pickHeaders(request, PASS_HEADERS);
    const trace = pickHeaders(request, ['traceparent', 'tracestate']);
    const options = {
      op: 'chat' as const,
      model,
      client: clientLink(reply),
      requestId: request.id,
      rawBody: changed || masked ? undefined : request.rawBody,
      forwardHeaders: trace,
    };
    // Translated once, and only when a provider that needs it is tried.
    let chat: ChatRequest | undefined;
    const canonical = () => (chat ??= anthropicToChat(body, request.log));
    const passThrough = (ctx: AttemptContext): AttemptContext => ({ ...ctx, forwardHeaders: { ...ctx.forwardHeaders, ...passHeaders } });
    const translated = (ctx: AttemptContext): AttemptContext => ({ ...ctx, rawBody: undefined });
    
    if (body.stream) {
      const outcome = await router.dispatch(options, (adapter, ctx) => openStream(openEvents(adapter, ctx)));
      return writeStream(request, reply, outcome, { encode: (text) => text, done: '', encodeError: encodeStreamError });
    }
    const dispatched = await router.dispatch(options, (adapter, ctx) => messageOf(adapter, ctx));
    const outcome = guard ? { ...dispatched, value: await guardJson(guard, reply, dispatched.value, messagesOutput) } : dispatched;
    const usage = toUsage(outcome.value.data.usage);
    const cost = costInfo(request, runtime.config, { ...outcome, value: { data: { usage } } });
    sendJsonResult(request, reply, outcome, { enabled: runtime.config.server.proxy_info, extra: cost });
    // Usage is counted in OpenAI's terms whichever way the answer came.
    request.proxy.usage = usage;
    return reply;

    async function messageOf(adapter: ProviderAdapter, ctx: AttemptContext): Promise<JsonResult> {
      if (adapter.messages) return adapter.messages(body, passThrough(ctx));
      const { data } = await adapter.chat(canonical(), translated(ctx));
      return { data: chatToAnthropicMessage(data, model) };
    }

    async function openEvents(adapter: ProviderAdapter, ctx: AttemptContext): Promise<ChunkStream> {
      const blocked = streamBlocked(request);
      if (adapter.messagesStream) {
        const events = await adapter.messagesStream(body, passThrough(ctx));
        return relayEvents(guard && checksOutput ? guardMessageEvents(events, guard, guardrails.stream, blocked) : events, request);
      }
      const chunks = await adapter.chatStream(canonical(), translated(ctx));
      return encodeChunks(guard && checksOutput ? guardChunks(chunks, guard, guardrails.stream, 'chat', blocked) : chunks, model, request);
    }
  });
}

function pickHeaders(request: FastifyRequest, names: readonly string[]): Record<string, string> | undefined {
  const out: Record<string, string> = {};
  for (const name of names) {
    const value = request.headers[name];
    if (typeof value === 'string') out[name] = value;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

function encodeStreamError(body: { error: Record<string, unknown> }): string {
  const code = typeof body.error.code === 'string' ? body.error.code : '';
  const status = code === 'rate_limited' ? 429 : code === 'upstream_timeout' ? 504 : code === 'invalid_request' ? 400 : 500;
  return sseEvent('error', JSON.stringify({ type: 'error', error: { type: anthropicErrorType(status), message: body.error.message } }));
}

const toSse = (events: readonly MessageEvent[]): string => events.map((e) => sseEvent(e.event, e.data)).join('');

/** Pass-through events as SSE text, usage noted from message_start and message_delta. */
async function* relayEvents(events: MessageEventStream, request: FastifyRequest): ChunkStream {
  let usage: Record<string, unknown> = {};
  for await (const event of events) {
    if (event.event === 'message_start' || event.event === 'message_delta') {
      usage = { ...usage, ...usageOf(event) };
      request.proxy.usage = toUsage(usage);
    }
    yield sseEvent(event.event, event.data);
  }
}

function usageOf(event: MessageEvent): Record<string, unknown> {
  try {
    const data = JSON.parse(event.data) as { usage?: unknown; message?: { usage?: unknown } };
    const usage = data.usage ?? data.message?.usage;
    return usage && typeof usage === 'object' ? Object.fromEntries(Object.entries(usage).filter(([, v]) => v !== null)) : {};
  } catch {
    return {};
  }
}

/** A canonical chunk stream as Anthropic SSE text; usage noted from the usage chunk. */
async function* encodeChunks(chunks: ChunkStream, model: string, request: FastifyRequest): ChunkStream {
  const encoder = new AnthropicEventEncoder(model);
  for await (const chunk of chunks) {
    if (chunk.includes('"usage"')) noteUsage(chunk, request);
    const events = encoder.push(chunk);
    if (events.length > 0) yield toSse(events);
  }
  yield toSse(encoder.end());
}

function noteUsage(chunk: string, request: FastifyRequest): void {
  const usage = (JSON.parse(chunk) as { usage?: Usage | null }).usage;
  if (usage && typeof usage === 'object') request.proxy.usage = usage;
}
