// The adapter contract: every provider speaks OpenAI's format to the router and its own format to
// its upstream. Adapters throw ProviderError (src/errors.ts) for failed attempts.
import type { Logger } from 'pino';
import type { Config, ProviderConfig, ProviderType } from '../config/schema.js';
import type { Upstream } from '../upstream/pools.js';
import type { ChatRequest, CompletionRequest, EmbeddingRequest, ImageRequest } from './canonical.js';

export type { ChatRequest, CompletionRequest, EmbeddingRequest, ImageRequest, Usage } from './canonical.js';

export type Operation = 'chat' | 'completions' | 'embeddings' | 'images' | 'messages';

export interface AttemptContext {
  /** The model name to send upstream (provider prefix and aliases already resolved). */
  model: string;
  /** Aborted when the client disconnects; adapters pass it to every upstream call. */
  signal: AbortSignal;
  requestId: string;
  /** Milliseconds this attempt may wait for response headers (and, non-streamed, between body chunks). */
  timeoutMs: number;
  /** Milliseconds a stream may stay silent between chunks. */
  streamIdleMs: number;
  /** The client's request bytes, set only when they may be forwarded unchanged (pass-through). */
  rawBody?: Buffer;
  /** Headers to propagate upstream (e.g. traceparent). */
  forwardHeaders?: Record<string, string>;
}

/** A complete OpenAI-format JSON answer. */
export interface JsonResult {
  /** The answer, parsed (on first access, for answers forwarded as bytes). */
  readonly data: Record<string, unknown>;
  /** The same answer as upstream bytes, when they are OpenAI-format and forwarded unchanged. */
  readonly raw?: Buffer;
}

/**
 * A stream of OpenAI-format chunks, each the JSON text of one `data:` event (never `[DONE]`; the
 * route ends the stream). Calling `return()` aborts the upstream request. A failure after the first
 * chunk is thrown as ProviderError from `next()`.
 */
export type ChunkStream = AsyncGenerator<string, void, undefined>;

/** One named stream event (Anthropic Messages, OpenAI Responses), `data` exactly as the upstream sent it. */
export interface MessageEvent {
  event: string;
  data: string;
}

/**
 * Anthropic stream events relayed unchanged (the /v1/messages pass-through). Like ChunkStream:
 * `return()` aborts the upstream request; an error event or a cut stream is thrown as ProviderError.
 */
export type MessageEventStream = AsyncGenerator<MessageEvent, void, undefined>;

export interface ModelInfo {
  id: string;
  created?: number;
  owned_by?: string;
  context_window?: number;
  max_tokens?: number;
  capabilities?: string[];
}

export interface ProviderAdapter {
  readonly name: string;
  readonly type: ProviderType;
  readonly operations: ReadonlySet<Operation>;
  chat(request: ChatRequest, ctx: AttemptContext): Promise<JsonResult>;
  chatStream(request: ChatRequest, ctx: AttemptContext): Promise<ChunkStream>;
  completions(request: CompletionRequest, ctx: AttemptContext): Promise<JsonResult>;
  completionsStream(request: CompletionRequest, ctx: AttemptContext): Promise<ChunkStream>;
  embeddings(request: EmbeddingRequest, ctx: AttemptContext): Promise<JsonResult>;
  images(request: ImageRequest, ctx: AttemptContext): Promise<JsonResult>;
  /** The provider's live model list. */
  listModels(signal: AbortSignal): Promise<ModelInfo[]>;
  /** A cheap liveness check; throws ProviderError when the provider cannot serve. */
  healthCheck(signal: AbortSignal): Promise<void>;
  close(): Promise<void>;
  /**
   * Anthropic Messages API pass-through, offered only by adapters whose upstream speaks it natively:
   * `body` is an Anthropic request, the result an Anthropic message (bytes in `raw`, unchanged).
   */
  messages?(body: Record<string, unknown>, ctx: AttemptContext): Promise<JsonResult>;
  /** Streamed pass-through: resolves once the upstream answered 2xx, then relays its events. */
  messagesStream?(body: Record<string, unknown>, ctx: AttemptContext): Promise<MessageEventStream>;
  /**
   * OpenAI Responses API pass-through, offered only by adapters whose upstream serves it (`openai`,
   * or any OpenAI-family provider with `responses_api: true`): bytes in, bytes out.
   */
  responses?(body: Record<string, unknown>, ctx: AttemptContext): Promise<JsonResult>;
  /** Streamed Responses pass-through: the upstream's typed events relayed unchanged. */
  responsesStream?(body: Record<string, unknown>, ctx: AttemptContext): Promise<MessageEventStream>;
}

export interface AdapterDeps {
  config: ProviderConfig;
  /** The provider's key, read from `api_key_env`; null when it needs none. */
  apiKey: string | null;
  upstream: Upstream;
  logger: Logger;
  /** The whole configuration, for model_overrides and similar cross-cutting settings. */
  root: Config;
}

export type AdapterFactory = (deps: AdapterDeps) => ProviderAdapter;
