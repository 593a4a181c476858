// Context condensation around a chat dispatch: when an upstream rejects a conversation as too long
// (or, in proactive mode, before sending one that cannot fit), condense it and retry, trying
// `condensation.fallback_strategies` in order, each with one retry:
//   truncate            drop the oldest turns (tool calls kept with their results) until it fits
//   summarize           replace the oldest turns by a summary from `summary_model` (LRU-cached)
//   secondary_provider  send it to a model whose `model_overrides` context_window is large enough
// The answer says what happened in `_proxy_info.condensed` and the `x-proxy-condensed` header.
import { createHash } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { LRUCache } from 'lru-cache';
import type { Config } from '../config/schema.js';
import { ProviderError } from '../errors.js';
import type { ChatRequest } from '../providers/canonical.js';
import type { Operation } from '../providers/types.js';
import { planDrop, transcript, withSummary } from './condense-plan.js';
import { asContextLengthError, contextWindow, isContextLengthError, limitFromMessage } from './context-errors.js';
import type { ClientLink } from './attempt-timer.js';
import type { ProviderSource } from './candidates.js';
import type { Attempt, DispatchOptions, DispatchResult, Router } from './router.js';
import { TokenCounter, tokenUpperBound } from './tokens.js';

export type Strategy = Config['condensation']['fallback_strategies'][number];

export interface CondensedInfo {
  strategy: Strategy;
  trigger: 'context_length_error' | 'proactive';
  original_tokens: number;
  condensed_tokens: number;
  messages_removed: number;
  /** secondary_provider: the model the request went to instead. */
  model?: string;
  /** summarize: whether the summary came from the cache. */
  summary_cached?: boolean;
}

interface Condensed {
  body: ChatRequest;
  info: CondensedInfo;
}

interface Need {
  /** Prompt tokens the condensed request should stay within. */
  target: number;
  /** The context limit we know of (error message or model window), if any. */
  limit: number | null;
  tokens: number;
  trigger: CondensedInfo['trigger'];
}

const SUMMARY_PROMPT =
  'Summarise the conversation excerpt below for an assistant that will continue the conversation without seeing it. ' +
  'Keep every fact, decision, name, number, open question and instruction that may matter later. Be concise; no preamble.';

export class Condenser {
  private summaries: LRUCache<string, string>;
  private summariesFor: { size: number; ttl: number };

  constructor(
    private readonly source: ProviderSource,
    readonly router: Router,
  ) {
    const { cache_size, cache_ttl } = source.config.condensation;
    this.summariesFor = { size: cache_size, ttl: cache_ttl };
    this.summaries = new LRUCache({ max: cache_size, ttl: cache_ttl * 1000 });
  }

  /** The configuration in force. */
  get config(): Config {
    return this.source.config;
  }

  /** Forgets every cached summary (POST /cache/clear). */
  clearSummaries(): void {
    this.summaries.clear();
  }

  get summaryCacheSize(): number {
    return this.summaries.size;
  }

  /** Runs `strategy` on `body`; null when the strategy cannot make it fit. */
  async apply(strategy: Strategy, body: ChatRequest, need: Need, client: ClientLink, requestId: string): Promise<Condensed | null> {
    const config = this.source.config;
    const counter = await TokenCounter.forModel(body.model);
    const extra = 3 + (body.tools?.length ? counter.text(JSON.stringify(body.tools)) : 0);
    const base = { trigger: need.trigger, original_tokens: need.tokens };
    if (strategy === 'truncate') {
      const plan = planDrop(body.messages, counter, need.target, extra);
      if (!plan) return null;
      return { body: { ...body, messages: plan.kept }, info: { strategy, ...base, condensed_tokens: plan.tokens, messages_removed: plan.dropped.length } };
    }
    if (strategy === 'summarize') {
      const model = config.condensation.summary_model;
      if (!model) return null;
      const maxTokens = config.condensation.summary_max_tokens;
      const plan = planDrop(body.messages, counter, need.target, extra + maxTokens + 20);
      if (!plan) return null;
      const { summary, cached } = await this.summarize(model, plan.dropped, client, requestId);
      const messages = withSummary(plan.kept, summary);
      const tokens = counter.request({ messages, tools: body.tools });
      return { body: { ...body, messages }, info: { strategy, ...base, condensed_tokens: tokens, messages_removed: plan.dropped.length, summary_cached: cached } };
    }
    const model = this.largerModel(body.model, need);
    if (!model) return null;
    return { body: { ...body, model }, info: { strategy, ...base, condensed_tokens: need.tokens, messages_removed: 0, model } };
  }

