// A scriptable upstream on 127.0.0.1:0 speaking OpenAI's wire format. Tests queue replies (status,
// Retry-After, delays, streams split across writes, sockets cut mid-stream) and read what it received.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: Record<string, unknown> | null;
  raw: string;
}

export interface MockReply {
  status?: number;
  headers?: Record<string, string>;
  /** JSON body (objects are serialised) or raw text. */
  body?: unknown;
  /** Wait before answering. */
  delayMs?: number;
  /** Raw SSE pieces (text or bytes), written one per write with `gapMs` between them. */
  stream?: Array<string | Buffer>;
  gapMs?: number;
  /** Destroy the socket after writing this many stream pieces (or, without a stream, before answering). */
  cutAfter?: number;
  /** Never answer. */
  hang?: boolean;
}

export type Script = (req: RecordedRequest) => MockReply | undefined;

export class MockUpstream {
  readonly requests: RecordedRequest[] = [];
  /** Requests whose client went away before the answer was complete. */
  abortedRequests = 0;
  private queue: MockReply[] = [];
  private script: Script | null = null;
  private server!: Server;
  url = '';

  constructor(readonly name = 'mock') {}

  static async start(name = 'mock'): Promise<MockUpstream> {
    const mock = new MockUpstream(name);
    mock.server = createServer((req, res) => void mock.handle(req, res));
    mock.server.keepAliveTimeout = 60_000;
    await new Promise<void>((resolve) => mock.server.listen(0, '127.0.0.1', resolve));
    mock.url = `http://127.0.0.1:${(mock.server.address() as AddressInfo).port}`;
    return mock;
  }

  /** Replies used in order, one per request, before falling back to the script or the default. */
  enqueue(...replies: MockReply[]): this {
    this.queue.push(...replies);
    return this;
  }

  setScript(script: Script | null): this {
    this.script = script;
    return this;
  }

  reset(): void {
    this.queue = [];
    this.script = null;
    this.requests.length = 0;
    this.abortedRequests = 0;
  }

  calls(path?: string): RecordedRequest[] {
    return path ? this.requests.filter((r) => r.path.startsWith(path)) : this.requests;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    let body: Record<string, unknown> | null = null;
    try {
      body = raw ? (JSON.parse(raw) as Record<string, unknown>) : null;
    } catch {
      body = null;
    }
    const recorded: RecordedRequest = { method: req.method ?? 'GET', path: req.url ?? '/', headers: req.headers, body, raw };
    this.requests.push(recorded);
    res.on('close', () => {
      if (!res.writableFinished) this.abortedRequests++;
    });
    let reply = this.queue.shift() ?? this.script?.(recorded) ?? defaultReply(this.name, recorded);
    // A reply that only sets timing (e.g. `{ delayMs }`) answers with the default content.
    if (reply.body === undefined && !reply.stream && reply.status === undefined && reply.cutAfter === undefined) {
      reply = { ...defaultReply(this.name, recorded), ...reply };
    }
    if (reply.hang) return;
    if (reply.delayMs) await wait(reply.delayMs);
    if (res.destroyed) return;
    if (reply.cutAfter !== undefined && !reply.stream) {
      res.socket?.destroy();
      return;
    }
    const status = reply.status ?? 200;
    if (reply.stream) {
      res.writeHead(status, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', ...reply.headers });
      res.flushHeaders();
      for (let i = 0; i < reply.stream.length; i++) {
        if (reply.cutAfter !== undefined && i >= reply.cutAfter) {
          res.socket?.destroy();
          return;
        }
        if (res.destroyed) return;
        res.write(reply.stream[i]);
        if (reply.gapMs) await wait(reply.gapMs);
      }
      res.end();
      return;
    }
    const text = typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body ?? {});
    res.writeHead(status, { 'content-type': typeof reply.body === 'string' ? 'text/plain' : 'application/json', ...reply.headers });
    res.end(text);
  }
}

