// `database`: where virtual keys and teams are kept (SQLite in data_dir by default, or PostgreSQL).
import { z } from 'zod';

export const databaseSchema = z
  .object({
    /** null = SQLite file <data_dir>/llm-proxy.db; "postgres://…"; "sqlite:/path" or "sqlite::memory:". DATABASE_URL sets it too. */
    url: z.string().min(1).nullable().default(null),
    /** PostgreSQL schema to use (created when missing); null = the connection's default. */
    schema: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,62}$/, 'must be a plain SQL identifier').nullable().default(null),
  })
  .prefault({});
