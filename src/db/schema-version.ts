// Brings the database's schema to this build's, or checks that it can run on it, so upgrades and
// rollbacks work as expand-then-contract:
// - migrations are expand-only by default (new tables, new nullable columns, new indexes): a build one
//   release older runs on a database that holds them, ignoring what it does not know;
// - a migration that an older build cannot run against (it drops, renames or tightens something that
//   build reads or writes) is listed in BREAKING_MIGRATIONS; the database records that, and an older
//   build refuses to start on it with a message saying why, instead of corrupting data;
// - `database.migrate: false` leaves migrating to `npm run migrate` (a Kubernetes Job, a release step):
//   a build then starts only once the schema holds every migration it needs.
import { Migrator, sql, type MigrationProvider } from 'kysely';
import type { Logger } from 'pino';
import type { Db } from './handle.js';
import { BREAKING_MIGRATIONS, migrations } from './migrations.js';

/** What a build knows: its migrations and which of them older builds cannot run against. */
export interface MigrationSet {
  names: string[];
  breaking: ReadonlySet<string>;
  run: (db: Db, schema: string | null) => Promise<string[]>;
}

const META_TABLE = 'llm_proxy_migration_meta';

export function buildMigrations(db: Db): MigrationSet {
  const all = migrations(db.dialect);
  return { names: Object.keys(all).sort(), breaking: BREAKING_MIGRATIONS, run: (target, schema) => runMigrator(target, schema, all) };
}

async function runMigrator(db: Db, schema: string | null, all: ReturnType<typeof migrations>): Promise<string[]> {
  const provider: MigrationProvider = { getMigrations: async () => all };
  const migrator = new Migrator({ db: db.kysely, provider, ...(db.dialect === 'postgres' && schema && { migrationTableSchema: schema }) });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName;
    throw new Error(`database migration ${failed ?? ''} failed: ${(error as Error).message}`);
  }
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

/** Migrations the database has run (none on a new database). */
export async function executedMigrations(db: Db): Promise<string[]> {
  try {
    const rows = await sql<{ name: string }>`select name from kysely_migration`.execute(db.kysely);
    return rows.rows.map((r) => r.name);
  } catch {
    return [];
  }
}

async function breakingInDatabase(db: Db, names: readonly string[]): Promise<Set<string>> {
  const known = new Map<string, boolean>();
  try {
    const rows = await sql<{ name: string; breaks_older_builds: number }>`select name, breaks_older_builds from ${sql.table(META_TABLE)}`.execute(db.kysely);
    for (const row of rows.rows) known.set(row.name, Number(row.breaks_older_builds) === 1);
  } catch {
    // no record: every unknown migration is treated as breaking
  }
  return new Set(names.filter((name) => known.get(name) !== false));
}

/** Records which migrations this build knows break older builds, for those builds to read. */
async function recordMeta(db: Db, set: MigrationSet): Promise<void> {
  // Replicas starting together race on "if not exists" (PostgreSQL's catalog): the loser's duplicate error is harmless.
  await sql`create table if not exists ${sql.table(META_TABLE)} (name text primary key, breaks_older_builds integer not null)`.execute(db.kysely).catch((error: { code?: string }) => {
    if (error.code !== '23505' && error.code !== '42P07') throw error;
  });
  for (const name of set.names) {
    await sql`insert into ${sql.table(META_TABLE)} (name, breaks_older_builds) values (${name}, ${set.breaking.has(name) ? 1 : 0}) on conflict (name) do nothing`.execute(db.kysely);
  }
}

export interface SchemaOutcome {
  applied: string[];
  /** Migrations of a newer build this one runs alongside (all compatible). */
  newer: string[];
}

/**
 * Migrates (`migrate` true) or checks that the schema is this build's. Throws, with what to do, when
 * the database is behind and migrating is off, or holds a newer migration that breaks this build.
 */
export async function prepareSchema(db: Db, schema: string | null, migrate: boolean, logger: Logger, set: MigrationSet = buildMigrations(db)): Promise<SchemaOutcome> {
  const executed = await executedMigrations(db);
  const newer = executed.filter((name) => !set.names.includes(name));
  const pending = set.names.filter((name) => !executed.includes(name));
  if (newer.length > 0) {
    const breaking = await breakingInDatabase(db, newer);
    if (breaking.size > 0) {
      throw new Error(
        `the database holds migration(s) ${[...breaking].join(', ')} from a newer build, which this build cannot run against (they are not marked compatible with older builds). Run the newer build, or restore a backup taken before it migrated.`,
      );
    }
    if (pending.length > 0) {
      throw new Error(`the database holds newer migrations (${newer.join(', ')}) but not this build's ${pending.join(', ')}; run the newer build's migrations (npm run migrate) from a build that has all of them`);
    }
    logger.warn({ newer_migrations: newer }, 'the database holds migrations of a newer build, all compatible with this one: running on it unchanged');
    return { applied: [], newer };
  }
  if (pending.length > 0 && !migrate) {
    throw new Error(`the database schema is behind this build: migration(s) ${pending.join(', ')} not yet applied and database.migrate is false; run \`npm run migrate\` (a release step or Kubernetes Job) first`);
  }
  const applied = pending.length > 0 ? await set.run(db, schema) : [];
  if (migrate) await recordMeta(db, set);
  if (applied.length > 0) logger.info({ applied }, 'database migrated');
  return { applied, newer: [] };
}
