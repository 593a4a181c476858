// Token usage and cost: a price table per model (built-in defaults, `pricing` in config wins), the
// cost of each answer, token counts for streams whose provider sent no usage, and running totals per
// provider, model and API key.
import type { FastifyRequest } from 'fastify';
import type { Config } from '../config/schema.js';
import type { JsonResult, Usage } from '../providers/types.js';
import type { DispatchResult } from '../routing/router.js';
import { usageOf } from '../upstream/raw-json.js';

export interface Price {
  input_per_1k: number;
  output_per_1k: number;
}

/** USD per 1,000 tokens, list prices of common models; `pricing` in config overrides or extends them. */
export const DEFAULT_PRICES: Readonly<Record<string, Price>> = {
  'gpt-4o': { input_per_1k: 0.0025, output_per_1k: 0.01 },
  'gpt-4o-mini': { input_per_1k: 0.00015, output_per_1k: 0.0006 },
  'gpt-4.1': { input_per_1k: 0.002, output_per_1k: 0.008 },
  'gpt-4.1-mini': { input_per_1k: 0.0004, output_per_1k: 0.0016 },
  'gpt-4.1-nano': { input_per_1k: 0.0001, output_per_1k: 0.0004 },
  'gpt-4-turbo': { input_per_1k: 0.01, output_per_1k: 0.03 },
  'gpt-4': { input_per_1k: 0.03, output_per_1k: 0.06 },
  'gpt-3.5-turbo': { input_per_1k: 0.0005, output_per_1k: 0.0015 },
  o1: { input_per_1k: 0.015, output_per_1k: 0.06 },
  'o1-mini': { input_per_1k: 0.0011, output_per_1k: 0.0044 },
  o3: { input_per_1k: 0.002, output_per_1k: 0.008 },
  'o3-mini': { input_per_1k: 0.0011, output_per_1k: 0.0044 },
  'o4-mini': { input_per_1k: 0.0011, output_per_1k: 0.0044 },
  'text-embedding-3-small': { input_per_1k: 0.00002, output_per_1k: 0 },
  'text-embedding-3-large': { input_per_1k: 0.00013, output_per_1k: 0 },
  'text-embedding-ada-002': { input_per_1k: 0.0001, output_per_1k: 0 },
  'claude-3-opus': { input_per_1k: 0.015, output_per_1k: 0.075 },
  'claude-opus-4': { input_per_1k: 0.015, output_per_1k: 0.075 },
  'claude-3-5-sonnet': { input_per_1k: 0.003, output_per_1k: 0.015 },
  'claude-3-7-sonnet': { input_per_1k: 0.003, output_per_1k: 0.015 },
  'claude-sonnet-4': { input_per_1k: 0.003, output_per_1k: 0.015 },
  'claude-3-5-haiku': { input_per_1k: 0.0008, output_per_1k: 0.004 },
  'claude-3-haiku': { input_per_1k: 0.00025, output_per_1k: 0.00125 },
  'gemini-1.5-pro': { input_per_1k: 0.00125, output_per_1k: 0.005 },
  'gemini-1.5-flash': { input_per_1k: 0.000075, output_per_1k: 0.0003 },
  'gemini-2.0-flash': { input_per_1k: 0.0001, output_per_1k: 0.0004 },
  'gemini-2.5-pro': { input_per_1k: 0.00125, output_per_1k: 0.01 },
  'gemini-2.5-flash': { input_per_1k: 0.0003, output_per_1k: 0.0025 },
  'command-r': { input_per_1k: 0.00015, output_per_1k: 0.0006 },
  'command-r-plus': { input_per_1k: 0.0025, output_per_1k: 0.01 },
  'grok-2': { input_per_1k: 0.002, output_per_1k: 0.01 },
  sonar: { input_per_1k: 0.001, output_per_1k: 0.001 },
  'sonar-pro': { input_per_1k: 0.003, output_per_1k: 0.015 },
};

