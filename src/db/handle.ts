// An open database as the rest of the proxy holds it, and the settings it was opened with.
import type { Kysely } from 'kysely';
import type { DependencyState } from '../state/dependency.js';
import type { Dialect } from './migrations.js';
import type { DatabaseTables } from './tables.js';

export interface DatabaseSettings {
  url: string | null;
  schema: string | null;
  /** Migrate at start (default); false: only check the schema is this build's (`npm run migrate` migrates). */
  migrate?: boolean;
}

export interface Db {
  kysely: Kysely<DatabaseTables>;
  dialect: Dialect;
  /** Where it is, without credentials (for /health and logs). */
  describe: string;
  /** The SQLite file (absolute), which other threads may open too; null for PostgreSQL and `:memory:`. */
  file: string | null;
  /** Up or down, and since when: marked by the pool's errors and by the writes and reads that reach it. */
  health: DependencyState;
  close(): Promise<void>;
}
