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
  metadata: z
    .record(z.string(), z.unknown())
    .refine((m) => Buffer.byteLength(JSON.stringify(m)) <= MAX_METADATA_BYTES, `metadata must be at most ${MAX_METADATA_BYTES} bytes of JSON`),
};

export const keyCreateSchema = z
  .object({
    alias: z.string().min(1).max(128).nullable().default(null),
    team_id: z.string().min(1).nullable().default(null),
    expires_at: z.iso.datetime({ offset: true }).nullable().default(null),
    models: limitFields.models.default(null),
    rpm: limitFields.rpm.default(null),
    tpm: limitFields.tpm.default(null),
    max_parallel: limitFields.max_parallel.default(null),
    budget: limitFields.budget.default(null),
    store_bodies: limitFields.store_bodies.default(null),
    metadata: limitFields.metadata.default({}),
  })
  .strict();

export const keyPatchSchema = keyCreateSchema.partial().strict();

export const teamCreateSchema = z
  .object({
    name: z.string().min(1).max(128),
    models: limitFields.models.default(null),
    rpm: limitFields.rpm.default(null),
    tpm: limitFields.tpm.default(null),
    max_parallel: limitFields.max_parallel.default(null),
    budget: limitFields.budget.default(null),
    store_bodies: limitFields.store_bodies.default(null),
    metadata: limitFields.metadata.default({}),
  })
  .strict();

export const teamPatchSchema = teamCreateSchema.partial().strict();

export const rotateSchema = z.object({ grace_seconds: z.number().int().min(0).max(7 * 24 * 3600).default(0) }).strict();

export type KeyCreate = z.infer<typeof keyCreateSchema>;
export type KeyPatch = z.infer<typeof keyPatchSchema>;
export type TeamCreate = z.infer<typeof teamCreateSchema>;
export type TeamPatch = z.infer<typeof teamPatchSchema>;
export type Budget = z.infer<typeof budgetSchema>;
