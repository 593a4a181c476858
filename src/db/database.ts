// Opens the governance database and brings its schema up to date (schema-version.ts): SQLite in the
// state folder by default (`database.url` unset), or PostgreSQL (`database.url` / DATABASE_URL,
// optional `schema`). Migrations run through Kysely's Migrator, which on PostgreSQL holds an advisory
// lock, so replicas starting together migrate once.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import { Kysely, PostgresDialect, sql } from 'kysely';
import { prepareSchema, type MigrationSet } from './schema-version.js';
import { openSqlite } from './sqlite.js';
import { DependencyState } from '../state/dependency.js';
import type { DatabaseSettings, Db } from './handle.js';
import type { DatabaseTables } from './tables.js';

export type { DatabaseSettings, Db } from './handle.js';

const SCHEMA_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

export interface OpenOptions {
  /** The migrations to bring the schema to (default: this build's); tests stand in other builds. */
  migrations?: (db: Db) => MigrationSet;
  /** False: open only, neither migrate nor check the schema (`npm run migrate -- --status`). */
  prepare?: boolean;
}

export async function openDatabase(settings: DatabaseSettings, dataDir: string, logger: Logger, options: OpenOptions = {}): Promise<Db> {
  const url = settings.url;
  const health = new DependencyState('database', logger.child({ component: 'database' }));
  let db: Db;
  if (!url || url.startsWith('sqlite:')) {
    const file = !url ? path.join(dataDir, 'llm-proxy.db') : url.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '');
    if (file !== ':memory:') mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    const kysely = openSqlite(file);
    db = { kysely, dialect: 'sqlite', describe: `sqlite:${file}`, file: file === ':memory:' ? null : path.resolve(file), health, close: () => kysely.destroy() };
  } else if (/^postgres(ql)?:/.test(url)) {
    const schema = settings.schema;
    if (schema !== null && !SCHEMA_NAME.test(schema)) throw new Error(`database.schema '${schema}' is not a plain identifier`);
    // Loaded only for PostgreSQL: the embedded default never pays for the driver.
    const { default: pg } = await import('pg');
    // The schema is a connection parameter, set as each connection opens (a query on 'connect' could
    // fail on its own, unheard, when the server goes away at that moment).
    const pool = new pg.Pool({ connectionString: url, max: 10, connectionTimeoutMillis: 5000, ...(schema && { options: `-c search_path="${schema}"` }) });
    // An idle connection the server terminates (a restart, a failover) is reported here; unheard,
    // the pool's 'error' event would end the process. The pool replaces the connection on next use.
    pool.on('error', (error) => health.failed(error));
    // A connection checked out when the server ends it (between a transaction's statements, say) emits
    // on its own client, where the pool no longer listens: every client is heard for its whole life.
    pool.on('connect', (client) => client.on('error', (error) => health.failed(error)));
    const kysely = new Kysely<DatabaseTables>({ dialect: new PostgresDialect({ pool }) });
    // Replicas starting together race on "if not exists"; the loser's duplicate error is harmless.
    if (schema) {
      await sql`create schema if not exists ${sql.id(schema)}`.execute(kysely).catch((error: { code?: string }) => {
        if (error.code !== '23505' && error.code !== '42P06') throw error;
      });
    }
    const where = new URL(url);
    db = { kysely, dialect: 'postgres', file: null, describe: `postgres://${where.host}${where.pathname}${schema ? ` (schema ${schema})` : ''}`, health, close: () => kysely.destroy() };
  } else {
    throw new Error(`database.url must start with postgres://, postgresql:// or sqlite: (got '${url.split(':', 1)[0]}:…')`);
  }
  try {
    if (options.prepare !== false) await prepareSchema(db, settings.schema, settings.migrate ?? true, logger, options.migrations?.(db));
  } catch (error) {
    await db.close();
    throw error;
  }
  return db;
}