function wait(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export function chatCompletion(content: string, model = 'gpt-4o', extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: 'chatcmpl-mock',
    object: 'chat.completion',
    created: 1_700_000_000,
    model,
    choices: [{ index: 0, message: { role: 'assistant', content, refusal: null }, logprobs: null, finish_reason: 'stop' }],
    usage: { prompt_tokens: 9, completion_tokens: 3, total_tokens: 12 },
    ...extra,
  };
}

export function chatChunk(delta: Record<string, unknown>, finish: string | null = null, model = 'gpt-4o', extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    id: 'chatcmpl-mock',
    object: 'chat.completion.chunk',
    created: 1_700_000_000,
    model,
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
    ...extra,
  });
}

/** An OpenAI chat stream saying `words`, as SSE text (one event per word, then [DONE]). */
export function chatStream(words: string[], model = 'gpt-4o', withUsage = false): string[] {
  const events = [
    chatChunk({ role: 'assistant', content: '' }, null, model),
    ...words.map((w) => chatChunk({ content: w }, null, model)),
    chatChunk({}, 'stop', model),
  ];
  if (withUsage) {
    events.push(JSON.stringify({ id: 'chatcmpl-mock', object: 'chat.completion.chunk', created: 1_700_000_000, model, choices: [], usage: { prompt_tokens: 5, completion_tokens: words.length, total_tokens: 5 + words.length } }));
  }
  return [...events.map((e) => `data: ${e}\n\n`), 'data: [DONE]\n\n'];
}

function defaultReply(name: string, req: RecordedRequest): MockReply {
  const model = typeof req.body?.model === 'string' ? req.body.model : 'gpt-4o';
  const path = req.path.split('?')[0];
  if (req.method === 'GET' && path.endsWith('/models')) {
    return { body: { object: 'list', data: [{ id: 'gpt-4o', object: 'model', created: 1_700_000_000, owned_by: name }] } };
  }
  if (path.endsWith('/chat/completions')) {
    if (req.body?.stream) {
      const usage = Boolean((req.body.stream_options as { include_usage?: boolean } | undefined)?.include_usage);
      return { stream: chatStream(['Hello', ' from', ` ${name}`], model, usage) };
    }
    return { body: chatCompletion(`Hello from ${name}`, model) };
  }
  if (path.endsWith('/completions')) {
    if (req.body?.stream) {
      const chunk = (text: string, finish: string | null) =>
        `data: ${JSON.stringify({ id: 'cmpl-mock', object: 'text_completion', created: 1_700_000_000, model, choices: [{ index: 0, text, logprobs: null, finish_reason: finish }] })}\n\n`;
      return { stream: [chunk('Hello', null), chunk(` from ${name}`, 'stop'), 'data: [DONE]\n\n'] };
    }
    return {
      body: {
        id: 'cmpl-mock',
        object: 'text_completion',
        created: 1_700_000_000,
        model,
        choices: [{ index: 0, text: `Hello from ${name}`, logprobs: null, finish_reason: 'stop' }],
        usage: { prompt_tokens: 4, completion_tokens: 3, total_tokens: 7 },
      },
    };
  }
  if (path.endsWith('/embeddings')) {
    const input = req.body?.input;
    const count = Array.isArray(input) ? input.length : 1;
    const vector = [0.1, 0.2, 0.3];
    // The openai SDK asks for base64 (little-endian float32) by default.
    const embedding = req.body?.encoding_format === 'base64' ? Buffer.from(new Float32Array(vector).buffer).toString('base64') : vector;
    return {
      body: {
        object: 'list',
        data: Array.from({ length: count }, (_, index) => ({ object: 'embedding', index, embedding })),
        model,
        usage: { prompt_tokens: 2 * count, total_tokens: 2 * count },
      },
    };
  }
  if (path.endsWith('/images/generations')) {
    return { body: { created: 1_700_000_000, data: [{ url: `https://images.example/${name}.png`, revised_prompt: 'a cat' }] } };
  }
  return { status: 404, body: { error: { message: `mock: unknown path ${req.path}`, type: 'invalid_request_error', code: null, param: null } } };
}
