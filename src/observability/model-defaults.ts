// Applies model selections to requests that ask for a provider's default model (the rules are in
// config/model-selections.ts): `"<provider>"` or `"<provider>/default"` → that provider's selected
// model; `"default"` → the selection with the lowest priority. Runs before the route validates.
import type { ModelSelection, ModelSelections } from '../config/model-selections.js';
import type { Runtime } from '../runtime.js';

function pick(runtime: Runtime, selections: ModelSelections, requested: string): [string, ModelSelection] | null {
  if (requested === 'default') {
    let best: [string, ModelSelection, number, number] | null = null;
    for (const [provider, selection] of Object.entries(selections.all())) {
      const handle = runtime.provider(provider);
      if (!handle?.adapter) continue;
      const rank = selection.priority ?? handle.config.priority;
      if (!best || rank < best[2] || (rank === best[2] && handle.config.priority < best[3])) best = [provider, selection, rank, handle.config.priority];
    }
    return best ? [best[0], best[1]] : null;
  }
  const provider = requested.endsWith('/default') ? requested.slice(0, -'/default'.length) : requested;
  const selection = selections.get(provider);
  return selection && runtime.provider(provider) ? [provider, selection] : null;
}

/** Rewrites `body.model` (and fills max_tokens / temperature) when it names a default model. */
export function applyModelDefaults(body: Record<string, unknown>, runtime: Runtime, selections: ModelSelections): void {
  if (typeof body.model !== 'string') return;
  const found = pick(runtime, selections, body.model);
  if (!found) return;
  const [provider, selection] = found;
  body.model = `${provider}/${selection.selected_model}`;
  const chatLike = Array.isArray(body.messages) || body.prompt !== undefined;
  if (!chatLike) return;
  if (selection.max_tokens !== null && body.max_tokens === undefined && body.max_completion_tokens === undefined) body.max_tokens = selection.max_tokens;
  if (selection.temperature !== null && body.temperature === undefined) body.temperature = selection.temperature;
}
