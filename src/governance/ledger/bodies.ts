// Request and response bodies for the ledger, kept only when enabled (request_logs.store_bodies, or a
// key's or team's store_bodies, which wins): passed through the logs' redaction, capped in size.
// Streamed chat answers are reassembled into one chat completion (text, tool calls with their ids and
// arguments, finish reason, usage); other streams are kept as the text that was sent.
import redact from '@pinojs/redact';
import type { FastifyRequest } from 'fastify';
import { StreamAssembler } from '../../cache/stream-entry.js';
import type { Config } from '../../config/schema.js';
import { redactPaths } from '../../observability/logger.js';

interface Capture {
  json: string | null;
  assembler: StreamAssembler | null;
  text: string;
}

export class BodyCapture {
  private readonly captures = new WeakMap<FastifyRequest, Capture>();
  private readonly redactor: (value: unknown) => string;

  constructor(private readonly config: () => Config) {
    const paths = redactPaths(config().logging, config().auth);
    this.redactor = redact({ paths, censor: '[REDACTED]' }) as (value: unknown) => string;
  }

  /** Whether this request's bodies are kept: the key's setting, else its team's, else the default. */
  wanted(request: FastifyRequest): boolean {
    const principal = request.proxy.principal;
    return principal?.key.store_bodies ?? principal?.team?.store_bodies ?? this.config().request_logs.store_bodies;
  }

  /** Starts watching a request's answer (called before it is dispatched). */
  watch(request: FastifyRequest): void {
    const capture: Capture = { json: null, assembler: null, text: '' };
    this.captures.set(request, capture);
    request.proxy.onBody = (body) => {
      capture.json = typeof body === 'string' ? body : body.toString('utf8');
    };
    if (request.proxy.onChunk || (request.body as { stream?: unknown } | undefined)?.stream === true) {
      const chat = request.proxy.route === '/v1/chat/completions';
      capture.assembler = chat ? new StreamAssembler('chat') : null;
      const previous = request.proxy.onChunk;
      request.proxy.onChunk = (chunk) => {
        previous?.(chunk);
        if (capture.assembler) capture.assembler.add(chunk);
        else if (capture.text.length < this.limit()) capture.text += chunk;
      };
    }
  }

  /** The stored forms of the request and its answer (null when not kept). */
  take(request: FastifyRequest): { request_body: string | null; response_body: string | null } {
    const capture = this.captures.get(request);
    if (!capture) return { request_body: null, response_body: null };
    this.captures.delete(request);
    let answer: unknown = null;
    if (capture.assembler) answer = capture.assembler.result();
    else if (capture.json !== null) answer = parse(capture.json);
    else if (capture.text) answer = { stream_text: capture.text };
    return { request_body: this.store(request.body ?? null), response_body: answer === null ? null : this.store(answer) };
  }

  private limit(): number {
    return this.config().request_logs.max_body_kb * 1024;
  }

  private store(value: unknown): string {
    const text = this.redactor(value);
    if (text.length <= this.limit()) return text;
    return JSON.stringify({ truncated: true, original_bytes: text.length, prefix: text.slice(0, this.limit()) });
  }
}

function parse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return { text };
  }
}
