// `responses`: the Responses API surface (/v1/responses) and the gateway's own response store.
import { z } from 'zod';
import { section } from './schema-kit.js';

export const responsesSchema = section({
  store: section({
    /** Keep answers so previous_response_id, item_reference and GET /v1/responses/:id work. */
    enabled: z.boolean().default(true),
    /** Memory the store may use, in MB (least recently used answers go first). */
    max_size_mb: z.number().positive().default(32),
    /** Seconds an answer is kept. */
    ttl: z.number().positive().default(3600),
  }).prefault({}),
}).prefault({});
