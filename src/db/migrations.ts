// Versioned migrations, run at start by Kysely's Migrator (on PostgreSQL it holds an advisory lock
// while migrating, so replicas starting at once run each migration exactly once). Append only.
import type { Kysely, Migration } from 'kysely';

export type Dialect = 'sqlite' | 'postgres';

export function migrations(dialect: Dialect): Record<string, Migration> {
  const double = dialect === 'postgres' ? 'double precision' : 'real';
  return {
    '001_keys_and_teams': {
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable('teams')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('name', 'text', (c) => c.notNull().unique())
          .addColumn('models', 'text')
          .addColumn('rpm', 'integer')
          .addColumn('tpm', 'integer')
          .addColumn('max_parallel', 'integer')
          .addColumn('budget_max_usd', double)
          .addColumn('budget_period', 'text')
          .addColumn('budget_soft_limit_pct', 'integer')
          .addColumn('store_bodies', 'integer')
          .addColumn('metadata', 'text', (c) => c.notNull().defaultTo('{}'))
          .addColumn('created_at', 'text', (c) => c.notNull())
          .addColumn('updated_at', 'text', (c) => c.notNull())
          .execute();
        await db.schema
          .createTable('virtual_keys')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('key_hash', 'text', (c) => c.notNull().unique())
          .addColumn('key_prefix', 'text', (c) => c.notNull())
          .addColumn('previous_key_hash', 'text')
          .addColumn('previous_valid_until', 'text')
          .addColumn('alias', 'text')
          .addColumn('team_id', 'text', (c) => c.references('teams.id'))
          .addColumn('models', 'text')
          .addColumn('rpm', 'integer')
          .addColumn('tpm', 'integer')
          .addColumn('max_parallel', 'integer')
          .addColumn('budget_max_usd', double)
          .addColumn('budget_period', 'text')
          .addColumn('budget_soft_limit_pct', 'integer')
          .addColumn('store_bodies', 'integer')
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
  };
}
