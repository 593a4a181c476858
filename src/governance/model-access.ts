// Which model a request reaches, for allow-lists: the name an alias (`model_overrides.*.alias_for`)
// leads to, and behind a `provider/model` pin the model that provider is asked for. Checking the name
// the client sent let an alias or a pin reach a model the key may not use.
import type { Config } from '../config/schema.js';
import { globToRegExp } from '../routing/candidates.js';

export interface ModelTarget {
  /** What the client sent. */
  requested: string;
  /** After the alias: what routing sees (may carry a provider pin). */
  resolved: string;
  /** The model the provider is asked for. */
  served: string;
}

export function modelTarget(requested: string, config: Pick<Config, 'model_overrides' | 'providers'>): ModelTarget {
  const resolved = config.model_overrides[requested]?.alias_for ?? requested;
  const slash = resolved.indexOf('/');
  const pinned = slash > 0 && config.providers.some((p) => p.name === resolved.slice(0, slash));
  return { requested, resolved, served: pinned ? resolved.slice(slash + 1) : resolved };
}

/** A list (names and globs; null = any) allows the served model, or the pinned name when an entry names a provider ("openai/*"). */
export function allowsModel(models: readonly string[] | null, target: ModelTarget): boolean {
  if (models === null) return true;
  return models.some((glob) => {
    const re = globToRegExp(glob);
    return re.test(target.served) || (glob.includes('/') && target.resolved !== target.served && re.test(target.resolved));
  });
}

/** How a refused model is named in the message: the model reached, and how the client asked for it. */
export function describeTarget(target: ModelTarget): string {
  return target.requested === target.served ? `'${target.served}'` : `'${target.served}' (requested as '${target.requested}')`;
}
