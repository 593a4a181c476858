// Versioned migrations, run by Kysely's Migrator (on PostgreSQL it holds an advisory lock while
// migrating, so replicas starting at once run each migration exactly once). Append only, and
// expand-only unless listed in BREAKING_MIGRATIONS (schema-version.ts says what that means).
import { sql, type CreateTableBuilder, type Kysely, type Migration } from 'kysely';

export type Dialect = 'sqlite' | 'postgres';

/**
 * Migrations a build older than them cannot run against: 003 re-keys the ledger, and a build before
 * it would insert rows without the new key.
 */
export const BREAKING_MIGRATIONS: ReadonlySet<string> = new Set(['003_ledger_row_ids']);

export function migrations(dialect: Dialect): Record<string, Migration> {
  const double = dialect === 'postgres' ? 'double precision' : 'real';
  /** The limit columns keys and teams share. */
  const limits = (table: CreateTableBuilder<string>) =>
    table
      .addColumn('models', 'text')
      .addColumn('rpm', 'integer')
      .addColumn('tpm', 'integer')
      .addColumn('max_parallel', 'integer')
      .addColumn('budget_max_usd', double)
      .addColumn('budget_period', 'text')
      .addColumn('budget_soft_limit_pct', 'integer')
      .addColumn('store_bodies', 'integer');
  /** The ledger's columns after its key. */
  const ledgerColumns = (table: CreateTableBuilder<string>) =>
    table
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('key_id', 'text')
      .addColumn('key_alias', 'text')
      .addColumn('team_id', 'text')
      .addColumn('route', 'text', (c) => c.notNull())
      .addColumn('model', 'text')
      .addColumn('provider', 'text')
      .addColumn('status', 'integer', (c) => c.notNull())
      .addColumn('error_code', 'text')
      .addColumn('attempts', 'integer', (c) => c.notNull())
      .addColumn('input_tokens', 'integer', (c) => c.notNull())
      .addColumn('output_tokens', 'integer', (c) => c.notNull())
      .addColumn('cached_tokens', 'integer', (c) => c.notNull())
      .addColumn('reasoning_tokens', 'integer', (c) => c.notNull())
      .addColumn('cost_usd', double, (c) => c.notNull())
      .addColumn('latency_ms', double, (c) => c.notNull())
      .addColumn('ttft_ms', double)
      .addColumn('cache_hit', 'integer', (c) => c.notNull())
      .addColumn('stream', 'integer', (c) => c.notNull())
      .addColumn('request_body', 'text')
      .addColumn('response_body', 'text');
  return {
    '001_keys_and_teams': {
      async up(db: Kysely<unknown>) {
        await limits(db.schema.createTable('teams').addColumn('id', 'text', (c) => c.primaryKey()).addColumn('name', 'text', (c) => c.notNull().unique()))
          .addColumn('metadata', 'text', (c) => c.notNull().defaultTo('{}'))
          .addColumn('created_at', 'text', (c) => c.notNull())
          .addColumn('updated_at', 'text', (c) => c.notNull())
          .execute();
        await limits(
          db.schema
            .createTable('virtual_keys')
            .addColumn('id', 'text', (c) => c.primaryKey())
            .addColumn('key_hash', 'text', (c) => c.notNull().unique())
            .addColumn('key_prefix', 'text', (c) => c.notNull())
            .addColumn('previous_key_hash', 'text')
            .addColumn('previous_valid_until', 'text')
            .addColumn('alias', 'text')
            .addColumn('team_id', 'text', (c) => c.references('teams.id')),
        )
          .addColumn('expires_at', 'text')
          .addColumn('metadata', 'text', (c) => c.notNull().defaultTo('{}'))
          .addColumn('status', 'text', (c) => c.notNull())
          .addColumn('created_at', 'text', (c) => c.notNull())
          .addColumn('updated_at', 'text', (c) => c.notNull())
          .addColumn('last_used_at', 'text')
          .execute();
        await db.schema.createIndex('virtual_keys_team').on('virtual_keys').column('team_id').execute();
        await db.schema.createIndex('virtual_keys_previous_hash').on('virtual_keys').column('previous_key_hash').execute();
      },
    },
    '002_ledger': {
      async up(db: Kysely<unknown>) {
        await ledgerColumns(db.schema.createTable('request_logs').addColumn('request_id', 'text', (c) => c.primaryKey())).execute();
        await db.schema.createIndex('request_logs_created').on('request_logs').columns(['created_at', 'request_id']).execute();
        await db.schema.createIndex('request_logs_key').on('request_logs').columns(['key_id', 'created_at']).execute();
        await db.schema.createIndex('request_logs_team').on('request_logs').columns(['team_id', 'created_at']).execute();
        await db.schema
          .createTable('spend_daily')
          .addColumn('day', 'text', (c) => c.notNull())
          .addColumn('key_id', 'text', (c) => c.notNull())
          .addColumn('team_id', 'text', (c) => c.notNull())
          .addColumn('model', 'text', (c) => c.notNull())
          .addColumn('provider', 'text', (c) => c.notNull())
          .addColumn('requests', 'integer', (c) => c.notNull())
          .addColumn('errors', 'integer', (c) => c.notNull())
          .addColumn('input_tokens', 'integer', (c) => c.notNull())
          .addColumn('output_tokens', 'integer', (c) => c.notNull())
          .addColumn('cost_usd', double, (c) => c.notNull())
          .addPrimaryKeyConstraint('spend_daily_pk', ['day', 'key_id', 'team_id', 'model', 'provider'])
          .execute();
      },
    },
    // The client chooses x-request-id, so it cannot be the ledger's key: a replayed id would make a
    // second request's row a "duplicate" and hide its spend. Rows get a server-made id; request_id stays.
    '003_ledger_row_ids': {
      async up(db: Kysely<unknown>) {
        await ledgerColumns(
          db.schema.createTable('request_logs_v3').addColumn('id', 'text', (c) => c.primaryKey()).addColumn('request_id', 'text', (c) => c.notNull()),
        ).execute();
        await sql`insert into request_logs_v3 select request_id, * from request_logs`.execute(db);
        await db.schema.dropTable('request_logs').execute();
        await db.schema.alterTable('request_logs_v3').renameTo('request_logs').execute();
        await db.schema.createIndex('request_logs_created').on('request_logs').columns(['created_at', 'id']).execute();
        await db.schema.createIndex('request_logs_key').on('request_logs').columns(['key_id', 'created_at']).execute();
        await db.schema.createIndex('request_logs_team').on('request_logs').columns(['team_id', 'created_at']).execute();
        await db.schema.createIndex('request_logs_request').on('request_logs').column('request_id').execute();
      },
    },
    // Budget leases: a row written for a request whose process died says so (expand-only).
    '004_ledger_settled_by': {
      async up(db: Kysely<unknown>) {
        await db.schema.alterTable('request_logs').addColumn('settled_by', 'text').execute();
      },
    },
    // Where processes register without Redis (expand-only).
    '005_fleet_instances': {
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable('fleet_instances')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('host', 'text', (c) => c.notNull())
          .addColumn('pid', 'integer', (c) => c.notNull())
          .addColumn('worker', 'integer', (c) => c.notNull())
          .addColumn('version', 'text', (c) => c.notNull())
          .addColumn('config_hash', 'text', (c) => c.notNull())
          .addColumn('database', 'text', (c) => c.notNull())
          .addColumn('started_at', 'text', (c) => c.notNull())
          .addColumn('last_seen', 'text', (c) => c.notNull())
          .execute();
      },
    },
    // Guardrails: what each request's checks decided, and the names keys and teams add (expand-only).
    '006_guardrails': {
      async up(db: Kysely<unknown>) {
        await db.schema.alterTable('request_logs').addColumn('guardrails', 'text').execute();
        await db.schema.alterTable('teams').addColumn('guardrails', 'text').execute();
        await db.schema.alterTable('virtual_keys').addColumn('guardrails', 'text').execute();
      },
    },
  };
}
