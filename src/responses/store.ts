// The gateway's own store of Responses API answers: what `previous_response_id`, `item_reference`
// inputs and GET/DELETE /v1/responses/:id read when a response was stored (`store` is true unless the
// client says false, as with OpenAI). With Redis (`redis.url`) it is shared by every replica and
// worker, each entry kept for `ttl`; without, it lives in this process's memory, bounded in bytes
// (`max_size_mb`) and time. Each entry keeps only its own input items and its output; a conversation
// is rebuilt by walking the chain.
import { LRUCache } from 'lru-cache';
import { ProxyError } from '../errors.js';
import type { SharedRedis } from '../state/redis.js';
import type { ResponseItem } from './schema.js';

export interface StoredResponse {
  response: Record<string, unknown>;
  previous: string | null;
  /** This request's input items (references already resolved). */
  input: ResponseItem[];
  /** 'gateway' when the gateway wrote the response (translated); 'upstream' when a provider did. */
  origin: 'gateway' | 'upstream';
  provider: string;
}

export interface StoredItem {
  item: ResponseItem;
  origin: StoredResponse['origin'];
  provider: string;
}

export interface ResponseStoreSettings {
  enabled: boolean;
  max_size_mb: number;
  ttl: number;
}

/** How many earlier responses one request may reach back through `previous_response_id`. */
const MAX_CHAIN = 1000;

/** Where stored answers live: this process's memory, Redis, or (workers) the primary's memory. */
export interface ResponseBackend {
  setResponse(id: string, entry: StoredResponse, items: Array<[string, StoredItem]>, ttlMs: number): Promise<void>;
  getResponse(id: string): Promise<StoredResponse | undefined>;
  deleteResponse(id: string): Promise<boolean>;
  getItem(id: string): Promise<StoredItem | undefined>;
}

export class MemoryResponseBackend implements ResponseBackend {
  private readonly responses: LRUCache<string, StoredResponse>;
  private readonly items: LRUCache<string, StoredItem>;

  constructor(settings: ResponseStoreSettings) {
    const maxSize = Math.max(1, Math.floor(settings.max_size_mb * 1024 * 1024));
    const ttl = settings.ttl * 1000;
    // Items share the budget with the responses that hold them: a quarter for the id index.
    this.responses = new LRUCache({ maxSize: Math.ceil(maxSize * 0.75), ttl, sizeCalculation: (entry) => Math.max(1, JSON.stringify(entry).length) });
    this.items = new LRUCache({ maxSize: Math.ceil(maxSize * 0.25), ttl, sizeCalculation: (stored) => Math.max(1, JSON.stringify(stored.item).length) });
  }

  async setResponse(id: string, entry: StoredResponse, items: Array<[string, StoredItem]>): Promise<void> {
    this.responses.set(id, entry);
    for (const [itemId, item] of items) this.items.set(itemId, item);
  }

  async getResponse(id: string): Promise<StoredResponse | undefined> {
    return this.responses.get(id);
  }

  async deleteResponse(id: string): Promise<boolean> {
    return this.responses.delete(id);
  }

  async getItem(id: string): Promise<StoredItem | undefined> {
    return this.items.get(id);
  }
}

/** Under `<key_prefix>resp:<id>` and `<key_prefix>resp-item:<id>`, JSON with the store's TTL. */
export class RedisResponseBackend implements ResponseBackend {
  constructor(private readonly shared: SharedRedis) {}

  async setResponse(id: string, entry: StoredResponse, items: Array<[string, StoredItem]>, ttlMs: number): Promise<void> {
    const pipeline = this.shared.client.multi();
    pipeline.set(this.shared.key('resp', id), JSON.stringify(entry), 'PX', ttlMs);
    for (const [itemId, item] of items) pipeline.set(this.shared.key('resp-item', itemId), JSON.stringify(item), 'PX', ttlMs);
    const results = await pipeline.exec();
    const failed = results?.find(([error]) => error);
    if (failed) throw failed[0];
  }

  async getResponse(id: string): Promise<StoredResponse | undefined> {
    const text = await this.shared.client.get(this.shared.key('resp', id));
    return text === null ? undefined : (JSON.parse(text) as StoredResponse);
  }

  async deleteResponse(id: string): Promise<boolean> {
    return (await this.shared.client.del(this.shared.key('resp', id))) > 0;
  }

  async getItem(id: string): Promise<StoredItem | undefined> {
    const text = await this.shared.client.get(this.shared.key('resp-item', id));
    return text === null ? undefined : (JSON.parse(text) as StoredItem);
  }
}

export class ResponseStore {
  private readonly backend: ResponseBackend;

  constructor(
    readonly settings: ResponseStoreSettings,
    private readonly redis: SharedRedis | null = null,
    /** Where answers live when not in Redis (default: this process's memory; workers: their primary's). */
    local?: ResponseBackend,
  ) {
    this.backend = redis ? new RedisResponseBackend(redis) : (local ?? new MemoryResponseBackend(settings));
  }

  get enabled(): boolean {
    return this.settings.enabled;
  }

  /** Stores an answer; a store that cannot be reached is reported (the answer itself was delivered). */
  async save(entry: StoredResponse): Promise<void> {
    if (!this.enabled) return;
    const items: Array<[string, StoredItem]> = [];
    for (const item of [...entry.input, ...(entry.response.output as ResponseItem[])]) {
      if (typeof item.id === 'string') items.push([item.id, { item, origin: entry.origin, provider: entry.provider }]);
    }
    try {
      await this.backend.setResponse(String(entry.response.id), entry, items, this.settings.ttl * 1000);
    } catch (error) {
      this.redis?.report('responses_store', error);
    }
  }

  get(id: string): Promise<StoredResponse | undefined> {
    return this.read(() => this.backend.getResponse(id));
  }

  delete(id: string): Promise<boolean> {
    return this.read(() => this.backend.deleteResponse(id));
  }

  item(id: string): Promise<StoredItem | undefined> {
    return this.read(() => this.backend.getItem(id));
  }

  /**
   * The stored responses of a conversation up to `previousId`, oldest first. Throws a 400 naming previous_response_id when a link is not (or no longer) stored.
   */
  async history(previousId: string): Promise<StoredResponse[]> {
    const chain: StoredResponse[] = [];
    for (let id: string | null = previousId; id; ) {
      const entry = await this.get(id);
      if (!entry) {
        const which = id === previousId ? `Response '${id}'` : `Response '${id}' (earlier in the conversation of '${previousId}')`;
        const where = this.redis ? 'never stored, expired or deleted' : 'never stored, expired, or kept by another replica: without redis.url each process keeps its own';
        throw new ProxyError('invalid_request', `${which} is not in this gateway's response store (${where})`, 'previous_response_id');
      }
      chain.push(entry);
      if (chain.length > MAX_CHAIN) throw new ProxyError('invalid_request', `The conversation of '${previousId}' is longer than ${MAX_CHAIN} responses`, 'previous_response_id');
      id = entry.previous;
    }
    return chain.reverse();
  }

  /** Reads from the backend; Redis away is a 503 the client may retry, not a 'not found'. */
  private async read<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      this.redis?.report('responses_store', error);
      throw new ProxyError('provider_unavailable', 'The response store (Redis) cannot be reached; try again shortly', null, {}, { 'retry-after': '1' });
    }
  }
}
