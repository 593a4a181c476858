// A provider's models for the management API: its live list (adapter.listModels, cached for
// `model_management.cache_ttl` seconds) merged with the configured names, with capabilities,
// context window and output limit where known (model_overrides first, then a built-in table).
import type { Config } from '../config/schema.js';
import { ProviderError } from '../errors.js';
import type { ProviderHandle } from '../routing/candidates.js';
import type { ModelInfo } from './types.js';

export interface CatalogModel {
  id: string;
  object: 'model';
  owned_by: string;
  /** `provider` (live list), `config` (configured only) or `both`. */
  source: 'provider' | 'config' | 'both';
  capabilities: string[];
  context_window: number | null;
  max_tokens: number | null;
  selected: boolean;
}

export interface CatalogList {
  provider: string;
  object: 'list';
  data: CatalogModel[];
  total: number;
  cached: boolean;
  last_refresh: string | null;
  selected_model: string | null;
  /** Why the live list is missing, when it is. */
  live_error: string | null;
}

interface Known {
  context_window: number;
  max_tokens: number | null;
  capabilities: string[];
}

const CHAT = ['chat', 'streaming', 'tools'];
/** Longest prefix wins. */
const KNOWN: Record<string, Known> = {
  'gpt-4o': { context_window: 128_000, max_tokens: 16_384, capabilities: [...CHAT, 'vision'] },
  'gpt-4.1': { context_window: 1_047_576, max_tokens: 32_768, capabilities: [...CHAT, 'vision'] },
  'gpt-4-turbo': { context_window: 128_000, max_tokens: 4_096, capabilities: [...CHAT, 'vision'] },
  'gpt-4': { context_window: 8_192, max_tokens: 8_192, capabilities: CHAT },
  'gpt-3.5-turbo': { context_window: 16_385, max_tokens: 4_096, capabilities: CHAT },
  o1: { context_window: 200_000, max_tokens: 100_000, capabilities: [...CHAT, 'reasoning'] },
  o3: { context_window: 200_000, max_tokens: 100_000, capabilities: [...CHAT, 'reasoning'] },
  'o4-mini': { context_window: 200_000, max_tokens: 100_000, capabilities: [...CHAT, 'reasoning'] },
  'text-embedding': { context_window: 8_191, max_tokens: null, capabilities: ['embeddings'] },
  'dall-e': { context_window: 4_000, max_tokens: null, capabilities: ['images'] },
  claude: { context_window: 200_000, max_tokens: 8_192, capabilities: [...CHAT, 'vision'] },
  'gemini-1.5': { context_window: 1_000_000, max_tokens: 8_192, capabilities: [...CHAT, 'vision'] },
  'gemini-2': { context_window: 1_048_576, max_tokens: 65_536, capabilities: [...CHAT, 'vision'] },
  command: { context_window: 128_000, max_tokens: 4_096, capabilities: CHAT },
  grok: { context_window: 131_072, max_tokens: null, capabilities: CHAT },
  sonar: { context_window: 127_072, max_tokens: null, capabilities: ['chat', 'streaming', 'search'] },
};

function known(id: string): Known | null {
  const plain = id.slice(id.lastIndexOf('/') + 1);
  let best: string | null = null;
  for (const prefix of Object.keys(KNOWN)) if (plain.startsWith(prefix) && (!best || prefix.length > best.length)) best = prefix;
  return best ? KNOWN[best] : null;
}

interface CacheEntry {
  models: ModelInfo[];
  fetchedAt: number;
}

export class ModelCatalog {
  private readonly cache = new Map<string, CacheEntry>();

  constructor(private readonly config: () => Config) {}

  /** The merged list; `refresh` skips the cache. */
  async list(handle: ProviderHandle, selected: string | null, refresh = false): Promise<CatalogList> {
    const name = handle.config.name;
    const ttlMs = this.config().model_management.cache_ttl * 1000;
    let entry = this.cache.get(name);
    let cached = Boolean(entry && !refresh && Date.now() - entry.fetchedAt < ttlMs);
    let liveError: string | null = null;
    if (!cached) {
      if (!handle.adapter) {
        liveError = `provider is disabled: ${handle.disabledReason}`;
        entry = undefined;
      } else {
        try {
          entry = { models: await handle.adapter.listModels(AbortSignal.timeout(this.config().health_check.timeout * 1000)), fetchedAt: Date.now() };
          this.cache.set(name, entry);
        } catch (error) {
          liveError = error instanceof ProviderError ? error.message : (error as Error).message;
          cached = Boolean(entry);
        }
      }
    }
    const data = this.merge(handle, entry?.models ?? [], selected);
    return {
      provider: name,
      object: 'list',
      data,
      total: data.length,
      cached,
      last_refresh: entry ? new Date(entry.fetchedAt).toISOString() : null,
      selected_model: selected,
      live_error: liveError,
    };
  }

  forget(provider: string): void {
    this.cache.delete(provider);
  }

  private merge(handle: ProviderHandle, live: ModelInfo[], selected: string | null): CatalogModel[] {
    const overrides = this.config().model_overrides;
    const out = new Map<string, CatalogModel>();
    const describe = (id: string, info: ModelInfo | null, source: CatalogModel['source']): CatalogModel => {
      const table = known(id);
      const override = overrides[id];
      return {
        id,
        object: 'model',
        owned_by: info?.owned_by ?? handle.config.name,
        source,
        capabilities: info?.capabilities ?? table?.capabilities ?? [],
        context_window: override?.context_window ?? info?.context_window ?? table?.context_window ?? null,
        max_tokens: override?.max_tokens ?? info?.max_tokens ?? table?.max_tokens ?? null,
        selected: id === selected,
      };
    };
    for (const info of live) out.set(info.id, describe(info.id, info, 'provider'));
    for (const id of handle.config.models) {
      if (/[*?]/.test(id)) continue;
      const existing = out.get(id);
      if (existing) existing.source = 'both';
      else out.set(id, describe(id, null, 'config'));
    }
    if (selected && !out.has(selected)) out.set(selected, describe(selected, null, 'config'));
    return [...out.values()];
  }
}