  /** How far a request must shrink: to `truncation_threshold` of the known limit, leaving room for the answer. */
  async need(body: ChatRequest, trigger: Need['trigger'], limitHint: number | null): Promise<Need> {
    const config = this.source.config;
    const counter = await TokenCounter.forModel(body.model);
    const tokens = counter.request(body);
    const limit = limitHint ?? contextWindow(config, body.model);
    const threshold = config.condensation.truncation_threshold;
    const shrunk = Math.floor(tokens * threshold);
    if (limit === null) return { target: shrunk, limit, tokens, trigger };
    const answer = Math.min(body.max_completion_tokens ?? body.max_tokens ?? 0, Math.floor(limit / 2));
    const fits = Math.floor(limit * threshold) - answer;
    // Rejected by the upstream although our estimate fits: it counts differently, so shrink anyway.
    return { target: trigger === 'context_length_error' ? Math.min(fits, shrunk) : fits, limit, tokens, trigger };
  }

  /** The smallest `model_overrides` model (that some provider serves) whose window fits the request. */
  private largerModel(current: string, need: Need): string | null {
    const config = this.source.config;
    const own = contextWindow(config, current) ?? need.limit ?? need.tokens;
    let best: { model: string; window: number } | null = null;
    for (const [model, override] of Object.entries(config.model_overrides)) {
      const window = override.context_window;
      if (!window || model === current || window <= own || window < need.tokens / config.condensation.truncation_threshold) continue;
      if (best && window >= best.window) continue;
      try {
        this.router.candidates(model, 'chat');
      } catch {
        continue;
      }
      best = { model, window };
    }
    return best?.model ?? null;
  }

  private async summarize(model: string, dropped: ChatRequest['messages'], client: ClientLink, requestId: string): Promise<{ summary: string; cached: boolean }> {
    const config = this.source.config;
    this.resizeCache(config);
    const key = createHash('sha256').update(model).update('\u0000').update(JSON.stringify(dropped)).digest('hex');
    const hit = this.summaries.get(key);
    if (hit !== undefined) return { summary: hit, cached: true };
    const counter = await TokenCounter.forModel(model);
    let text = transcript(dropped);
    const window = contextWindow(config, model);
    // An excerpt too long for the summariser itself keeps its most recent part.
    if (window) text = counter.tail(text, Math.max(256, Math.floor(window * config.condensation.truncation_threshold) - config.condensation.summary_max_tokens - 200));
    const request: ChatRequest = {
      model,
      messages: [
        { role: 'system', content: SUMMARY_PROMPT },
        { role: 'user', content: text },
      ],
      max_tokens: config.condensation.summary_max_tokens,
      temperature: 0,
    };
    const result = await this.router.dispatch({ op: 'chat', model, client, requestId }, (adapter, ctx) => adapter.chat(request, ctx));
    const choices = result.value.data.choices as Array<{ message?: { content?: unknown } }> | undefined;
    const summary = choices?.[0]?.message?.content;
    if (typeof summary !== 'string' || !summary.trim()) {
      throw new ProviderError({ provider: result.provider, status: null, kind: 'protocol', retryable: false, message: `${result.provider}: the summary model returned no text` });
    }
    this.summaries.set(key, summary.trim());
    return { summary: summary.trim(), cached: false };
  }

  private resizeCache(config: Config): void {
    const { cache_size, cache_ttl } = config.condensation;
    if (cache_size === this.summariesFor.size && cache_ttl === this.summariesFor.ttl) return;
    this.summariesFor = { size: cache_size, ttl: cache_ttl };
    this.summaries = new LRUCache({ max: cache_size, ttl: cache_ttl * 1000 });
  }
}

