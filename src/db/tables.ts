// The tables of the governance database, as Kysely sees them. Times are ISO-8601 text (UTC) and JSON
// values are text, so one schema serves SQLite and PostgreSQL alike.
export interface TeamsTable {
  id: string;
  name: string;
  models: string | null;
  rpm: number | null;
  tpm: number | null;
  max_parallel: number | null;
  budget_max_usd: number | null;
  budget_period: string | null;
  budget_soft_limit_pct: number | null;
  store_bodies: number | null;
  metadata: string;
  created_at: string;
  updated_at: string;
}

export interface VirtualKeysTable {
  id: string;
  key_hash: string;
  key_prefix: string;
  previous_key_hash: string | null;
  previous_valid_until: string | null;
  alias: string | null;
  team_id: string | null;
  models: string | null;
  rpm: number | null;
  tpm: number | null;
  max_parallel: number | null;
  budget_max_usd: number | null;
  budget_period: string | null;
  budget_soft_limit_pct: number | null;
  store_bodies: number | null;
  expires_at: string | null;
  metadata: string;
  status: string;
  created_at: string;
  updated_at: string;
  last_used_at: string | null;
}

export interface DatabaseTables {
  teams: TeamsTable;
  virtual_keys: VirtualKeysTable;
}
