/* eslint-disable @typescript-eslint/no-explicit-any -- rows of two schema versions, read back loosely */
// Migration 003 re-keys the ledger by a server-made row id (a client's x-request-id is not unique):
// rows written before it keep their data, their request id becomes their row id, and two rows may then
// share a request id. On SQLite and PostgreSQL.
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, Migrator, PostgresDialect, SqliteDialect, sql, type Migration } from 'kysely';
import pg from 'pg';
import { expect, test } from 'vitest';
import { migrations, type Dialect } from '../../src/db/migrations.js';
import { POSTGRES_URL } from '../support/database.js';

async function open(dialect: Dialect): Promise<{ db: Kysely<any>; schema?: string; drop: () => Promise<void> }> {
  if (dialect === 'sqlite') {
    const db = new Kysely<any>({ dialect: new SqliteDialect({ database: new SQLite(path.join(mkdtempSync(path.join(tmpdir(), 'ledger-ids-')), 'db.sqlite')) }) });
    return { db, drop: () => db.destroy() };
  }
  const schema = `t_${randomBytes(6).toString('hex')}`;
  const pool = new pg.Pool({ connectionString: POSTGRES_URL, max: 1 });
  pool.on('connect', (client) => void client.query(`SET search_path TO "${schema}"`));
  const db = new Kysely<any>({ dialect: new PostgresDialect({ pool }) });
  await sql`create schema ${sql.id(schema)}`.execute(db);
  return {
    db,
    schema,
    drop: async () => {
      await sql`drop schema ${sql.id(schema)} cascade`.execute(db);
      await db.destroy();
    },
  };
}

const migrateTo = (db: Kysely<any>, all: Record<string, Migration>, last: string, schema?: string) =>
  new Migrator({ db, provider: { getMigrations: async () => all }, ...(schema && { migrationTableSchema: schema }) }).migrateTo(last);

test.each(['sqlite', 'postgres'] as Dialect[])('on %s: rows before 003 keep their data, keyed by their request id', async (dialect) => {
  const { db, schema, drop } = await open(dialect);
  try {
    const all = migrations(dialect);
    expect((await migrateTo(db, all, '002_ledger', schema)).error).toBeUndefined();
    const row = { request_id: 'old-1', created_at: '2026-01-01T00:00:00.000Z', key_id: 'k', key_alias: null, team_id: null, route: '/v1/chat/completions', model: 'gpt-4o', provider: 'p', status: 200, error_code: null, attempts: 1, input_tokens: 9, output_tokens: 3, cached_tokens: 0, reasoning_tokens: 0, cost_usd: 0.015, latency_ms: 1, ttft_ms: null, cache_hit: 0, stream: 0, request_body: null, response_body: null };
    await db.insertInto('request_logs').values(row).execute();
    expect((await migrateTo(db, all, '003_ledger_row_ids', schema)).error).toBeUndefined();
    const rows = await db.selectFrom('request_logs').selectAll().execute();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ id: 'old-1', request_id: 'old-1', model: 'gpt-4o', input_tokens: 9 });
    await db.insertInto('request_logs').values({ ...row, id: 'new-row' }).execute();
    expect(await db.selectFrom('request_logs').select('id').where('request_id', '=', 'old-1').orderBy('id').execute()).toEqual([{ id: 'new-row' }, { id: 'old-1' }]);
  } finally {
    await drop();
  }
});