/** The model name without a `provider/` pin (`openai/gpt-4o` → `gpt-4o`). */
export function plainModel(model: string): string {
  const slash = model.lastIndexOf('/');
  return slash >= 0 ? model.slice(slash + 1) : model;
}

/**
 * The price of a model: an exact name first (config, then defaults), else the longest known name the
 * model starts with, so dated snapshots (`gpt-4o-2024-08-06`) are priced like their family.
 */
export function priceOf(pricing: Config['pricing'], model: string): Price | null {
  let known = priceCache.get(pricing);
  if (!known) priceCache.set(pricing, (known = new Map()));
  let price = known.get(model);
  if (price === undefined) {
    // Model names come from clients: a bounded memo, emptied when full.
    if (known.size >= PRICE_CACHE_SIZE) known.clear();
    price = findPrice(pricing, model);
    known.set(model, price);
  }
  return price;
}

/** Prices already looked up, per price table (a reload brings a new table). */
const priceCache = new WeakMap<Config['pricing'], Map<string, Price | null>>();
const PRICE_CACHE_SIZE = 1000;

function findPrice(pricing: Config['pricing'], model: string): Price | null {
  const key = priceKey(pricing, model);
  return key === null ? null : (pricing[key] ?? DEFAULT_PRICES[key]);
}

/** The price-table name a model is priced by (itself, or the longest name it starts with); null when unpriced. */
export function priceKey(pricing: Config['pricing'], model: string): string | null {
  const name = plainModel(model);
  if (Object.hasOwn(pricing, name) || Object.hasOwn(DEFAULT_PRICES, name)) return name;
  let best: string | null = null;
  for (const table of [pricing, DEFAULT_PRICES]) {
    for (const key of Object.keys(table)) if (name.startsWith(key) && (best === null || key.length > best.length)) best = key;
  }
  return best;
}

/** Cost in USD of one answer, or null when the model has no known price. */
export function costOf(pricing: Config['pricing'], model: string, usage: Usage): number | null {
  const price = priceOf(pricing, model);
  if (!price) return null;
  const prompt = usage.prompt_tokens ?? 0;
  const completion = usage.completion_tokens ?? 0;
  return roundUsd((prompt / 1000) * price.input_per_1k + (completion / 1000) * price.output_per_1k);
}

export function roundUsd(value: number): number {
  return Math.round(value * 1e8) / 1e8;
}

/**
 * The `_proxy_info` extras of a JSON answer: its cost, also noted for the request's log line.
 * Undefined when the answer has no usage or its model no price.
 */
export function costInfo(request: FastifyRequest, config: Config, outcome: DispatchResult<JsonResult>): { cost_usd: number } | undefined {
  const usage = usageOf(outcome.value);
  if (!usage) return undefined;
  const cost = costOf(config.pricing, outcome.model, usage);
  if (cost === null) return undefined;
  request.proxy.extra.cost_usd = cost;
  return { cost_usd: cost };
}

/** OpenAI's rule of thumb for English text; what a stream without a usage chunk is counted with. */
const CHARS_PER_TOKEN = 4;
const PER_MESSAGE = 4;

const estimate = (text: string) => Math.ceil(text.length / CHARS_PER_TOKEN);

/**
 * Usage of a streamed answer whose provider sent none, estimated from the text (four characters a
 * token, plus OpenAI's per-message overhead). Deliberately not the BPE tokenizer: building its
 * tables blocks the event loop for about a second, too much to pay on the request path for a
 * metric. Clients that want exact numbers ask for `stream_options.include_usage`.
 */
export function countedUsage(body: Record<string, unknown>, completion: string): Usage {
  let prompt = 0;
  if (Array.isArray(body.messages)) {
    prompt = 3;
    for (const message of body.messages as Array<Record<string, unknown>>) prompt += PER_MESSAGE + estimate(contentText(message?.content));
  } else {
    const input = body.prompt ?? body.input;
    const parts = typeof input === 'string' ? [input] : Array.isArray(input) ? input.filter((p): p is string => typeof p === 'string') : [];
    prompt = parts.reduce((sum, part) => sum + estimate(part), 0);
  }
  const completionTokens = estimate(completion);
  return { prompt_tokens: prompt, completion_tokens: completionTokens, total_tokens: prompt + completionTokens };
}

