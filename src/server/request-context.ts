// Per-request bookkeeping: the request id (an incoming x-request-id is kept), the state later stages
// fill in (model, provider, attempts, tokens), and the one log line written when the response ends.
import type { Principal } from '../governance/key-index.js';
import type { GuardSession } from '../guardrails/session.js';
import type { FastifyContextConfig, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { Usage } from '../providers/types.js';

export interface RequestState {
  /** performance.now() when the request arrived. */
  startedAt: number;
  /**
   * The matched route's pattern (null when no route matched) and its config, read once: Fastify's
   * request.routeOptions builds a new object on every access.
   */
  route: string | null;
  routeConfig: FastifyContextConfig | undefined;
  /** The model served (after aliases); set by the route once the request is valid. */
  model: string | null;
  /** The model the body named, known as soon as it is read: a request refused before routing is logged with it. */
  requestedModel: string | null;
  provider: string | null;
  attempts: number;
  /** Milliseconds spent waiting on upstreams. */
  upstreamMs: number;
  usage: Usage | null;
  errorCode: string | null;
  /** SHA-256 hex digest of the client's key; null when auth is off or the path is public. */
  keyHash: string | null;
  isAdmin: boolean;
  /** The virtual key (and its team) the request came with, when it was one. */
  principal: Principal | null;
  /** Sees a JSON answer's bytes as they are sent, when set (the ledger storing bodies). */
  onBody: ((body: Buffer | string) => void) | null;
  /** Streams: milliseconds from arrival to the first chunk sent (set when the request ends). */
  ttftMs: number | null;
  streamed: boolean;
  /** Extra fields for the request's log line (cache status, cost, condensation, ...). */
  extra: Record<string, unknown>;
  /** Set once the request's log line is written (streams write it themselves). */
  logged: boolean;
  /** Sees every chunk of a streamed answer as it is sent (usage counting, time to first token). */
  onChunk: ((chunk: string) => void) | null;
  /** The request's guardrails, when any apply to it. */
  guard: GuardSession | null;
}

/** Runs once per request, just before its log line, on both the JSON and the stream path (metrics, usage, tracing). */
export type RequestDoneHook = (request: FastifyRequest, reply: FastifyReply, status: number, aborted: boolean) => void;

declare module 'fastify' {
  interface FastifyRequest {
    proxy: RequestState;
  }
  interface FastifyInstance {
    requestDone: RequestDoneHook[];
  }
}

export function newRequestState(route: string | null = null, routeConfig?: FastifyContextConfig): RequestState {
  return { startedAt: performance.now(), route, routeConfig, model: null, requestedModel: null, provider: null, attempts: 0, upstreamMs: 0, usage: null, errorCode: null, keyHash: null, isAdmin: false, principal: null, onBody: null, ttftMs: null, streamed: false, extra: {}, logged: false, onChunk: null, guard: null };
}

/** Time the proxy itself spent on the request so far, excluding upstream time. */
export function overheadMs(state: RequestState): number {
  return Math.max(0, performance.now() - state.startedAt - state.upstreamMs);
}

export function logRequest(request: FastifyRequest, reply: FastifyReply, status: number, aborted = false): void {
  const state = request.proxy;
  if (state.logged) return;
  state.logged = true;
  for (const hook of request.server.requestDone) hook(request, reply, status, aborted);
  const usage = state.usage;
  // The root logger, with request_id first as request.log would bind it: request.log is made on
  // first use (LazyChildLogger), and most requests log nothing else.
  request.server.log.info(
    {
      request_id: request.id,
      method: request.method,
      route: state.route ?? request.url,
      model: state.model ?? state.requestedModel,
      provider: state.provider,
      status,
      duration_ms: Math.round((performance.now() - state.startedAt) * 100) / 100,
      attempts: state.attempts,
      tokens: usage ? { prompt: usage.prompt_tokens, completion: usage.completion_tokens, total: usage.total_tokens } : null,
      ...(state.errorCode && { error_code: state.errorCode }),
      ...(aborted && { client_aborted: true }),
      ...state.extra,
    },
    'request',
  );
}

async function requestContextPlugin(app: FastifyInstance): Promise<void> {
  app.decorateRequest('proxy', null as unknown as RequestState);
  app.decorate('requestDone', [] as RequestDoneHook[]);
  // Callback-style hooks: an async hook costs a promise per request.
  app.addHook('onRequest', (request, reply, done) => {
    const options = request.routeOptions;
    request.proxy = newRequestState(options.url ?? null, options.config);
    reply.header('x-request-id', request.id);
    // A client that leaves before its answer was sent gets no onResponse: end the request here
    // (status 499, as nginx names it), so its log line, metrics, ledger row and budget settlement
    // still happen. Streams (replies already hijacked) end in writeStream.
    reply.raw.once('close', () => {
      if (!request.proxy.logged && !reply.sent && !reply.raw.writableFinished) logRequest(request, reply, 499, true);
    });
    done();
  });
  app.addHook('onResponse', (request, reply, done) => {
    if (request.proxy) logRequest(request, reply, reply.statusCode);
    done();
  });
}

export default fp(requestContextPlugin, { name: 'request-context', fastify: '5.x' });
