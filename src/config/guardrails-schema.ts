// `guardrails`: checks on the text of requests (input) and answers (output). Each definition names a
// built-in detector (pii, secrets, regex) or a webhook; `default` lists those applied to every request,
// and virtual keys and teams add their own by name. See the README's Guardrails section.
import { z } from 'zod';
import { compilePattern, PII_ENTITIES, SECRET_KINDS } from '../guardrails/detect/index.js';
import { ENV_NAME, httpUrl, oneOf, section } from './schema-kit.js';

export const GUARDRAIL_PHASES = ['input', 'output'] as const;
export const GUARDRAIL_ACTIONS = ['block', 'mask', 'monitor'] as const;

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

/** An allow-list entry: a literal value, or a regex written /…/flags. */
const allowEntry = z.string().min(1).superRefine((value, ctx) => {
  const m = /^\/(.+)\/([a-z]*)$/s.exec(value);
  if (!m) return;
  try {
    new RegExp(m[1], m[2]);
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: `'${value}' is not a valid regular expression: ${(error as Error).message}` });
  }
});

const pattern = z.string().min(1).superRefine((value, ctx) => {
  try {
    compilePattern(value);
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: (error as Error).message });
  }
});

/** What every definition has. */
const common = {
  name: z.string().regex(NAME, 'must be 1–64 characters: letters, digits, _ . - (it appears in headers and metrics)'),
  /** Where it runs: on the request's text, on the answer's text, or both. */
  phases: z.array(oneOf(GUARDRAIL_PHASES)).min(1).default(['input', 'output']),
  /** block: refuse (input) or end the answer (output); mask: replace findings with placeholders; monitor: record only. */
  action: oneOf(GUARDRAIL_ACTIONS).default('block'),
  /** A check that fails or times out: block (fail closed) or allow. Defaults to block, allow for monitor. */
  on_error: oneOf(['block', 'allow'] as const).optional(),
};

const piiDefinition = section({
  ...common,
  type: z.literal('pii'),
  /** Which entities to look for (all when unset). */
  entities: z.array(oneOf(PII_ENTITIES)).min(1).optional(),
  allow: z.array(allowEntry).default([]),
});

const secretsDefinition = section({
  ...common,
  type: z.literal('secrets'),
  /** Which token formats to look for (all when unset). */
  kinds: z.array(oneOf(SECRET_KINDS)).min(1).optional(),
  allow: z.array(allowEntry).default([]),
});

const regexDefinition = section({
  ...common,
  type: z.literal('regex'),
  /** Deny patterns (JavaScript syntax; a leading (?i), (?s) or (?m) is read as a flag). */
  patterns: z.array(pattern).min(1),
  /** Matches of the deny patterns that are fine after all (literals or /…/flags). */
  allow: z.array(allowEntry).default([]),
  /** The placeholder's label when masking (default: the name in upper case). */
  label: z.string().regex(/^[A-Z][A-Z0-9_]{0,31}$/, 'must be UPPER_SNAKE_CASE, at most 32 characters').optional(),
});

const webhookDefinition = section({
  ...common,
  type: z.literal('webhook'),
  url: httpUrl,
  /** Milliseconds the service may take before on_error applies. */
  timeout_ms: z.number().int().positive().max(60_000).default(1000),
  /** Sent as `Authorization: Bearer <value>` when set. */
  api_key_env: z.string().regex(ENV_NAME, 'must be an environment variable name in UPPER_SNAKE_CASE').optional(),
  /** Extra request headers (no secrets here: use api_key_env). */
  headers: z.record(z.string(), z.string()).default({}),
});

export const guardrailDefinitionSchema = z.discriminatedUnion('type', [piiDefinition, secretsDefinition, regexDefinition, webhookDefinition], {
  error: (issue) => (issue.code === 'invalid_union' ? "type must be one of [pii, secrets, regex, webhook]" : undefined),
});

export type GuardrailDefinition = z.infer<typeof guardrailDefinitionSchema>;

export const guardrailsSchema = section({
  definitions: z.array(guardrailDefinitionSchema).default([]),
  /** Names applied to every request on the model routes; keys and teams add theirs. */
  default: z.array(z.string()).default([]),
  stream: section({
    /** Streamed answers are checked every this many characters of text. */
    window_chars: z.number().int().min(1).max(65_536).default(96),
    /** Characters held back after each check, so a value split across windows is still caught whole. */
    overlap_chars: z.number().int().min(0).max(65_536).default(64),
  }).prefault({}),
})
  .prefault({})
  .superRefine((g, ctx) => {
    const names = new Set<string>();
    g.definitions.forEach((d, i) => {
      if (names.has(d.name)) ctx.addIssue({ code: 'custom', path: ['definitions', i, 'name'], message: `'${d.name}' is defined twice` });
      names.add(d.name);
    });
    g.default.forEach((name, i) => {
      if (!names.has(name)) ctx.addIssue({ code: 'custom', path: ['default', i], message: `'${name}' is not a guardrail defined in guardrails.definitions` });
    });
  });

export type GuardrailsConfig = z.infer<typeof guardrailsSchema>;