/** What the routes call `router` for: the router's dispatch, with condensation around it for chat. */
export interface Dispatcher {
  dispatch<T>(options: DispatchOptions, attempt: Attempt<T>): Promise<DispatchResult<T>>;
}

/**
 * The router for one request, condensing its chat conversation when it is (or, proactively, would
 * be) too long. The route's attempts read `body`, so a condensed version is written into it before
 * each retry. Other operations, and everything when condensation is off, go to the router as they are.
 */
export function condensingRouter(condenser: Condenser, request: FastifyRequest, reply: FastifyReply, op: Operation, body: unknown): Dispatcher {
  const settings = condenser.config.condensation;
  if (!settings.enabled || op !== 'chat') return condenser.router;
  return { dispatch: (options, attempt) => dispatchCondensing(condenser, request, reply, body as ChatRequest, options, attempt) };
}

async function dispatchCondensing<T>(
  condenser: Condenser,
  request: FastifyRequest,
  reply: FastifyReply,
  body: ChatRequest,
  options: DispatchOptions,
  attempt: Attempt<T>,
): Promise<DispatchResult<T>> {
  const settings = condenser.config.condensation;
  const marked: Attempt<T> = (adapter, ctx) =>
    attempt(adapter, ctx).catch((error: unknown) => {
      throw error instanceof ProviderError && isContextLengthError(error, adapter.type, settings.error_patterns) ? asContextLengthError(error) : error;
    });
  const original: ChatRequest = { ...body };
  const send = (version: ChatRequest | null) => {
    if (!version) return condenser.router.dispatch(options, marked);
    body.model = version.model;
    body.messages = version.messages;
    return condenser.router.dispatch({ ...options, model: version.model, rawBody: undefined }, marked);
  };
  const report = (info: CondensedInfo) => {
    request.proxy.extra.condensed = info;
    reply.header('x-proxy-condensed', info.strategy);
    request.log.info({ request_id: request.id, ...info }, `conversation condensed (${info.strategy})`);
  };

  let current: ChatRequest | null = null;
  if (settings.proactive) {
    const window = contextWindow(condenser.config, original.model);
    const answer = original.max_completion_tokens ?? original.max_tokens ?? 0;
    if (window && tokenUpperBound(original) + answer > window) {
      const need = await condenser.need(original, 'proactive', window);
      if (need.tokens + answer > window) {
        for (const strategy of settings.fallback_strategies) {
          const condensed = await tryStrategy(condenser, strategy, original, need, options, request);
          if (!condensed) continue;
          current = condensed.body;
          report(condensed.info);
          break;
        }
      }
    }
  }

  let failure: ProviderError;
  try {
    return await send(current);
  } catch (error) {
    if (!(error instanceof ProviderError && error.code === 'context_length_exceeded')) throw error;
    failure = error;
  }
  const base = current ?? original;
  const need = await condenser.need(base, 'context_length_error', limitFromMessage(failure.message));
  for (const strategy of settings.fallback_strategies) {
    const condensed = await tryStrategy(condenser, strategy, base, need, options, request);
    if (!condensed) continue;
    try {
      const result = await send(condensed.body);
      report(condensed.info);
      return result;
    } catch (error) {
      if (!(error instanceof ProviderError && error.code === 'context_length_exceeded')) throw error;
      failure = error;
    }
  }
  throw failure;
}

/** One strategy; a failing summariser is logged and the next strategy gets its turn. */
async function tryStrategy(condenser: Condenser, strategy: Strategy, chat: ChatRequest, need: Need, options: DispatchOptions, request: FastifyRequest): Promise<Condensed | null> {
  try {
    return await condenser.apply(strategy, chat, need, options.client, options.requestId);
  } catch (error) {
    if (options.client.aborted) throw error;
    request.log.warn({ request_id: request.id, strategy, err_message: (error as Error).message }, 'condensation strategy failed; trying the next one');
    return null;
  }
}
