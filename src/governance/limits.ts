// What a virtual key or a team may do, as the admin API accepts it: models (names and globs), requests
// and tokens per minute, requests in flight, a budget, body storage, an expiry (keys) and metadata.
// Unknown fields and bad values are refused whole.
import { z } from 'zod';

const MAX_METADATA_BYTES = 16 * 1024;

export const budgetSchema = z
  .object({
    max_usd: z.number().positive(),
    period: z.enum(['daily', 'weekly', 'monthly', 'total']),
    soft_limit_pct: z.number().int().min(1).max(100).nullable().default(null),
  })
  .strict();

const limitFields = {
  budget: budgetSchema.nullable(),
  store_bodies: z.boolean().nullable(),
  rpm: z.number().int().positive().nullable(),
  tpm: z.number().int().positive().nullable(),
  max_parallel: z.number().int().positive().nullable(),
  models: z.array(z.string().min(1).max(100)).max(200).nullable(),
  /** Guardrail names (guardrails.definitions) added to the defaults for this key's or team's requests. */
  guardrails: z.array(z.string().min(1).max(64)).max(32).nullable(),
  metadata: z
    .record(z.string(), z.unknown())
    .refine((m) => Buffer.byteLength(JSON.stringify(m)) <= MAX_METADATA_BYTES, `metadata must be at most ${MAX_METADATA_BYTES} bytes of JSON`),
};

/** What a new key or team has where the request says nothing. */
const limitDefaults = { models: null, rpm: null, tpm: null, max_parallel: null, budget: null, store_bodies: null, metadata: {}, guardrails: null };

const keyFields = {
  alias: z.string().min(1).max(128).nullable(),
  team_id: z.string().min(1).nullable(),
  expires_at: z.iso.datetime({ offset: true }).nullable(),
  ...limitFields,
};
const teamFields = { name: z.string().min(1).max(128), ...limitFields };

// PATCH takes only the fields it names (no defaults, which would reset the others).
export const keyPatchSchema = z.object(keyFields).partial().strict();
export const keyCreateSchema = keyPatchSchema.transform((input) => ({ alias: null, team_id: null, expires_at: null, ...limitDefaults, ...input }));

export const teamPatchSchema = z.object(teamFields).partial().strict();
export const teamCreateSchema = z
  .object(teamFields)
  .partial()
  .required({ name: true })
  .strict()
  .transform((input) => ({ ...limitDefaults, ...input }));

export const rotateSchema = z.object({ grace_seconds: z.number().int().min(0).max(7 * 24 * 3600).default(0) }).strict();

export type KeyCreate = z.infer<typeof keyCreateSchema>;
export type KeyPatch = z.infer<typeof keyPatchSchema>;
export type TeamCreate = z.infer<typeof teamCreateSchema>;
export type TeamPatch = z.infer<typeof teamPatchSchema>;
export type Budget = z.infer<typeof budgetSchema>;