function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) return content.map((part) => (typeof (part as { text?: unknown })?.text === 'string' ? (part as { text: string }).text : '')).join('');
  return '';
}

/**
 * The text of a streamed answer, kept for counting only if the provider sends no usage. Chunks are
 * held as they came and parsed at the end, so streams that do report usage never pay for a parse.
 */
export class StreamText {
  private readonly chunks: string[] = [];

  add(chunk: string): void {
    if (chunk.includes('"content"') || chunk.includes('"text"')) this.chunks.push(chunk);
  }

  text(): string {
    const parts: string[] = [];
    for (const chunk of this.chunks) {
      try {
        const parsed = JSON.parse(chunk) as { choices?: Array<{ delta?: { content?: unknown }; text?: unknown }> };
        for (const choice of parsed.choices ?? []) {
          const text = choice.delta?.content ?? choice.text;
          if (typeof text === 'string') parts.push(text);
        }
      } catch {
        // a chunk we cannot read adds nothing we can count
      }
    }
    return parts.join('');
  }
}

export interface UsageTotals {
  requests: number;
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  cost_usd: number;
}

const emptyTotals = (): UsageTotals => ({ requests: 0, prompt_tokens: 0, completion_tokens: 0, total_tokens: 0, cost_usd: 0 });

/** Running totals per provider, model and API key (by the first 16 hex digits of its SHA-256). */
export class UsageLedger {
  readonly byProvider = new Map<string, UsageTotals>();
  readonly byModel = new Map<string, UsageTotals>();
  readonly byKey = new Map<string, UsageTotals>();
  /** Keys tracked individually; beyond this, usage is added under `other` so memory stays bounded. */
  private static readonly MAX_ENTRIES = 10_000;

  record(provider: string, model: string, keyHash: string | null, usage: Usage, cost: number | null): void {
    const key = keyHash ? keyHash.slice(0, 16) : 'anonymous';
    for (const [map, name] of [
      [this.byProvider, provider],
      [this.byModel, model],
      [this.byKey, key],
    ] as const) {
      const slot = map.has(name) || map.size < UsageLedger.MAX_ENTRIES ? name : 'other';
      let totals = map.get(slot);
      if (!totals) map.set(slot, (totals = emptyTotals()));
      totals.requests++;
      totals.prompt_tokens += usage.prompt_tokens ?? 0;
      totals.completion_tokens += usage.completion_tokens ?? 0;
      totals.total_tokens += usage.total_tokens ?? (usage.prompt_tokens ?? 0) + (usage.completion_tokens ?? 0);
      if (cost !== null) totals.cost_usd = roundUsd(totals.cost_usd + cost);
    }
  }

  /** Adds another process's totals (its snapshot) to these. */
  absorb(other: ReturnType<UsageLedger['snapshot']>): void {
    for (const [map, totals] of [
      [this.byProvider, other.by_provider],
      [this.byModel, other.by_model],
      [this.byKey, other.by_api_key],
    ] as const) {
      for (const [name, from] of Object.entries(totals)) {
        let into = map.get(name);
        if (!into) map.set(name, (into = emptyTotals()));
        into.requests += from.requests;
        into.prompt_tokens += from.prompt_tokens;
        into.completion_tokens += from.completion_tokens;
        into.total_tokens += from.total_tokens;
        into.cost_usd = roundUsd(into.cost_usd + from.cost_usd);
      }
    }
  }

  snapshot(): Record<'by_provider' | 'by_model' | 'by_api_key', Record<string, UsageTotals>> {
    return {
      by_provider: Object.fromEntries(this.byProvider),
      by_model: Object.fromEntries(this.byModel),
      by_api_key: Object.fromEntries(this.byKey),
    };
  }
}
