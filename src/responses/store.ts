// The gateway's own store of Responses API answers (per process, in memory, bounded in bytes and
// time): what `previous_response_id`, `item_reference` inputs and GET /v1/responses/:id read when
// a response was stored (`store` is true unless the client says false, as with OpenAI). Each entry
// keeps only its own input items and its output; a conversation is rebuilt by walking the chain.
import { LRUCache } from 'lru-cache';
import { ProxyError } from '../errors.js';
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

export class ResponseStore {
  private readonly responses: LRUCache<string, StoredResponse>;
  private readonly items: LRUCache<string, StoredItem>;

  constructor(readonly settings: ResponseStoreSettings) {
    const maxSize = Math.max(1, Math.floor(settings.max_size_mb * 1024 * 1024));
    const ttl = settings.ttl * 1000;
    // Items share the budget with the responses that hold them: a quarter for the id index.
    this.responses = new LRUCache({ maxSize: Math.ceil(maxSize * 0.75), ttl, sizeCalculation: (entry) => Math.max(1, JSON.stringify(entry).length) });
    this.items = new LRUCache({ maxSize: Math.ceil(maxSize * 0.25), ttl, sizeCalculation: (stored) => Math.max(1, JSON.stringify(stored.item).length) });
  }

  get enabled(): boolean {
    return this.settings.enabled;
  }

  save(entry: StoredResponse): void {
    if (!this.enabled) return;
    const id = String(entry.response.id);
    this.responses.set(id, entry);
    for (const item of [...entry.input, ...(entry.response.output as ResponseItem[])]) {
      if (typeof item.id === 'string') this.items.set(item.id, { item, origin: entry.origin, provider: entry.provider });
    }
  }

  get(id: string): StoredResponse | undefined {
    return this.responses.get(id);
  }

  delete(id: string): boolean {
    return this.responses.delete(id);
  }

  item(id: string): StoredItem | undefined {
    return this.items.get(id);
  }

  /**
   * The stored responses of a conversation up to `previousId`, oldest first. Throws a 400 naming previous_response_id when a link is not (or no longer) stored.
   */
  history(previousId: string): StoredResponse[] {
    const chain: StoredResponse[] = [];
    for (let id: string | null = previousId; id; ) {
      const entry = this.responses.get(id);
      if (!entry) {
        const which = id === previousId ? `Response '${id}'` : `Response '${id}' (earlier in the conversation of '${previousId}')`;
        throw new ProxyError('invalid_request', `${which} is not in this gateway's response store (never stored, expired, or kept by another replica)`, 'previous_response_id');
      }
      chain.push(entry);
      if (chain.length > MAX_CHAIN) throw new ProxyError('invalid_request', `The conversation of '${previousId}' is longer than ${MAX_CHAIN} responses`, 'previous_response_id');
      id = entry.previous;
    }
    return chain.reverse();
  }
}
