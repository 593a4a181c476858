// `database`: where virtual keys and teams are kept (SQLite in data_dir by default, or PostgreSQL).
import { z } from 'zod';
import { section } from './schema-kit.js';

export const databaseSchema = section({
  /** null = SQLite file <data_dir>/llm-proxy.db; "postgres://…"; "sqlite:/path" or "sqlite::memory:". DATABASE_URL sets it too. */
  url: z.string().min(1).nullable().default(null),
  /** PostgreSQL schema to use (created when missing); null = the connection's default. */
  schema: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,62}$/, 'must be a plain SQL identifier').nullable().default(null),
  /** Migrate at start. false: a release step runs `npm run migrate` once, and each process only checks the schema is its own. */
  migrate: z.boolean().default(true),
}).prefault({});

/** `budgets`: how virtual keys' and teams' budgets are held. */
export const budgetsSchema = section({
  /** Redis unreachable: `closed` refuses requests of keys with a budget (503), `open` lets them through unchecked. */
  on_store_error: z.enum(['closed', 'open']).default('closed'),
  /** Completion tokens assumed for the worst case when a request sets no max_tokens. */
  default_max_tokens: z.number().int().positive().default(4096),
}).prefault({});
