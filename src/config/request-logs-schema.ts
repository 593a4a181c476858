// `request_logs`: the spend ledger and request log, one row per request on the model routes, written
// in batches off the request path.
import { z } from 'zod';
import { section } from './schema-kit.js';

export const requestLogsSchema = section({
  enabled: z.boolean().default(true),
  /** Rows waiting to be written; past it new rows are dropped (counted and logged). */
  queue_size: z.number().int().positive().default(10_000),
  batch_size: z.number().int().positive().max(1000).default(200),
  flush_interval_ms: z.number().int().positive().default(500),
  /** Attempts to write a batch before its rows are dropped (counted and logged). */
  max_retries: z.number().int().min(0).max(20).default(5),
  /** Keep request and response bodies (redacted like logs, capped); a key's or team's store_bodies overrides it. */
  store_bodies: z.boolean().default(false),
  /** Bodies longer than this (KB of JSON) are cut and marked truncated. */
  max_body_kb: z.number().int().positive().default(64),
  /** Rows older than this many days are deleted in the background (0 keeps them); the daily rollups stay. */
  retention_days: z.number().int().min(0).default(30),
}).prefault({});
