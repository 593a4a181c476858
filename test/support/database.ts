// A database for one test, on either dialect: a SQLite file in a fresh folder, or a PostgreSQL schema
// of its own on 127.0.0.1:5432 (database `test`), dropped afterwards.
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';

export const POSTGRES_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export type DialectName = 'sqlite' | 'postgres';

export interface TestDatabase {
  /** The `database` config section pointing at it. */
  config: { url: string; schema: string | null };
  drop(): Promise<void>;
}

export async function testDatabase(dialect: DialectName): Promise<TestDatabase> {
  if (dialect === 'sqlite') {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'llm-proxy-db-')), 'test.db');
    return { config: { url: `sqlite:${file}`, schema: null }, drop: async () => undefined };
  }
  const schema = `t_${randomBytes(6).toString('hex')}`;
  return {
    config: { url: POSTGRES_URL, schema },
    async drop() {
      const client = new pg.Client({ connectionString: POSTGRES_URL });
      await client.connect();
      await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await client.end();
    },
  };
}
