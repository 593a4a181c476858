// One ledger row from a finished request: who (virtual key and team), what (route, model, provider),
// how it went (status, error code, attempts), what it used (tokens, cost), and how long it took.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { RequestLogsTable } from '../../db/tables.js';
import { timeOrderedId } from '../../server/time-ordered-id.js';

/** The model routes whose requests are recorded. */
export const LEDGER_ROUTES: ReadonlySet<string> = new Set([
  '/v1/chat/completions',
  '/v1/completions',
  '/v1/embeddings',
  '/v1/images/generations',
  '/v1/responses',
  '/v1/messages',
]);

const detail = (usage: Record<string, unknown> | null, block: string, field: string): number => {
  const inner = usage?.[block];
  const value = inner && typeof inner === 'object' ? (inner as Record<string, unknown>)[field] : 0;
  return typeof value === 'number' ? value : 0;
};

/** PostgreSQL's text cannot hold NUL: one in a client-chosen value (a model name) would fail the whole batch. */
const text = (value: string | null): string | null => (value === null ? null : value.replaceAll('\u0000', '\uFFFD'));

export function ledgerRow(request: FastifyRequest, reply: FastifyReply, status: number): RequestLogsTable {
  const state = request.proxy;
  const usage = state.usage as unknown as Record<string, unknown> | null;
  const principal = state.principal;
  return {
    id: timeOrderedId(),
    request_id: request.id,
    created_at: new Date(Date.now() - (performance.now() - state.startedAt)).toISOString(),
    key_id: principal?.key.id ?? null,
    key_alias: principal?.key.alias ?? null,
    team_id: principal?.team?.id ?? null,
    route: state.route ?? request.url.split('?', 1)[0],
    model: text(state.model ?? state.requestedModel),
    provider: state.provider,
    status,
    error_code: state.errorCode,
    attempts: state.attempts,
    input_tokens: state.usage?.prompt_tokens ?? 0,
    output_tokens: state.usage?.completion_tokens ?? 0,
    cached_tokens: detail(usage, 'prompt_tokens_details', 'cached_tokens'),
    reasoning_tokens: detail(usage, 'completion_tokens_details', 'reasoning_tokens'),
    cost_usd: typeof state.extra.cost_usd === 'number' ? state.extra.cost_usd : 0,
    latency_ms: Math.round((performance.now() - state.startedAt) * 100) / 100,
    ttft_ms: state.ttftMs,
    cache_hit: String(reply.getHeader('x-proxy-cache') ?? '').toUpperCase() === 'HIT' ? 1 : 0,
    stream: state.streamed ? 1 : 0,
    request_body: null,
    response_body: null,
    settled_by: null,
    guardrails: state.guard ? JSON.stringify(state.guard.list) : null,
  };
}
