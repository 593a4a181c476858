// The main thread's connection to the SQLite file, through Kysely (sqlite-file.ts opens it).
import { Kysely, SqliteDialect } from 'kysely';
import { openSqliteFile } from './sqlite-file.js';
import type { DatabaseTables } from './tables.js';

export function openSqlite(file: string): Kysely<DatabaseTables> {
  return new Kysely<DatabaseTables>({ dialect: new SqliteDialect({ database: openSqliteFile(file) }) });
}
