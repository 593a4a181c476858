// How requests are routed and kept healthy: `circuit_breaker`, `health_check`, `condensation`,
// `model_overrides`, `caching`, `redis`, `model_management` and `chaos_engineering`.
import { z } from 'zod';
import { oneOf, seconds, section } from './schema-kit.js';

const breakerShape = {
  enabled: z.boolean().default(true),
  failure_threshold: z.number().int().positive().default(5),
  recovery_timeout: seconds.default(60),
  half_open_max_calls: z.number().int().positive().default(3),
  error_threshold_percentage: z.number().min(1).max(100).default(50),
  volume_threshold: z.number().int().min(0).default(5),
  rolling_window: seconds.default(60),
};
const breakerSettings = section(breakerShape);
export type BreakerSettings = z.infer<typeof breakerSettings>;

export const circuitBreakerSchema = section({
  ...breakerShape,
  /** Provider name → settings that differ from the defaults above. */
  providers: z.record(z.string(), breakerSettings.partial()).default({}),
}).prefault({});

export const healthCheckSchema = section({
  enabled: z.boolean().default(true),
  interval: seconds.default(60),
  timeout: seconds.default(10),
  unhealthy_threshold: z.number().int().positive().default(3),
  /** Sliding window of live traffic that passive health looks at. */
  window: seconds.default(300),
  /** Live attempts needed in the window before passive health judges a provider. */
  min_samples: z.number().int().positive().default(5),
  /** Share of provider-side failures in the window that makes a provider degraded. */
  degraded_error_rate: z.number().min(0).max(1).default(0.2),
  /** Mean latency in seconds (of successful attempts in the window) that makes a provider degraded. */
  degraded_latency: seconds.default(10),
}).prefault({});

export const condensationSchema = section({
  enabled: z.boolean().default(false),
  proactive: z.boolean().default(false),
  truncation_threshold: z.number().positive().default(0.8),
  summary_model: z.string().nullable().default(null),
  summary_max_tokens: z.number().int().positive().default(512),
  cache_size: z.number().int().positive().default(256),
  cache_ttl: seconds.default(3600),
  error_patterns: z.array(z.string()).default([]),
  fallback_strategies: z
    .array(oneOf(['truncate', 'summarize', 'secondary_provider'] as const))
    .default(['truncate', 'summarize', 'secondary_provider']),
}).prefault({});

/** Model name → defaults for requests that name it, or the model it stands for; the map is open, each entry closed. */
export const modelOverridesSchema = z
  .record(
    z.string(),
    section({
      max_tokens: z.number().int().positive().optional(),
      temperature: z.number().min(0).max(2).optional(),
      context_window: z.number().int().positive().optional(),
      alias_for: z.string().optional(),
    }),
  )
  .default({});

export const cachingSchema = section({
  enabled: z.boolean().default(false),
  response_cache: section({
    max_size_mb: z.number().positive().default(100),
    ttl: seconds.default(3600),
    compression: z.boolean().default(false),
  }).prefault({}),
  summary_cache: section({ max_size_mb: z.number().positive().default(10), ttl: seconds.default(3600) }).prefault({}),
  cache_nondeterministic: z.boolean().default(false),
  shared_across_keys: z.boolean().default(false),
}).prefault({});

export const redisSchema = section({
  url: z.string().nullable().default(null),
  key_prefix: z.string().default('llm-proxy:'),
  /** A Redis command slower than this fails (and the caller degrades) instead of holding the request. */
  command_timeout_ms: z.number().int().positive().default(500),
}).prefault({});

export const modelManagementSchema = section({
  /** null = model_selections.json in data_dir. */
  selections_file: z.string().nullable().default(null),
  cache_ttl: seconds.default(300),
}).prefault({});

/** One injected fault (chaos_engineering.faults[]): what, how often, on which providers. */
export const chaosFaultSchema = section({
  type: oneOf(['delay', 'error', 'timeout', 'rate_limit', 'network_failure'] as const),
  probability: z.number().min(0).max(1),
  /** Provider name or glob ("*" = every provider). */
  target: z.string().min(1).default('*'),
  enabled: z.boolean().default(true),
  /** delay: how long to hold the attempt; timeout: how long before failing (default: the attempt's own timeout). */
  duration_ms: z.number().int().min(0).optional(),
  /** error: the HTTP status to fail with. */
  error_code: z.number().int().min(400).max(599).default(500),
  error_message: z.string().default('Injected fault (chaos engineering)'),
  /** rate_limit: the Retry-After to report, in seconds. */
  retry_after: z.number().min(0).optional(),
});
export type ChaosFault = z.infer<typeof chaosFaultSchema>;

export const chaosEngineeringSchema = section({
  enabled: z.boolean().default(false),
  excluded_endpoints: z.array(z.string()).default([]),
  faults: z.array(chaosFaultSchema).default([]),
}).prefault({});
