// Upgrades and rollbacks: a build runs on a database a newer build migrated, as long as those newer
// migrations are compatible (expand-only); it refuses, saying why, when one is not. With
// database.migrate false a process only checks the schema, and `npm run migrate` migrates it.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Kysely } from 'kysely';
import pino from 'pino';
import { afterEach, describe, expect, test } from 'vitest';
import { openDatabase } from '../../src/db/database.js';
import type { Db } from '../../src/db/handle.js';
import { buildMigrations, executedMigrations, type MigrationSet } from '../../src/db/schema-version.js';
import { testDatabase, type DialectName, type TestDatabase } from '../support/database.js';
import { writeConfig } from '../support/proxy.js';

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, '../..');
const logger = pino({ level: 'silent' });

/** A newer build: this build's migrations plus one more, compatible with older builds or not. */
function newerBuild(name: string, breaking: boolean): (db: Db) => MigrationSet {
  return (db) => {
    const own = buildMigrations(db);
    return {
      names: [...own.names, name],
      breaking: new Set([...own.breaking, ...(breaking ? [name] : [])]),
      run: async (target, schema) => {
        const applied = await own.run(target, schema);
        await (target.kysely as unknown as Kysely<unknown>).schema.createTable(`t_${name}`).addColumn('id', 'text').execute();
        await target.kysely.insertInto('kysely_migration' as never).values({ name, timestamp: new Date().toISOString() } as never).execute();
        return [...applied, name];
      },
    };
  };
}

describe.each(['sqlite', 'postgres'] as DialectName[])('schema versions on %s', (dialect) => {
  let database: TestDatabase;
  afterEach(async () => {
    await database?.drop();
  });

  test('a database with a newer, compatible migration: this (older) build starts on it and works', async () => {
    database = await testDatabase(dialect);
    await (await openDatabase(database.config, '/nonexistent', logger, { migrations: newerBuild('999_add_a_table', false) })).close();
    const db = await openDatabase(database.config, '/nonexistent', logger);
    expect(await executedMigrations(db)).toContain('999_add_a_table');
    expect(await db.kysely.selectFrom('virtual_keys').select('id').execute()).toEqual([]);
    await db.close();
  });

  test('a newer migration that breaks older builds: this build refuses to start and says why', async () => {
    database = await testDatabase(dialect);
    await (await openDatabase(database.config, '/nonexistent', logger, { migrations: newerBuild('999_drop_something', true) })).close();
    await expect(openDatabase(database.config, '/nonexistent', logger)).rejects.toThrow(/999_drop_something from a newer build, which this build cannot run against/);
  });

  test('database.migrate false: a new database is refused until npm run migrate ran, then accepted', async () => {
    database = await testDatabase(dialect);
    const settings = { ...database.config, migrate: false };
    await expect(openDatabase(settings, '/nonexistent', logger)).rejects.toThrow(/behind this build.*npm run migrate/);
    const config = writeConfig({ database: database.config, providers: [] });
    const status = await run(process.execPath, ['--import', 'tsx', 'src/db/migrate-cli.ts', '--config', config, '--status'], { cwd: root });
    expect(status.stdout).toMatch(/applied: none\npending: 001_keys_and_teams/);
    const migrated = await run(process.execPath, ['--import', 'tsx', 'src/db/migrate-cli.ts', '--config', config], { cwd: root });
    expect(migrated.stdout).toMatch(/schema up to date/);
    const db = await openDatabase(settings, '/nonexistent', logger);
    expect(await executedMigrations(db)).toEqual(buildMigrations(db).names);
    await db.close();
  });
});

test('npm run migrate -- --help lists its options', async () => {
  const { stdout } = await run(process.execPath, ['--import', 'tsx', 'src/db/migrate-cli.ts', '--help'], { cwd: root });
  expect(stdout).toMatch(/Usage: npm run migrate/);
  expect(stdout).toMatch(/--status/);
});
