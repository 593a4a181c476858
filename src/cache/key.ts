// The response-cache key: a SHA-256 of the normalised request — operation, model after alias
// resolution, and every parameter that can change the answer, with object keys sorted and null
// parameters dropped. `user`, `stream` and `stream_options` only change how an answer is delivered, so
// a streamed and a plain request share an entry. Keys are scoped per API key unless shared.
import { createHash } from 'node:crypto';
import type { Config } from '../config/schema.js';
import type { Operation } from '../providers/types.js';

const DELIVERY_ONLY = new Set(['user', 'stream', 'stream_options']);

/** The request as far as it decides the answer. */
export function normaliseRequest(body: Record<string, unknown>, config: Config): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(body)) {
    if (value === null || value === undefined || DELIVERY_ONLY.has(name)) continue;
    out[name] = value;
  }
  if (typeof body.model === 'string') out.model = config.model_overrides[body.model]?.alias_for ?? body.model;
  return out;
}

/** JSON with object keys in sorted order, so equal requests serialise identically. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

/** `scope` is the client's key hash, or null when entries are shared across keys. */
export function cacheKey(op: Operation, body: Record<string, unknown>, scope: string | null, config: Config): string {
  return createHash('sha256')
    .update(op)
    .update('\u0000')
    .update(scope ?? '*')
    .update('\u0000')
    .update(canonicalJson(normaliseRequest(body, config)))
    .digest('base64url');
}
