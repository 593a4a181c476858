// One undici pool per provider (DESIGN.md §2): connections and keep-alive sized by the provider's
// settings, so one slow provider cannot starve another's sockets.
import { Pool, type Dispatcher } from 'undici';
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

export class Upstream {
  readonly origin: string;
  readonly basePath: string;
  private readonly pool: Pool;

  constructor(baseUrl: string, provider: ProviderConfig, http: Config['http_client']) {
    const url = new URL(baseUrl);
    this.origin = url.origin;
    this.basePath = url.pathname.replace(/\/+$/, '');
    this.pool = new Pool(this.origin, {
      connections: http.pool_limits.max_connections ?? provider.max_connections,
      keepAliveTimeout: provider.keepalive_expiry * 1000,
      keepAliveMaxTimeout: Math.max(provider.keepalive_expiry * 1000, 600_000),
      connect: { timeout: http.connect_timeout * 1000 },
      pipelining: 1,
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

  /** Lets in-flight requests finish, then closes the sockets. */
  close(): Promise<void> {
    return this.pool.close();
  }

  destroy(): Promise<void> {
    return this.pool.destroy();
  }
}
