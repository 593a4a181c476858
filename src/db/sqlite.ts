// A connection to the SQLite file, as every user of it opens one (the main thread, the ledger's
// writing thread): write-ahead log so readers never wait on the writer, foreign keys on, and a busy
// timeout for the moments two connections write at once.
import SQLite from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import type { DatabaseTables } from './tables.js';

export function openSqlite(file: string): Kysely<DatabaseTables> {
  return new Kysely<DatabaseTables>({ dialect: new SqliteDialect({ database: openSqliteFile(file) }) });
}

/** The bare better-sqlite3 connection, for code that runs its own prepared statements (the ledger's thread). */
export function openSqliteFile(file: string): SQLite.Database {
  const sqlite = new SQLite(file);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('busy_timeout = 5000');
  return sqlite;
}
