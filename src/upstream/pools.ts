// One undici pool per provider (DESIGN.md §2): connections and keep-alive sized by the provider's
// settings, so one slow provider cannot starve another's sockets.
import { readFileSync } from 'node:fs';
import { rootCertificates } from 'node:tls';
import { Pool, util, type Dispatcher } from 'undici';
import type { Config, ProviderConfig } from '../config/schema.js';

export interface UpstreamRequest {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Path below the provider's base URL, query string included (e.g. `/chat/completions`). */
  path: string;
  headers: Record<string, string>;
  body?: string | Buffer;
  signal?: AbortSignal;
  /** Milliseconds to wait for response headers. */
  headersTimeout: number;
  /** Milliseconds the body may stay silent between chunks. */
  bodyTimeout: number;
}

/** The system's certificate authorities plus those of `file` (a CA list replaces the defaults in Node). */
function trustedCas(file: string): string[] {
  return [...rootCertificates, readFileSync(file, 'utf8')];
}

export class Upstream {
  readonly origin: string;
  readonly basePath: string;
  private readonly pool: Pool;

  constructor(baseUrl: string, provider: ProviderConfig, http: Config['http_client']) {
    const url = new URL(baseUrl);
    this.origin = url.origin;
    this.basePath = url.pathname.replace(/\/+$/, '');
    const h2 = provider.http2 && url.protocol === 'https:';
    this.pool = new Pool(this.origin, {
      connections: http.pool_limits.max_connections ?? provider.max_connections,
      keepAliveTimeout: provider.keepalive_expiry * 1000,
      keepAliveMaxTimeout: Math.max(provider.keepalive_expiry * 1000, 600_000),
      connect: { timeout: http.connect_timeout * 1000, ...(http.ca_file ? { ca: trustedCas(http.ca_file) } : {}) },
      // HTTP/2 is offered through ALPN, so only on https. Left unset, pipelining follows the protocol
      // the upstream picked: one request at a time on HTTP/1.1, many streams on one HTTP/2 connection.
      ...(h2 ? { allowH2: true } : { pipelining: 1 }),
    });
  }

  request(req: UpstreamRequest): Promise<Dispatcher.ResponseData> {
    return this.pool.request({
      method: req.method,
      path: this.basePath + req.path,
      headers: req.headers,
      body: req.body,
      signal: req.signal,
      headersTimeout: req.headersTimeout,
      bodyTimeout: req.bodyTimeout,
    });
  }

  /**
   * The whole answer as one Buffer, for JSON: undici's dispatch with a handler that gathers the body,
   * instead of request()'s body stream, async resource and header object per response (about a
   * tenth of the proxy's CPU per request went to those). Headers are parsed only when asked for.
   */
  requestBuffered(req: UpstreamRequest): Promise<BufferedResponse> {
    return new Promise((resolve, reject) => {
      const handler = new BufferingHandler(resolve, reject, req.signal);
      this.pool.dispatch(
        {
          method: req.method,
          path: this.basePath + req.path,
          headers: req.headers,
          body: req.body,
          headersTimeout: req.headersTimeout,
          bodyTimeout: req.bodyTimeout,
        },
        handler,
      );
    });
  }

  /** Lets in-flight requests finish, then closes the sockets. */
  close(): Promise<void> {
    return this.pool.close();
  }

  destroy(): Promise<void> {
    return this.pool.destroy();
  }
}

export interface BufferedResponse {
  statusCode: number;
  body: Buffer;
  /** Response headers, lower-cased names, parsed on first use. */
  headers(): Record<string, string | string[] | undefined>;
}

/** An undici dispatch handler (the callbacks its HTTP/1.1 client calls) that keeps the body whole. */
class BufferingHandler implements Dispatcher.DispatchHandler {
  private abortUpstream: ((reason?: Error) => void) | null = null;
  private statusCode = 0;
  private rawHeaders: Buffer[] = [];
  private readonly chunks: Buffer[] = [];
  private readonly onAbort = () => this.abortUpstream?.(this.signal!.reason as Error);

  constructor(
    private readonly resolve: (response: BufferedResponse) => void,
    private readonly reject: (error: Error) => void,
    private readonly signal: AbortSignal | undefined,
  ) {
    signal?.addEventListener('abort', this.onAbort);
  }

  onConnect(abort: (reason?: Error) => void): void {
    if (this.signal?.aborted) abort(this.signal.reason as Error);
    else this.abortUpstream = abort;
  }

  onHeaders(statusCode: number, rawHeaders: Buffer[]): boolean {
    this.statusCode = statusCode;
    this.rawHeaders = rawHeaders;
    return true;
  }

  onData(chunk: Buffer): boolean {
    this.chunks.push(chunk);
    return true;
  }

  onComplete(): void {
    this.done();
    const { statusCode, rawHeaders, chunks } = this;
    let parsed: Record<string, string | string[] | undefined> | null = null;
    this.resolve({
      statusCode,
      body: chunks.length === 1 ? chunks[0] : Buffer.concat(chunks),
      headers: () => (parsed ??= util.parseHeaders(rawHeaders)),
    });
  }

  onError(error: Error): void {
    this.done();
    this.reject(error);
  }

  private done(): void {
    this.signal?.removeEventListener('abort', this.onAbort);
    this.abortUpstream = null;
  }
}
