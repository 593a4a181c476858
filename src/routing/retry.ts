// Backoff between attempts on one provider: exponential with full jitter from `retry_delay`, or the
// upstream's own Retry-After when it gives one (capped, as openai-node does).

/** Longest upstream-requested wait we honour; beyond it the router moves to the next provider. */
export const MAX_RETRY_AFTER_MS = 60_000;
/** Ceiling of the exponential backoff. */
export const MAX_BACKOFF_MS = 30_000;

/**
 * Milliseconds to wait before retry number `retry` (1 for the first retry), or null when the
 * upstream asked for a wait longer than we are willing to hold the client for.
 */
export function retryDelayMs(retry: number, baseDelaySeconds: number, retryAfterMs: number | null, random = Math.random): number | null {
  if (retryAfterMs !== null) return retryAfterMs <= MAX_RETRY_AFTER_MS ? retryAfterMs : null;
  const ceiling = Math.min(MAX_BACKOFF_MS, baseDelaySeconds * 1000 * 2 ** (retry - 1));
  return random() * ceiling;
}
