// Writing answers to clients: request validation errors, JSON results (upstream bytes kept, with
// `_proxy_info` added), and SSE streams (chunks forwarded as they arrive, errors sent in-stream).
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ServerResponse } from 'node:http';
import type { z } from 'zod';
import { formatPath } from '../config/schema.js';
import { ProxyError } from '../errors.js';
import type { ChunkStream, JsonResult, Usage } from '../providers/types.js';
import type { ClientLink } from '../routing/attempt-timer.js';
import type { DispatchResult } from '../routing/router.js';
import { usageOf } from '../upstream/raw-json.js';
import { SSE_DONE, sseData } from '../upstream/sse.js';
import { logRequest, overheadMs } from '../server/request-context.js';
import { shapeError } from '../server/errors.js';

/** Parses a request body against its schema; the first problem becomes a 400 naming the field. */
export function validate<S extends z.ZodType>(schema: S, body: unknown): z.infer<S> {
  if (body === undefined || body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new ProxyError('invalid_request', 'Request body must be a JSON object');
  }
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const param = formatPath(issue.path);
  const missing = issue.code === 'invalid_type' && valueAt(body, issue.path) === undefined;
  const message = missing ? `${param} is required` : `${param}: ${issue.message}`;
  throw new ProxyError('invalid_request', message, param === '(root)' ? null : param);
}

/** What the client sent at a zod issue's path (zod 4 leaves the input out of its issues). */
function valueAt(body: unknown, path: readonly PropertyKey[]): unknown {
  let value = body;
  for (const key of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

/** W3C trace context travels upstream with the request. */
export function traceHeaders(request: FastifyRequest): Record<string, string> | undefined {
  const traceparent = request.headers.traceparent;
  if (typeof traceparent !== 'string') return undefined;
  const tracestate = request.headers.tracestate;
  return typeof tracestate === 'string' ? { traceparent, tracestate } : { traceparent };
}

/** The client of one request: aborted when it goes away before its response is complete. */
export class ClientAbort implements ClientLink {
  aborted = false;
  private listeners: (() => void)[] = [];
  private controller: AbortController | null = null;

  abort(): void {
    if (this.aborted) return;
    this.aborted = true;
    this.controller?.abort();
    for (const listener of this.listeners.splice(0)) listener();
  }

  onAbort(listener: () => void): void {
    if (this.aborted) listener();
    else this.listeners.push(listener);
  }

  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.aborted) this.controller.abort();
    }
    return this.controller.signal;
  }
}

/** Links a request's client: aborted when the response closes before it is complete. */
export function clientLink(reply: FastifyReply): ClientAbort {
  const client = new ClientAbort();
  const res = reply.raw;
  res.once('close', () => {
    if (!res.writableFinished) client.abort();
  });
  return client;
}

export function recordOutcome(request: FastifyRequest, outcome: DispatchResult<unknown>): void {
  const state = request.proxy;
  state.provider = outcome.provider;
  state.attempts = outcome.attempts;
  state.upstreamMs = outcome.upstreamMs;
}

export interface ProxyInfoOptions {
  enabled: boolean;
  extra?: Record<string, unknown>;
}

/** Sends a JSON result; pass-through bytes are sent as they came, with `_proxy_info` spliced in. */
export function sendJsonResult(request: FastifyRequest, reply: FastifyReply, outcome: DispatchResult<JsonResult>, info: ProxyInfoOptions): FastifyReply {
  recordOutcome(request, outcome);
  const result = outcome.value;
  const raw = result.raw;
  const usage = usageOf(result);
  if (usage) request.proxy.usage = usage;
  const responseTime = (performance.now() - request.proxy.startedAt) / 1000;
  reply
    .header('content-type', 'application/json; charset=utf-8')
    .header('x-proxy-provider', outcome.provider)
    .header('x-proxy-overhead-ms', overheadMs(request.proxy).toFixed(3));
  if (!info.enabled) return sendBody(request, reply, raw ?? JSON.stringify(result.data));
  const proxyInfo: Record<string, unknown> = {
    provider: outcome.provider,
    attempt_number: outcome.attempts,
    response_time: Math.round(responseTime * 1e6) / 1e6,
    request_id: request.id,
  };
  const condensed = request.proxy.extra.condensed;
  if (condensed !== undefined) proxyInfo.condensed = condensed;
  if (info.extra) Object.assign(proxyInfo, info.extra);
  return sendBody(request, reply, raw ? spliceMember(raw, '_proxy_info', JSON.stringify(proxyInfo)) : JSON.stringify({ ...result.data, _proxy_info: proxyInfo }));
}

/** Sends a JSON answer, kept for the ledger when its body is to be stored (no onSend hook on every reply). */
function sendBody(request: FastifyRequest, reply: FastifyReply, body: Buffer | string): FastifyReply {
  if (request.proxy.onBody) request.proxy.onBody(body);
  return reply.send(body);
}

