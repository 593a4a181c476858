// Test support for the native adapters: a real HTTP upstream on 127.0.0.1:0 that records what it
// receives and replays fixture files (JSON, or SSE written in byte-exact pieces, optionally cut),
// plus fixture loading and adapter construction through the real config schema and pools.
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { configSchema, type ConfigInput } from '../../../src/config/schema.js';
import type { AdapterFactory, AttemptContext, ChunkStream, ProviderAdapter } from '../../../src/providers/types.js';
import { SseDecoder, type SseEvent } from '../../../src/upstream/sse.js';
import { Upstream } from '../../../src/upstream/pools.js';

const FIXTURES = fileURLToPath(new URL('../../fixtures/', import.meta.url));

export function fixtureBytes(provider: string, name: string): Buffer {
  return readFileSync(`${FIXTURES}${provider}/${name}`);
}

export function fixtureJson<T = Record<string, unknown>>(provider: string, name: string): T {
  return JSON.parse(fixtureBytes(provider, name).toString('utf8')) as T;
}

export function sseEvents(provider: string, name: string): SseEvent[] {
  const decoder = new SseDecoder();
  return [...decoder.push(fixtureBytes(provider, name)), ...decoder.end()];
}

export interface Recorded {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  raw: string;
  json: Record<string, unknown>;
}

export interface Reply {
  status?: number;
  headers?: Record<string, string>;
  /** A JSON body (serialised) or bytes sent as they are. */
  body?: unknown;
  /** SSE bytes, written in pieces cut at these byte offsets with a pause between writes. */
  sse?: Buffer;
  splitAt?: number[];
  /** Destroy the socket after the first `cutAfterPieces` pieces. */
  cutAfterPieces?: number;
}

export class NativeUpstream {
  readonly requests: Recorded[] = [];
  private readonly replies: Reply[] = [];
  private server!: Server;
  url = '';
  /** Requests whose connection closed before the reply was complete. */
  aborted = 0;

  static async start(): Promise<NativeUpstream> {
    const upstream = new NativeUpstream();
    upstream.server = createServer((req, res) => void upstream.handle(req, res));
    await new Promise<void>((resolve) => upstream.server.listen(0, '127.0.0.1', resolve));
    upstream.url = `http://127.0.0.1:${(upstream.server.address() as AddressInfo).port}`;
    return upstream;
  }

  reply(...replies: Reply[]): this {
    this.replies.push(...replies);
    return this;
  }

  get last(): Recorded {
    const last = this.requests[this.requests.length - 1];
    if (!last) throw new Error('the upstream received no request');
    return last;
  }

  reset(): void {
    this.requests.length = 0;
    this.replies.length = 0;
    this.aborted = 0;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    let json: Record<string, unknown> = {};
    try {
      json = raw ? (JSON.parse(raw) as Record<string, unknown>) : {};
    } catch {
      json = {};
    }
    this.requests.push({ method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers, raw, json });
    res.on('close', () => {
      if (!res.writableFinished) this.aborted++;
    });
    const reply = this.replies.shift() ?? { status: 500, body: { error: { message: 'no reply queued' } } };
    const status = reply.status ?? 200;
    if (reply.sse) {
      res.writeHead(status, { 'content-type': 'text/event-stream', ...reply.headers });
      res.flushHeaders();
      const cuts = [0, ...(reply.splitAt ?? []), reply.sse.length];
      for (let i = 0; i + 1 < cuts.length; i++) {
        if (reply.cutAfterPieces !== undefined && i >= reply.cutAfterPieces) {
          res.socket?.destroy();
          return;
        }
        if (res.destroyed) return;
        res.write(reply.sse.subarray(cuts[i], cuts[i + 1]));
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      res.end();
      return;
    }
    const body = Buffer.isBuffer(reply.body) ? reply.body : Buffer.from(JSON.stringify(reply.body ?? {}));
    res.writeHead(status, { 'content-type': 'application/json', ...reply.headers });
    res.end(body);
  }
}

/** Byte offsets that cut `bytes` mid-line, inside multi-byte UTF-8 characters and inside line ends. */
export function awkwardSplits(bytes: Buffer): number[] {
  const cuts = new Set<number>();
  for (let i = 1; i < bytes.length; i++) {
    const byte = bytes[i];
    // a UTF-8 continuation byte: cutting before it splits a character
    if ((byte & 0xc0) === 0x80 && (bytes[i - 1] & 0xc0) !== 0x80) cuts.add(i);
    // between the two newlines ending an event, and between the CR and LF of a CRLF
    if (byte === 0x0a && (bytes[i - 1] === 0x0a || bytes[i - 1] === 0x0d)) cuts.add(i);
  }
  for (let i = 7; i < bytes.length; i += 97) cuts.add(i);
  return [...cuts].sort((a, b) => a - b);
}

export interface LogLine {
  level: number;
  msg: string;
  [key: string]: unknown;
}

export interface Built {
  adapter: ProviderAdapter;
  logs: LogLine[];
}

/** Builds an adapter the way the app does: config parsed by the real schema, a real undici pool. */
export function buildAdapter(
  factory: AdapterFactory,
  provider: Record<string, unknown>,
  baseUrl: string,
  root: Omit<ConfigInput, 'providers'> = {},
  apiKey: string | null = 'test-key-123456',
): Built {
  const config = configSchema.parse({ ...root, providers: [{ base_url: baseUrl, ...provider }] });
  const providerConfig = config.providers[0];
  const logs: LogLine[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line) logs.push(JSON.parse(line) as LogLine);
      done();
    },
  });
  const logger = pino({ level: 'debug' }, sink);
  const upstream = new Upstream(providerConfig.base_url ?? baseUrl, providerConfig, config.http_client);
  return { adapter: factory({ config: providerConfig, apiKey, upstream, logger, root: config }), logs };
}

export function attempt(model: string, extra: Partial<AttemptContext> = {}): AttemptContext {
  return { model, signal: new AbortController().signal, requestId: 'req-test', timeoutMs: 5000, streamIdleMs: 5000, ...extra };
}

export async function collect(stream: ChunkStream): Promise<Record<string, unknown>[]> {
  const out: Record<string, unknown>[] = [];
  for await (const chunk of stream) out.push(JSON.parse(chunk) as Record<string, unknown>);
  return out;
}

/** The text content of a list of chunks, concatenated. */
export function streamedText(chunks: Record<string, unknown>[]): string {
  return chunks
    .flatMap((c) => (c.choices as { delta?: { content?: string | null } }[]) ?? [])
    .map((choice) => choice.delta?.content ?? '')
    .join('');
}

/** Tool calls reassembled from deltas the way the openai SDK does it: by index. */
export function streamedToolCalls(chunks: Record<string, unknown>[]): { id: string; name: string; arguments: string }[] {
  const calls: { id: string; name: string; arguments: string }[] = [];
  for (const chunk of chunks) {
    for (const choice of (chunk.choices as { delta?: { tool_calls?: { index: number; id?: string; function?: { name?: string; arguments?: string } }[] } }[]) ?? []) {
      for (const call of choice.delta?.tool_calls ?? []) {
        const entry = (calls[call.index] ??= { id: '', name: '', arguments: '' });
        if (call.id) entry.id = call.id;
        if (call.function?.name) entry.name = call.function.name;
        entry.arguments += call.function?.arguments ?? '';
      }
    }
  }
  return calls;
}
