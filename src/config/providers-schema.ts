// `providers`: the upstreams, one entry each, and the checks that need the whole list (unique names,
// base_url where the type has no default, fallback_provider naming a configured provider).
import { z } from 'zod';
import { ENV_NAME, httpUrl, oneOf, seconds, section } from './schema-kit.js';

export const PROVIDER_TYPES = [
  'openai',
  'anthropic',
  'azure_openai',
  'google',
  'cohere',
  'grok',
  'perplexity',
  'openrouter',
  'blackbox',
  'openai_compatible',
] as const;

export const providerSchema = section({
  name: z.string().min(1).regex(/^[A-Za-z0-9_.-]+$/, 'Provider names may use letters, digits, _ . -'),
  type: oneOf(PROVIDER_TYPES),
  base_url: httpUrl.optional(),
  api_key_env: z.string().regex(ENV_NAME, 'must be an environment variable name in UPPER_SNAKE_CASE').optional(),
  models: z.array(z.string().min(1)).min(1, 'at least one model (or "*") is required'),
  enabled: z.boolean().default(true),
  forced: z.boolean().default(false),
  priority: z.number().int().min(0).default(1),
  weight: z.number().positive().default(1),
  timeout: seconds.default(30),
  max_retries: z.number().int().min(0).max(10).default(3),
  retry_delay: z.number().min(0).default(1.0),
  rate_limit: z.number().int().positive().nullable().default(null),
  max_connections: z.number().int().positive().default(100),
  max_keepalive_connections: z.number().int().positive().default(20),
  keepalive_expiry: z.number().positive().default(30.0),
  /** Offer HTTP/2 on an https base_url (TLS ALPN): the upstream picks it or HTTP/1.1. Plain http stays HTTP/1.1. */
  http2: z.boolean().default(false),
  /** Sent with every upstream request; an open map. */
  custom_headers: z.record(z.string(), z.string()).default({}),
  /** Another name for custom_headers (merged into it; custom_headers wins). */
  headers: z.record(z.string(), z.string()).optional(),
  fallback_provider: z.string().nullable().default(null),
  api_version: z.string().optional(),
  /** azure_openai: model → deployment name; an open map. */
  deployments: z.record(z.string(), z.string()).default({}),
  anthropic_version: z.string().default('2023-06-01'),
  anthropic_beta: z.string().optional(),
  /** Serves OpenAI's Responses API (/responses): /v1/responses passes through. Default: true for `openai`. */
  responses_api: z.boolean().optional(),
}).transform(({ headers, ...provider }) => (headers ? { ...provider, custom_headers: { ...headers, ...provider.custom_headers } } : provider));

export type ProviderConfig = z.infer<typeof providerSchema>;
export type ProviderType = (typeof PROVIDER_TYPES)[number];

/** The checks across the provider list; runs even when other fields failed, so every problem is reported at once. */
export function checkProviders(list: unknown, ctx: z.RefinementCtx): void {
  const providers = (Array.isArray(list) ? list : []) as Array<Partial<ProviderConfig> | null>;
  const seen = new Set<string>();
  providers.forEach((provider, index) => {
    if (!provider || typeof provider !== 'object') return;
    if (provider.name !== undefined && seen.has(provider.name)) {
      ctx.addIssue({ code: 'custom', path: ['providers', index, 'name'], message: 'Provider names must be unique' });
    }
    if (provider.name !== undefined) seen.add(provider.name);
    if (!provider.base_url && (provider.type === 'azure_openai' || provider.type === 'openai_compatible')) {
      ctx.addIssue({ code: 'custom', path: ['providers', index, 'base_url'], message: `base_url is required for type '${provider.type}'` });
    }
    if (provider.fallback_provider && !providers.some((p) => p?.name === provider.fallback_provider)) {
      ctx.addIssue({ code: 'custom', path: ['providers', index, 'fallback_provider'], message: `'${provider.fallback_provider}' is not a configured provider` });
    }
  });
}