/** Adds `"key": value` as the last member of the JSON object in `raw`, without re-serialising it. */
export function spliceMember(raw: Buffer, key: string, valueJson: string): Buffer {
  let end = raw.length - 1;
  while (end >= 0 && raw[end] !== 0x7d /* } */) end--;
  if (end < 0) return raw;
  let before = end - 1;
  while (before >= 0 && (raw[before] === 0x20 || raw[before] === 0x0a || raw[before] === 0x0d || raw[before] === 0x09)) before--;
  const separator = before >= 0 && raw[before] === 0x7b /* { */ ? '' : ',';
  return Buffer.concat([raw.subarray(0, end), Buffer.from(`${separator}"${key}":${valueJson}`), raw.subarray(end)]);
}

export interface OpenedStream {
  stream: ChunkStream;
  first: IteratorResult<string, void>;
}

/** Opens a stream and waits for its first chunk, so failures before the first byte can fall back. */
export async function openStream(open: Promise<ChunkStream>): Promise<OpenedStream> {
  const stream = await open;
  try {
    return { stream, first: await stream.next() };
  } catch (error) {
    await stream.return(undefined).catch(() => undefined);
    throw error;
  }
}

export interface StreamWriterOptions {
  /** Transforms each OpenAI chunk's JSON into what the client receives (default: `data: <json>`). */
  encode?: (chunk: string) => string;
  /** Written after the last chunk (default: `data: [DONE]`). */
  done?: string;
  /** Encodes an in-stream error (default: `data: {"error": ...}`). */
  encodeError?: (body: { error: Record<string, unknown> }) => string;
  /** Sees every chunk as it passes (usage, caching). */
  onChunk?: (chunk: string) => void;
}

/** Writes an opened stream to the client as SSE. Never throws: failures end the stream in-band. */
export async function writeStream(request: FastifyRequest, reply: FastifyReply, outcome: DispatchResult<OpenedStream>, options: StreamWriterOptions = {}): Promise<void> {
  recordOutcome(request, outcome);
  const encode = options.encode ?? sseData;
  const res = reply.raw;
  const { stream, first } = outcome.value;
  reply.hijack();
  res.writeHead(200, {
    ...(reply.getHeaders() as Record<string, string>),
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
    'x-proxy-provider': outcome.provider,
    'x-proxy-overhead-ms': overheadMs(request.proxy).toFixed(3),
  });
  let status = 200;
  let aborted = false;
  let cut = false;
  const errorEvent = (body: { error: Record<string, unknown> }) => (options.encodeError ? options.encodeError(body) : sseData(JSON.stringify(body)));
  // A shutdown whose grace period ends first: the client gets an error event, not a silent cut.
  const untrack = request.server.openStreams.add(
    (message) =>
      new Promise<void>((resolve) => {
        if (res.writableEnded || res.destroyed) return resolve();
        cut = true;
        status = 503;
        request.proxy.errorCode = 'shutdown';
        res.end(errorEvent({ error: { message, type: 'server_error', code: 'shutdown' } }), () => resolve());
        res.once('close', () => resolve());
      }),
  );
  // Events that arrive together (one upstream read holds several) leave in one write: the socket is
  // corked on the first and uncorked once the microtasks that deliver the rest have run.
  let corked = false;
  const uncork = () => {
    corked = false;
    res.uncork();
  };
  const send = (text: string) => {
    if (!corked) {
      corked = true;
      res.cork();
      process.nextTick(uncork);
    }
    return write(res, text);
  };
  const observe = (chunk: string) => {
    if (chunk.includes('"usage"')) captureUsage(request, chunk);
    options.onChunk?.(chunk);
    request.proxy.onChunk?.(chunk);
  };
  try {
    if (!first.done) {
      observe(first.value);
      await send(encode(first.value));
    }
    if (!first.done) {
      for (;;) {
        if (res.destroyed || cut) {
          aborted = !cut;
          break;
        }
        const next = await stream.next();
        if (next.done || cut) break;
        observe(next.value);
        await send(encode(next.value));
      }
    }
    if (cut) {
      // ended by the shutdown, with its error event
    } else if (!aborted && !res.destroyed) res.end(options.done ?? SSE_DONE);
    else aborted = true;
  } catch (error) {
    if (cut) {
      // the shutdown ended it; whatever the upstream does now is not the client's concern
    } else if (res.destroyed || (error as Error).name === 'AbortError') {
      aborted = true;
    } else {
      const shaped = shapeError(error);
      status = shaped.status;
      request.proxy.errorCode = shaped.body.error.code;
      request.log.warn({ request_id: request.id, provider: outcome.provider, err_message: shaped.body.error.message }, 'stream failed after first byte');
      const body = { error: { message: shaped.body.error.message, type: shaped.body.error.type, code: shaped.body.error.code } };
      res.end(errorEvent(body));
    }
  } finally {
    untrack();
    // Releases the upstream request when we stopped early (client gone).
    await stream.return(undefined).catch(() => undefined);
    logRequest(request, reply, status, aborted);
  }
}

function captureUsage(request: FastifyRequest, chunk: string): void {
  try {
    const usage = (JSON.parse(chunk) as { usage?: Usage | null }).usage;
    if (usage && typeof usage === 'object') request.proxy.usage = usage;
  } catch {
    // a chunk we cannot read carries no usage we can count
  }
}

function write(res: ServerResponse, text: string): Promise<void> | void {
  if (res.write(text)) return;
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}
