// The response cache: one interface over two backends — in memory (lru-cache bounded in bytes, TTL,
// optional compression) or Redis (compressed values with a TTL, shared by replicas). Redis errors are
// reported and count as misses: the cache fails open. Also holds the in-flight calls identical
// requests share (coalescing) and the counters behind stats().
import { LRUCache } from 'lru-cache';
import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import type { SharedRedis } from '../state/redis.js';
import { decodeEntry, encodeEntry, entrySize, type CachedResponse } from './entry.js';

export interface CacheBackend {
  readonly kind: 'memory' | 'redis';
  get(key: string): Promise<CachedResponse | null>;
  set(key: string, entry: CachedResponse, ttlMs: number): Promise<void>;
  /** Removes every entry; resolves with how many there were. */
  clear(): Promise<number>;
  usage(): Promise<{ entries: number; bytes: number }>;
}

interface Stored {
  entry: CachedResponse | null;
  bytes: Buffer | null;
  size: number;
}

export class MemoryBackend implements CacheBackend {
  readonly kind = 'memory';
  private readonly lru: LRUCache<string, Stored>;

  constructor(
    readonly maxBytes: number,
    readonly compress: boolean,
    ttlMs: number,
  ) {
    this.lru = new LRUCache<string, Stored>({ maxSize: maxBytes, sizeCalculation: (stored) => stored.size, ttl: ttlMs, updateAgeOnGet: false });
  }

  async get(key: string): Promise<CachedResponse | null> {
    const stored = this.lru.get(key);
    if (!stored) return null;
    return stored.entry ?? decodeEntry(stored.bytes!);
  }

  async set(key: string, entry: CachedResponse, ttlMs: number): Promise<void> {
    if (this.compress) {
      const bytes = encodeEntry(entry, true);
      this.lru.set(key, { entry: null, bytes, size: bytes.length + key.length }, { ttl: ttlMs });
    } else {
      this.lru.set(key, { entry, bytes: null, size: entrySize(entry) + key.length }, { ttl: ttlMs });
    }
  }

  async clear(): Promise<number> {
    this.lru.purgeStale();
    const count = this.lru.size;
    this.lru.clear();
    return count;
  }

  async usage(): Promise<{ entries: number; bytes: number }> {
    this.lru.purgeStale();
    return { entries: this.lru.size, bytes: this.lru.calculatedSize };
  }
}

/** Keys under `<key_prefix>cache:`; stats and clear walk them with SCAN (never KEYS). */
export class RedisBackend implements CacheBackend {
  readonly kind = 'redis';

  constructor(private readonly shared: SharedRedis) {}

  private key(key: string): string {
    return this.shared.key('cache', key);
  }

  async get(key: string): Promise<CachedResponse | null> {
    const bytes = await this.shared.client.getBuffer(this.key(key));
    return bytes ? decodeEntry(bytes) : null;
  }

  async set(key: string, entry: CachedResponse, ttlMs: number): Promise<void> {
    await this.shared.client.set(this.key(key), encodeEntry(entry, true), 'PX', Math.max(1, Math.round(ttlMs)));
  }

  async clear(): Promise<number> {
    let count = 0;
    for await (const keys of this.scan()) {
      if (keys.length > 0) count += await this.shared.client.unlink(...keys);
    }
    return count;
  }

  async usage(): Promise<{ entries: number; bytes: number }> {
    let entries = 0;
    let bytes = 0;
    for await (const keys of this.scan()) {
      if (keys.length === 0) continue;
      const pipeline = this.shared.client.pipeline();
      for (const key of keys) pipeline.strlen(key);
      for (const [error, length] of (await pipeline.exec()) ?? []) {
        if (!error && typeof length === 'number' && length > 0) {
          entries++;
          bytes += length;
        }
      }
    }
    return { entries, bytes };
  }

  private scan(): AsyncIterable<string[]> {
    const pattern = `${this.shared.key('cache', '').replace(/[*?[\]\\]/g, '\\$&')}*`;
    return this.shared.client.scanStream({ match: pattern, count: 500 }) as AsyncIterable<string[]>;
  }
}

export interface CacheStats {
  enabled: boolean;
  backend: 'memory' | 'redis';
  hits: number;
  misses: number;
  /** Requests that skipped the cache (x-proxy-cache: bypass, no-store, non-deterministic). */
  bypassed: number;
  /** Hits served by joining an identical request already in flight. */
  coalesced: number;
  /** hits / (hits + misses), 0 before any lookup. */
  hit_rate: number;
  /** Null when the backend could not be read (Redis down). */
  entries: number | null;
  bytes: number | null;
  max_bytes: number | null;
}

export class ResponseCache {
  hits = 0;
  misses = 0;
  bypassed = 0;
  coalesced = 0;
  /** Calls in flight per key; identical requests wait for the first one's answer. */
  readonly inflight = new Map<string, Promise<CachedResponse | null>>();
  private memory: MemoryBackend | null = null;
  private readonly redis: RedisBackend | null;

  constructor(
    private readonly config: () => Config,
    private readonly shared: SharedRedis | null,
    private readonly logger: Logger,
  ) {
    this.redis = shared ? new RedisBackend(shared) : null;
  }

  get enabled(): boolean {
    return this.config().caching.enabled;
  }

  /** Redis when `redis.url` is set, else memory (rebuilt, empty, when its size or compression changes). */
  backend(): CacheBackend {
    if (this.redis) return this.redis;
    const settings = this.config().caching.response_cache;
    const maxBytes = Math.floor(settings.max_size_mb * 1024 * 1024);
    if (!this.memory || this.memory.maxBytes !== maxBytes || this.memory.compress !== settings.compression) {
      this.memory = new MemoryBackend(maxBytes, settings.compression, settings.ttl * 1000);
    }
    return this.memory;
  }

  /** The stored answer, or null on a miss or when the backend fails (reported). */
  async lookup(key: string): Promise<CachedResponse | null> {
    try {
      return await this.backend().get(key);
    } catch (error) {
      this.report(error);
      return null;
    }
  }

  async store(key: string, entry: CachedResponse): Promise<void> {
    try {
      await this.backend().set(key, entry, this.config().caching.response_cache.ttl * 1000);
    } catch (error) {
      this.report(error);
    }
  }

  /** Empties the cache (every replica's, with Redis); resolves with the number of entries removed. */
  async clear(): Promise<{ cleared: number }> {
    const cleared = await this.backend().clear();
    return { cleared };
  }

  async stats(): Promise<CacheStats> {
    const backend = this.backend();
    let usage: { entries: number; bytes: number } | null = null;
    try {
      usage = await backend.usage();
    } catch (error) {
      this.report(error);
    }
    const lookups = this.hits + this.misses;
    return {
      enabled: this.enabled,
      backend: backend.kind,
      hits: this.hits,
      misses: this.misses,
      bypassed: this.bypassed,
      coalesced: this.coalesced,
      hit_rate: lookups === 0 ? 0 : Math.round((this.hits / lookups) * 10_000) / 10_000,
      entries: usage?.entries ?? null,
      bytes: usage?.bytes ?? null,
      max_bytes: backend instanceof MemoryBackend ? backend.maxBytes : null,
    };
  }

  private report(error: unknown): void {
    if (this.shared) this.shared.report('response_cache', error);
    else this.logger.warn({ err: error }, 'response cache error');
  }
}
