// Recognising "the request is too long" answers, per provider family plus `condensation.error_patterns`,
// whether they came as an HTTP error or as an error event inside a stream; and what context window a
// model has (model_overrides first, then well-known models).
import type { Config, ProviderType } from '../config/schema.js';
import { ProviderError } from '../errors.js';

type Family = 'openai' | 'anthropic' | 'google' | 'cohere';

const FAMILY_OF: Partial<Record<ProviderType, Family>> = { anthropic: 'anthropic', google: 'google', cohere: 'cohere' };

const PATTERNS: Record<Family, RegExp[]> = {
  openai: [
    /context_length_exceeded/i,
    /maximum context length is \d+/i,
    /reduce the length of the (?:messages|input)/i,
    /(?:input|prompt) is too long for (?:the )?model/i,
  ],
  anthropic: [/prompt is too long/i, /input length and `?max_tokens`? exceed context limit/i, /exceeds? the model'?s? context (?:window|limit)/i],
  google: [/input token count.*exceeds the maximum/i, /exceeds the maximum number of tokens/i, /request payload size exceeds/i],
  cohere: [/too many tokens/i, /total number of tokens .* exceeds/i, /exceeds? the model'?s? context length/i],
};

/** Phrases every family may use; specific enough not to catch timeouts ("took too long"). */
const GENERIC = [/context[ _-]?(?:length|window|limit) (?:exceeded|is exceeded)/i, /exceeds? (?:the )?(?:maximum )?context (?:length|window|size)/i, /too many (?:input )?tokens/i];

const compiled = new Map<string, RegExp | null>();

function configured(pattern: string): RegExp | null {
  let found = compiled.get(pattern);
  if (found === undefined) {
    try {
      found = new RegExp(pattern, 'i');
    } catch {
      // An operator's pattern that is not a valid regex is matched literally.
      found = new RegExp(pattern.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'i');
    }
    compiled.set(pattern, found);
  }
  return found;
}

/** True when an attempt failed because the request does not fit the model's context. */
export function isContextLengthError(error: unknown, providerType: ProviderType | null, extraPatterns: readonly string[]): boolean {
  if (!(error instanceof ProviderError)) return false;
  if (error.code === 'context_length_exceeded') return true;
  // Provider-side outages are not about the request's length, whatever their text says.
  if (error.kind !== 'http' && error.kind !== 'protocol') return false;
  const text = `${error.message} ${error.code ?? ''}`;
  const families = providerType && FAMILY_OF[providerType] ? [FAMILY_OF[providerType]!] : (Object.keys(PATTERNS) as Family[]);
  for (const family of new Set<Family>(['openai', ...families])) if (PATTERNS[family].some((p) => p.test(text))) return true;
  if (GENERIC.some((p) => p.test(text))) return true;
  return extraPatterns.some((p) => configured(p)?.test(text) ?? false);
}

/** Re-labels a too-long failure as the client-side 400 it is: not retried, not held against the provider. */
export function asContextLengthError(error: ProviderError): ProviderError {
  const status = error.status !== null && error.status >= 400 && error.status < 500 ? error.status : 400;
  return new ProviderError({
    provider: error.provider,
    status,
    kind: 'http',
    retryable: false,
    message: error.message,
    body: error.body,
    type: 'invalid_request_error',
    code: 'context_length_exceeded',
    param: 'messages',
  });
}

const LIMITS = [
  /maximum context length is (\d+)/i,
  /\d+ tokens? > (\d+)(?: tokens?)? maximum/i,
  /maximum number of tokens allowed \((\d+)\)/i,
  /context (?:window|limit|length|size) (?:of|is) (\d+)/i,
  /(?:limit|maximum) (?:of|is) (\d+) tokens/i,
];

/** The context limit an error message states, when it states one. */
export function limitFromMessage(message: string): number | null {
  for (const pattern of LIMITS) {
    const found = pattern.exec(message);
    if (found) return Number(found[1]);
  }
  return null;
}

const KNOWN_WINDOWS: Array<[RegExp, number]> = [
  [/^gpt-4\.1/, 1_047_576],
  [/^(?:gpt-4o|chatgpt-4o|gpt-4-turbo|gpt-4\.5)/, 128_000],
  [/^gpt-5/, 400_000],
  [/^(?:o1|o3|o4)/, 200_000],
  [/^gpt-4-32k/, 32_768],
  [/^gpt-4(?:-\d{4})?$/, 8_192],
  [/^gpt-3\.5-turbo/, 16_385],
  [/^claude-/, 200_000],
  [/^gemini-1\.5-pro/, 2_097_152],
  [/^gemini-(?:1\.5|2\.\d|2)/, 1_048_576],
  [/^command-r/, 128_000],
  [/^command-a/, 256_000],
];

/** The model's context window: `model_overrides` (as sent, then without a provider prefix), then well-known models. */
export function contextWindow(config: Config, model: string): number | null {
  const slash = model.indexOf('/');
  const plain = slash > 0 ? model.slice(slash + 1) : model;
  const override = config.model_overrides[model]?.context_window ?? config.model_overrides[plain]?.context_window;
  if (override) return override;
  for (const [pattern, window] of KNOWN_WINDOWS) if (pattern.test(plain)) return window;
  return null;
}
