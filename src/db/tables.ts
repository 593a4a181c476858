// The tables of the governance database, as Kysely sees them. Times are ISO-8601 text (UTC) and JSON
// values are text, so one schema serves SQLite and PostgreSQL alike.
/** What keys and teams may do; JSON values as text. */
export interface LimitColumns {
  models: string | null;
  rpm: number | null;
  tpm: number | null;
  max_parallel: number | null;
  budget_max_usd: number | null;
  budget_period: string | null;
  budget_soft_limit_pct: number | null;
  store_bodies: number | null;
  metadata: string;
  /** Guardrail names (JSON array) added to the configuration's defaults. */
  guardrails: string | null;
}

export interface TeamsTable extends LimitColumns {
  id: string;
  name: string;
  created_at: string;
  updated_at: string;
}

export interface VirtualKeysTable extends LimitColumns {
  id: string;
  key_hash: string;
  key_prefix: string;
  previous_key_hash: string | null;
  previous_valid_until: string | null;
  alias: string | null;
  team_id: string | null;
  expires_at: string | null;
  status: string;
  created_at: string;
  updated_at: string;
  last_used_at: string | null;
}

/** One row per client request on the model routes: the spend ledger and the request log. */
export interface RequestLogsTable {
  /** Made by the server, unique per row. */
  id: string;
  /** The request's x-request-id, as the client sent it or as made here: not unique (clients replay ids). */
  request_id: string;
  created_at: string;
  key_id: string | null;
  key_alias: string | null;
  team_id: string | null;
  route: string;
  model: string | null;
  provider: string | null;
  status: number;
  error_code: string | null;
  attempts: number;
  input_tokens: number;
  output_tokens: number;
  cached_tokens: number;
  reasoning_tokens: number;
  cost_usd: number;
  latency_ms: number;
  ttft_ms: number | null;
  cache_hit: number;
  stream: number;
  request_body: string | null;
  response_body: string | null;
  /** null: settled by its request. 'expiry': its process died and the reserved worst case was counted. */
  settled_by: string | null;
  /** The request's guardrail outcomes (JSON array of {name, phase, decision, ms, hits, entities, reason}); null when none ran. */
  guardrails: string | null;
}

/** Daily sums of the ledger by key, team, model and provider ('' for none), kept with each batch written. */
export interface SpendDailyTable {
  day: string;
  key_id: string;
  team_id: string;
  model: string;
  provider: string;
  requests: number;
  errors: number;
  input_tokens: number;
  output_tokens: number;
  cost_usd: number;
}

export interface DatabaseTables {
  teams: TeamsTable;
  virtual_keys: VirtualKeysTable;
  request_logs: RequestLogsTable;
  fleet_instances: FleetInstancesTable;
  spend_daily: SpendDailyTable;
}

/** The proxy processes of the fleet, when there is no Redis to register in (src/fleet/registry.ts). */
export interface FleetInstancesTable {
  id: string;
  host: string;
  pid: number;
  worker: number;
  version: string;
  config_hash: string;
  database: string;
  started_at: string;
  last_seen: string;
}
