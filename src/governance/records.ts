// Rows ↔ API objects for keys and teams: JSON columns parsed; secrets and digests never included.
import type { TeamsTable, VirtualKeysTable } from '../db/tables.js';
import type { Budget } from './limits.js';

type Limits = Pick<TeamsTable, 'models' | 'rpm' | 'tpm' | 'max_parallel' | 'budget_max_usd' | 'budget_period' | 'budget_soft_limit_pct' | 'store_bodies' | 'metadata' | 'guardrails'>;

export interface LimitsView {
  models: string[] | null;
  rpm: number | null;
  tpm: number | null;
  max_parallel: number | null;
  budget: Budget | null;
  store_bodies: boolean | null;
  metadata: Record<string, unknown>;
  guardrails: string[] | null;
}

function limits(row: Limits): LimitsView {
  return {
    models: row.models === null ? null : (JSON.parse(row.models) as string[]),
    rpm: row.rpm,
    tpm: row.tpm,
    max_parallel: row.max_parallel,
    budget: row.budget_max_usd === null ? null : { max_usd: Number(row.budget_max_usd), period: row.budget_period as Budget['period'], soft_limit_pct: row.budget_soft_limit_pct },
    store_bodies: row.store_bodies === null ? null : Boolean(row.store_bodies),
    metadata: JSON.parse(row.metadata) as Record<string, unknown>,
    guardrails: row.guardrails === null || row.guardrails === undefined ? null : (JSON.parse(row.guardrails) as string[]),
  };
}

/** The columns for limit fields present in `input` (absent ones are left out, for PATCH). */
export function limitColumns(input: Partial<LimitsView>): Partial<Limits> {
  const out: Partial<Limits> = {};
  if ('models' in input) out.models = input.models === null || input.models === undefined ? null : JSON.stringify(input.models);
  if ('rpm' in input) out.rpm = input.rpm ?? null;
  if ('tpm' in input) out.tpm = input.tpm ?? null;
  if ('max_parallel' in input) out.max_parallel = input.max_parallel ?? null;
  if ('budget' in input) {
    out.budget_max_usd = input.budget?.max_usd ?? null;
    out.budget_period = input.budget?.period ?? null;
    out.budget_soft_limit_pct = input.budget?.soft_limit_pct ?? null;
  }
  if ('store_bodies' in input) out.store_bodies = input.store_bodies === null || input.store_bodies === undefined ? null : Number(input.store_bodies);
  if ('metadata' in input) out.metadata = JSON.stringify(input.metadata ?? {});
  if ('guardrails' in input) out.guardrails = input.guardrails === null || input.guardrails === undefined ? null : JSON.stringify(input.guardrails);
  return out;
}

export function keyView(row: VirtualKeysTable, now = Date.now()) {
  const expired = row.status === 'active' && row.expires_at !== null && Date.parse(row.expires_at) <= now;
  return {
    id: row.id,
    object: 'virtual_key',
    key_prefix: row.key_prefix,
    alias: row.alias,
    team_id: row.team_id,
    ...limits(row),
    expires_at: row.expires_at,
    status: expired ? 'expired' : row.status,
    created_at: row.created_at,
    updated_at: row.updated_at,
    last_used_at: row.last_used_at,
  };
}

export function teamView(row: TeamsTable) {
  return { id: row.id, object: 'team', name: row.name, ...limits(row), created_at: row.created_at, updated_at: row.updated_at };
}

export type KeyView = ReturnType<typeof keyView>;
export type TeamView = ReturnType<typeof teamView>;
