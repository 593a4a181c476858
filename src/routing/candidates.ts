// Which providers may serve a model, in which order: `provider/model` pins one provider; otherwise
// every enabled provider whose models match (names or globs), forced first, then by priority, each
// priority tier shuffled by weight.
import type { Config, ProviderConfig } from '../config/schema.js';
import type { Operation, ProviderAdapter } from '../providers/types.js';
import { nearest } from '../config/suggest.js';

export interface ProviderHandle {
  config: ProviderConfig;
  /** Null when the provider is disabled. */
  adapter: ProviderAdapter | null;
  disabledReason: string | null;
  /** Where the entry came from: the config file, or a discovery source (file, http, dns). */
  source?: string;
}

export interface Candidate {
  handle: ProviderHandle;
  adapter: ProviderAdapter;
  /** Model name to send to this provider. */
  model: string;
}

export type Resolution =
  | { ok: true; candidates: Candidate[] }
  | { ok: false; reason: 'no_provider' | 'provider_disabled' | 'unsupported_operation'; message: string };

interface Matcher {
  handle: ProviderHandle;
  exact: ReadonlySet<string>;
  globs: RegExp[];
  any: boolean;
}

export function globToRegExp(glob: string): RegExp {
  const escaped = glob.replace(/[.+^${}()|\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${escaped}$`);
}

export class CandidateResolver {
  private readonly matchers: Matcher[];
  private readonly byName: Map<string, ProviderHandle>;
  /** Matching providers per model and operation; the order is decided per request. */
  private readonly memo = new Map<string, Resolution>();

  constructor(handles: readonly ProviderHandle[]) {
    this.byName = new Map(handles.map((h) => [h.config.name, h]));
    this.matchers = handles.map((handle) => {
      const globs = handle.config.models.filter((m) => /[*?]/.test(m));
      return {
        handle,
        exact: new Set(handle.config.models.filter((m) => !/[*?]/.test(m))),
        globs: globs.filter((g) => g !== '*').map(globToRegExp),
        any: globs.includes('*'),
      };
    });
  }

  provider(name: string): ProviderHandle | undefined {
    return this.byName.get(name);
  }

  /** Candidates in base order (forced, then priority); tiers are shuffled by `order`. */
  resolve(model: string, op: Operation): Resolution {
    const key = `${op}\u0000${model}`;
    let found = this.memo.get(key);
    if (!found) {
      found = this.match(model, op);
      if (this.memo.size > 10_000) this.memo.clear();
      this.memo.set(key, found);
    }
    return found;
  }

  /** "; did you mean …?" with the nearest model names the providers list, or nothing when none is close. */
  private suggest(model: string): string {
    const names = new Set<string>();
    for (const m of this.matchers) if (m.handle.adapter) for (const name of m.exact) names.add(name);
    const close = nearest(model, names, 3);
    return close.length > 0 ? `; did you mean ${close.map((n) => `'${n}'`).join(' or ')}? (GET /v1/models lists them)` : ' (GET /v1/models lists the models available)';
  }

  private match(model: string, op: Operation): Resolution {
    const slash = model.indexOf('/');
    if (slash > 0) {
      const pinned = this.byName.get(model.slice(0, slash));
      if (pinned) {
        if (!pinned.adapter) {
          return { ok: false, reason: 'provider_disabled', message: `Provider '${pinned.config.name}' is disabled: ${pinned.disabledReason}` };
        }
        if (!pinned.adapter.operations.has(op)) {
          return { ok: false, reason: 'unsupported_operation', message: `Provider '${pinned.config.name}' does not support ${op}` };
        }
        return { ok: true, candidates: [{ handle: pinned, adapter: pinned.adapter, model: model.slice(slash + 1) }] };
      }
    }
    const candidates: Candidate[] = [];
    const disabled: ProviderHandle[] = [];
    let unsupported = false;
    for (const m of this.matchers) {
      if (!(m.any || m.exact.has(model) || m.globs.some((g) => g.test(model)))) continue;
      if (!m.handle.adapter) {
        disabled.push(m.handle);
        continue;
      }
      if (!m.handle.adapter.operations.has(op)) {
        unsupported = true;
        continue;
      }
      candidates.push({ handle: m.handle, adapter: m.handle.adapter, model });
    }
    if (candidates.length === 0) {
      if (disabled.length > 0 && !unsupported) {
        const why = disabled.map((h) => `${h.config.name} (${h.disabledReason})`).join(', ');
        return { ok: false, reason: 'provider_disabled', message: `Model '${model}' is served only by disabled providers: ${why}` };
      }
      return unsupported
        ? { ok: false, reason: 'unsupported_operation', message: `No available provider for model '${model}' supports ${op}` }
        : { ok: false, reason: 'no_provider', message: `Model '${model}' is not supported by any available provider${this.suggest(model)}` };
    }
    candidates.sort((a, b) => Number(b.handle.config.forced) - Number(a.handle.config.forced) || a.handle.config.priority - b.handle.config.priority);
    return { ok: true, candidates };
  }
}

/**
 * Orders candidates for one request: forced first, then priority tiers; inside a tier by `rank`
 * (health: lower first), then a weighted shuffle (Efraimidis–Spirakis) so traffic follows weights.
 */
export function orderCandidates(base: readonly Candidate[], rank: (provider: string) => number, random = Math.random): Candidate[] {
  if (base.length === 1) return [base[0]];
  const keyed = base.map((c) => ({ c, key: Math.pow(random(), 1 / c.handle.config.weight), rank: rank(c.handle.config.name) }));
  keyed.sort(
    (a, b) =>
      Number(b.c.handle.config.forced) - Number(a.c.handle.config.forced) ||
      a.c.handle.config.priority - b.c.handle.config.priority ||
      a.rank - b.rank ||
      b.key - a.key,
  );
  return keyed.map((k) => k.c);
}

/** The providers in force and the configuration they were built from (the runtime; a reload swaps both). */
export interface ProviderSource {
  readonly config: Config;
  readonly handles: readonly ProviderHandle[];
}
