// model_overrides: per-model defaults the operator sets (max_tokens, temperature) and aliases
// (`alias_for`), applied to a request before routing. Values the client sent always win.
import type { Config } from '../config/schema.js';

type Overrides = Config['model_overrides'];

/** Applies overrides in place; returns true when the request changed (so its raw bytes are stale). */
export function applyModelOverrides(body: Record<string, unknown> & { model: string }, overrides: Overrides): boolean {
  let entry = overrides[body.model];
  if (!entry) return false;
  let changed = false;
  if (entry.alias_for && entry.alias_for !== body.model) {
    body.model = entry.alias_for;
    changed = true;
    entry = overrides[body.model] ?? entry;
  }
  const tokenField = 'max_completion_tokens' in body ? 'max_completion_tokens' : 'max_tokens';
  if (entry.max_tokens !== undefined && 'messages' in body && body[tokenField] === undefined) {
    body[tokenField] = entry.max_tokens;
    changed = true;
  }
  if (entry.temperature !== undefined && ('messages' in body || 'prompt' in body) && body.temperature === undefined) {
    body.temperature = entry.temperature;
    changed = true;
  }
  return changed;
}
