// The one Redis connection of a running proxy, shared by rate-limit counters, the response cache,
// provider quotas and budgets; opened at start from `redis.url` (changing the URL needs a restart). Commands
// fail fast while Redis is away, so callers can fail open or closed; failures are logged at most once
// per interval per component and reported on /health.
import { createRequire } from 'node:module';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';

/**
 * ioredis is loaded with the first connection: a proxy without `redis.url` never needs it, and
 * loading it costs about 10 MB of resident memory.
 */
function loadIoredis(): typeof import('ioredis') {
  return createRequire(import.meta.url)('ioredis') as typeof import('ioredis');
}

/** Failures of one component are logged at most once per this interval (the rest are counted). */
export const ERROR_LOG_INTERVAL_MS = 30_000;

export interface StoreStatus {
  backend: 'memory' | 'redis';
  /** memory: always 'ok'; redis: 'ok' when connected, else 'connecting' or 'down'. */
  status: 'ok' | 'connecting' | 'down';
  errors: number;
  last_error: string | null;
  last_error_at: string | null;
  /** When it entered its current status (ISO 8601); null without Redis. */
  since: string | null;
}

export class SharedRedis {
  readonly client: Redis;
  /** `redis.key_prefix`; every key this proxy writes starts with it. */
  readonly prefix: string;
  private errors = 0;
  private lastError: string | null = null;
  private lastErrorAt: number | null = null;
  private readonly lastLogged = new Map<string, number>();
  private closed = false;
  /** The last status seen, and since when. */
  private seen: { status: StoreStatus['status']; at: number } = { status: 'connecting', at: Date.now() };

  constructor(
    url: string,
    prefix: string,
    commandTimeoutMs: number,
    private readonly logger: Logger,
  ) {
    this.prefix = prefix;
    this.client = new (loadIoredis().Redis)(url, {
      // Fail fast instead of queueing while disconnected: a request must not wait for Redis to return.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      autoResendUnfulfilledCommands: false,
      commandTimeout: commandTimeoutMs,
      connectTimeout: Math.max(1000, commandTimeoutMs * 4),
      // No auto-pipelining: it defers every command to setImmediate, which under load costs more than
      // the write it saves; commands issued together are still sent back to back without waiting.
      enableAutoPipelining: false,
      retryStrategy: (times) => Math.min(50 * 2 ** Math.min(times, 6), 2000),
    });
    this.client.on('error', (error: Error) => {
      this.track('down');
      this.report('redis', error);
    });
    this.client.on('ready', () => {
      this.track('ok');
      if (this.lastLogged.size > 0) this.logger.info({ component: 'redis' }, 'Redis connection (re)established');
      this.lastLogged.clear();
    });
  }

  /** Resolves true once connected; false on the first connection error or after `timeoutMs` (callers then run degraded until it connects). */
  async ready(timeoutMs: number): Promise<boolean> {
    if (this.client.status === 'ready') return true;
    return new Promise<boolean>((resolve) => {
      const done = (ok: boolean) => {
        clearTimeout(timer);
        this.client.off('ready', onReady);
        this.client.off('error', onError);
        resolve(ok);
      };
      const onReady = () => done(true);
      const onError = () => done(false);
      const timer = setTimeout(() => done(false), timeoutMs);
      this.client.on('ready', onReady);
      this.client.on('error', onError);
    });
  }

  get connected(): boolean {
    return this.client.status === 'ready';
  }

  key(...parts: string[]): string {
    return this.prefix + parts.join(':');
  }

  /** Records a failure; logs it unless this component already logged one within the interval. */
  report(component: string, error: unknown): void {
    if (this.closed) return;
    this.errors++;
    this.lastError = `${component}: ${error instanceof Error ? error.message : String(error)}`;
    this.lastErrorAt = Date.now();
    const now = Date.now();
    const last = this.lastLogged.get(component);
    if (last !== undefined && now - last < ERROR_LOG_INTERVAL_MS) return;
    this.lastLogged.set(component, now);
    this.logger.warn({ component, err_message: this.lastError, errors_total: this.errors }, 'Redis unavailable: degrading (see rate_limit.on_store_error; the cache fails open)');
  }

  status(): StoreStatus {
    const s = this.client.status;
    const status = s === 'ready' ? 'ok' : s === 'connecting' || s === 'connect' || s === 'wait' ? 'connecting' : 'down';
    this.track(status);
    return {
      backend: 'redis',
      status,
      since: new Date(this.seen.at).toISOString(),
      errors: this.errors,
      last_error: this.lastError,
      last_error_at: this.lastErrorAt === null ? null : new Date(this.lastErrorAt).toISOString(),
    };
  }

  /** Notes a change of status; 'connecting' after 'down' is still down (ioredis retrying). */
  private track(status: StoreStatus['status']): void {
    const effective = status === 'connecting' && this.seen.status === 'down' ? 'down' : status;
    if (effective !== this.seen.status) this.seen = { status: effective, at: Date.now() };
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.client.quit().catch(() => this.client.disconnect());
  }
}

/** The proxy's Redis connection when `redis.url` is set (changing the URL needs a restart), else null. */
export function connectRedis(config: Config['redis'], logger: Logger): SharedRedis | null {
  const { url, key_prefix: prefix, command_timeout_ms: timeout } = config;
  return url ? new SharedRedis(url, prefix, timeout, logger.child({ component: 'redis' })) : null;
}

/** What /health shows for the shared state store. */
export function storeStatus(shared: SharedRedis | null): StoreStatus {
  if (!shared) return { backend: 'memory', status: 'ok', errors: 0, last_error: null, last_error_at: null, since: null };
  return shared.status();
}
