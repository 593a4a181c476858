// The guardrails of a configuration, built once per configuration: each definition becomes a Guard
// with its detector (in process) or its webhook client.
import type { GuardrailDefinition, GuardrailsConfig } from '../config/guardrails-schema.js';
import { piiDetector, regexDetector, secretsDetector, type Detector } from './detect/index.js';
import { WebhookClient } from './webhook.js';

export type Phase = 'input' | 'output';
export type Action = 'block' | 'mask' | 'monitor';

export interface Guard {
  readonly name: string;
  readonly type: GuardrailDefinition['type'];
  readonly phases: ReadonlySet<Phase>;
  readonly action: Action;
  readonly onError: 'block' | 'allow';
  /** In-process checks. */
  readonly detector: Detector | null;
  /** Webhook checks. */
  readonly webhook: WebhookClient | null;
}

export function buildGuard(def: GuardrailDefinition, env: NodeJS.ProcessEnv = process.env): Guard {
  const onError = def.on_error ?? (def.action === 'monitor' ? 'allow' : 'block');
  const base = { name: def.name, type: def.type, phases: new Set(def.phases), action: def.action, onError };
  switch (def.type) {
    case 'pii':
      return { ...base, detector: piiDetector({ entities: def.entities, allow: def.allow }), webhook: null };
    case 'secrets':
      return { ...base, detector: secretsDetector({ kinds: def.kinds, allow: def.allow }), webhook: null };
    case 'regex':
      return { ...base, detector: regexDetector({ patterns: def.patterns, allow: def.allow, entity: def.label ?? labelOf(def.name) }), webhook: null };
    case 'webhook': {
      const key = def.api_key_env ? env[def.api_key_env] : undefined;
      const headers = key ? { ...def.headers, authorization: `Bearer ${key}` } : def.headers;
      return { ...base, detector: null, webhook: new WebhookClient(def.url, def.timeout_ms, headers) };
    }
  }
}

/** A guardrail's name as a placeholder label: project-words → PROJECT_WORDS. */
function labelOf(name: string): string {
  const label = name.toUpperCase().replace(/[^A-Z0-9]+/g, '_').replace(/^_+|_+$/g, '');
  return /^[A-Z]/.test(label) ? label : `X_${label}`;
}

/** Every guard of a configuration by name, and the defaults resolved. */
export class GuardSet {
  readonly byName: ReadonlyMap<string, Guard>;
  readonly defaults: readonly Guard[];

  constructor(readonly config: GuardrailsConfig) {
    const byName = new Map<string, Guard>();
    for (const def of config.definitions) byName.set(def.name, buildGuard(def));
    this.byName = byName;
    this.defaults = config.default.map((name) => byName.get(name)).filter((g): g is Guard => g !== undefined);
  }

  /** The defaults, then the team's, then the key's, each once; names no longer defined are skipped. */
  resolve(team: readonly string[] | null | undefined, key: readonly string[] | null | undefined): readonly Guard[] {
    if (!team?.length && !key?.length) return this.defaults;
    const out = [...this.defaults];
    for (const name of [...(team ?? []), ...(key ?? [])]) {
      const guard = this.byName.get(name);
      if (guard && !out.includes(guard)) out.push(guard);
    }
    return out;
  }
}
