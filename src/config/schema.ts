// The configuration contract (DESIGN.md §3): the single source of truth. Every type the rest of the
// code uses for configuration is inferred from these schemas.
import { isIP } from 'node:net';
import { z } from 'zod';
import { discoverySchema } from './discovery-schema.js';
import { budgetsSchema, databaseSchema } from './governance-schema.js';
import { requestLogsSchema } from './request-logs-schema.js';
import { loadTestingSchema } from './load-testing-schema.js';
import { responsesSchema } from './responses-schema.js';
import { uiSchema } from './ui-schema.js';

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

const ENV_NAME = /^[A-Z][A-Z0-9_]*$/;

const oneOf = <T extends readonly [string, ...string[]]>(values: T) =>
  z.enum(values, {
    error: (issue) => `'${String(issue.input)}' is not one of [${values.join(', ')}]`,
  });

const httpUrl = z
  .string()
  .refine((value) => {
    try {
      const url = new URL(value);
      return url.protocol === 'http:' || url.protocol === 'https:';
    } catch {
      return false;
    }
  }, { error: (issue) => `'${String(issue.input)}' is not a valid http(s) URL` });

const seconds = z.number().positive();

export const providerSchema = z
  .object({
    name: z.string().min(1).regex(/^[A-Za-z0-9_.-]+$/, 'Provider names may use letters, digits, _ . -'),
    type: oneOf(PROVIDER_TYPES),
    base_url: httpUrl.optional(),
    api_key_env: z
      .string()
      .regex(ENV_NAME, 'must be an environment variable name in UPPER_SNAKE_CASE')
      .optional(),
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
    custom_headers: z.record(z.string(), z.string()).default({}),
    fallback_provider: z.string().nullable().default(null),
    api_version: z.string().optional(),
    deployments: z.record(z.string(), z.string()).default({}),
    anthropic_version: z.string().default('2023-06-01'),
    anthropic_beta: z.string().optional(),
    /** Serves OpenAI's Responses API (/responses): /v1/responses passes through. Default: true for `openai`. */
    responses_api: z.boolean().optional(),
  })
  .loose();

const breakerSettings = z.object({
  enabled: z.boolean().default(true),
  failure_threshold: z.number().int().positive().default(5),
  recovery_timeout: seconds.default(60),
  half_open_max_calls: z.number().int().positive().default(3),
  error_threshold_percentage: z.number().min(1).max(100).default(50),
  volume_threshold: z.number().int().min(0).default(5),
  rolling_window: seconds.default(60),
});

/** One injected fault (chaos_engineering.faults[]): what, how often, on which providers. */
export const chaosFaultSchema = z.object({
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

const cidr = z.string().refine(
  (value) => {
    const [address, prefix, extra] = value.split('/');
    const family = isIP(address);
    if (family === 0 || extra !== undefined) return false;
    if (prefix === undefined) return true;
    return /^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128);
  },
  { error: (issue) => `'${String(issue.input)}' is not an IP address or CIDR range` },
);

/** An alert rule, from `alerting.rules` or created through /v1/rules. */
export const alertRuleSchema = z
  .object({
    name: z.string().min(1).max(128).regex(/^[A-Za-z0-9_.:-]+$/, 'Rule names may use letters, digits, _ . : -'),
    description: z.string().default(''),
    metric_path: z.string().min(1),
    condition: oneOf(['>', '<', '>=', '<=', '==', '!='] as const),
    threshold: z.number(),
    severity: oneOf(['info', 'warning', 'error', 'critical'] as const).default('warning'),
    enabled: z.boolean().default(true),
    cooldown_minutes: z.number().min(0).default(5),
    channels: z.array(oneOf(['log', 'webhook'] as const)).default(['log']),
    webhook_url: httpUrl.nullable().optional(),
  })
  .strict();

export const configSchema = z
  .object({
    /** The writable state folder (files the proxy writes, the SQLite database), relative to the config file. */
    data_dir: z.string().min(1).default('data'),
    app: z
      .object({
        name: z.string().default('llm-proxy'),
        version: z.string().default('0.1.0'),
        environment: z.string().default('development'),
      })
      .prefault({}),
    server: z
      .object({
        host: z.string().default('127.0.0.1'),
        port: z.number().int().min(0).max(65535).default(8000),
        workers: z.number().int().positive().default(1),
        body_limit_mb: z.number().positive().default(10),
        shutdown_grace_s: z.number().min(0).default(30),
        /** After SIGTERM, seconds to keep accepting while /health/ready says 503 (for balancers without a preStop pause). */
        shutdown_delay_s: z.number().min(0).default(0),
        request_timeout: seconds.default(300),
        stream_idle_timeout: seconds.default(60),
        proxy_info: z.boolean().default(true),
        cors_origins: z.array(z.string()).default([]),
      })
      .prefault({}),
    auth: z
      .object({
        api_keys: z.array(z.string().min(1)).default([]),
        admin_keys: z.array(z.string().min(1)).default([]),
        api_key_header: z.string().min(1).default('X-API-Key'),
        public_paths: z.array(z.string()).default(['/health/live', '/health/ready']),
      })
      .prefault({}),
    providers: z.array(providerSchema),
    circuit_breaker: breakerSettings
      .extend({ providers: z.record(z.string(), breakerSettings.partial()).default({}) })
      .prefault({}),
    rate_limit: z
      .object({
        enabled: z.boolean().default(false),
        requests_per_window: z.number().int().positive().default(1000),
        window_seconds: seconds.default(60),
        burst_limit: z.number().int().positive().default(50),
        routes: z.record(z.string(), z.string().regex(/^\d+\/(second|minute|hour|day)$/, 'must look like "100/minute"')).default({}),
        user_limits: z
          .object({
            enabled: z.boolean().default(false),
            requests_per_minute: z.number().int().positive().default(60),
            burst_limit: z.number().int().positive().default(10),
          })
          .prefault({}),
        ip_limits: z
          .object({
            enabled: z.boolean().default(false),
            requests_per_minute: z.number().int().positive().default(120),
            whitelist: z.array(cidr).default([]),
            blacklist: z.array(cidr).default([]),
          })
          .prefault({}),
        trusted_proxies: z.array(cidr).default([]),
        on_store_error: oneOf(['open', 'closed'] as const).default('open'),
      })
      .prefault({}),
    caching: z
      .object({
        enabled: z.boolean().default(false),
        response_cache: z
          .object({
            max_size_mb: z.number().positive().default(100),
            ttl: seconds.default(3600),
            compression: z.boolean().default(false),
          })
          .prefault({}),
        summary_cache: z
          .object({ max_size_mb: z.number().positive().default(10), ttl: seconds.default(3600) })
          .prefault({}),
        cache_nondeterministic: z.boolean().default(false),
        shared_across_keys: z.boolean().default(false),
      })
      .prefault({}),
    redis: z
      .object({
        url: z.string().nullable().default(null),
        key_prefix: z.string().default('llm-proxy:'),
        /** A Redis command slower than this fails (and the caller degrades) instead of holding the request. */
        command_timeout_ms: z.number().int().positive().default(500),
      })
      .prefault({}),
    condensation: z
      .object({
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
      })
      .prefault({}),
    model_overrides: z
      .record(
        z.string(),
        z
          .object({
            max_tokens: z.number().int().positive().optional(),
            temperature: z.number().min(0).max(2).optional(),
            context_window: z.number().int().positive().optional(),
            alias_for: z.string().optional(),
          })
          .loose(),
      )
      .default({}),
    http_client: z
      .object({
        timeout: seconds.optional(),
        connect_timeout: seconds.default(10),
        read_timeout: seconds.optional(),
        pool_limits: z
          .object({
            max_connections: z.number().int().positive().optional(),
            max_keepalive_connections: z.number().int().positive().optional(),
          })
          .prefault({}),
      })
      .prefault({}),
    logging: z
      .object({
        level: oneOf(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const).default('info'),
        format: oneOf(['json', 'pretty'] as const).default('json'),
        file: z.string().nullable().default(null),
        redact: z.array(z.string()).default([]),
      })
      .prefault({}),
    health_check: z
      .object({
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
      })
      .prefault({}),
    metrics: z
      .object({
        enabled: z.boolean().default(true),
        port: z.number().int().min(0).max(65535).nullable().default(null),
        prefix: z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/).default('llm_proxy'),
      })
      .prefault({}),
    alerting: z
      .object({
        /** Rules exist only where someone made them, so evaluating them is on unless switched off. */
        enabled: z.boolean().default(true),
        interval: seconds.default(30),
        /** Where API-created rules are kept; null = alert_rules.json in data_dir. */
        rules_file: z.string().nullable().default(null),
        rules: z.array(alertRuleSchema).default([]),
        webhook_url: httpUrl.nullable().default(null),
        webhook_timeout: seconds.default(5),
        webhook_retries: z.number().int().min(0).max(10).default(2),
      })
      .prefault({}),
    pricing: z
      .record(z.string(), z.object({ input_per_1k: z.number().min(0), output_per_1k: z.number().min(0) }))
      .default({}),
    telemetry: z
      .object({
        enabled: z.boolean().default(false),
        service_name: z.string().default('llm-proxy'),
        otlp: z
          .object({ endpoint: httpUrl.nullable().default(null), headers: z.record(z.string(), z.string()).default({}) })
          .prefault({}),
        sampling: z.object({ probability: z.number().min(0).max(1).default(1) }).prefault({}),
      })
      .prefault({}),
    hot_reload: z
      .object({ enabled: z.boolean().default(true), debounce_ms: z.number().int().min(0).default(300) })
      .prefault({}),
    model_management: z
      .object({
        /** null = model_selections.json in data_dir. */
        selections_file: z.string().nullable().default(null),
        cache_ttl: seconds.default(300),
      })
      .prefault({}),
    responses: responsesSchema,
    load_testing: loadTestingSchema,
    discovery: discoverySchema,
    database: databaseSchema,
    request_logs: requestLogsSchema,
    budgets: budgetsSchema,
    ui: uiSchema,
    chaos_engineering: z
      .object({
        enabled: z.boolean().default(false),
        excluded_endpoints: z.array(z.string()).default([]),
        faults: z.array(chaosFaultSchema).default([]),
      })
      .prefault({}),
  })
  .superRefine(
    (config, ctx) => {
      // Runs even when other fields failed, so every problem is reported at once.
      const providers = Array.isArray(config.providers) ? config.providers : [];
      const seen = new Set<string>();
      providers.forEach((provider, index) => {
        if (!provider || typeof provider !== 'object') return;
        if (seen.has(provider.name)) {
          ctx.addIssue({ code: 'custom', path: ['providers', index, 'name'], message: 'Provider names must be unique' });
        }
        seen.add(provider.name);
        if (!provider.base_url && (provider.type === 'azure_openai' || provider.type === 'openai_compatible')) {
          ctx.addIssue({ code: 'custom', path: ['providers', index, 'base_url'], message: `base_url is required for type '${provider.type}'` });
        }
        if (provider.fallback_provider && !providers.some((p) => p?.name === provider.fallback_provider)) {
          ctx.addIssue({
            code: 'custom',
            path: ['providers', index, 'fallback_provider'],
            message: `'${provider.fallback_provider}' is not a configured provider`,
          });
        }
      });
    },
    { when: () => true },
  );

export type Config = z.infer<typeof configSchema>;
export type ConfigInput = z.input<typeof configSchema>;
export type ProviderConfig = z.infer<typeof providerSchema>;
export type ProviderType = (typeof PROVIDER_TYPES)[number];
export type BreakerSettings = z.infer<typeof breakerSettings>;
export type AlertRule = z.infer<typeof alertRuleSchema>;
export type ChaosFault = z.infer<typeof chaosFaultSchema>;

/** Turns zod issues into `path: message` lines, the format operators see at start and reload. */
export function formatIssues(issues: readonly z.core.$ZodIssue[]): string[] {
  return issues.map((issue) => `${formatPath(issue.path)}: ${issue.message}`);
}

export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out ? `.${String(part)}` : String(part);
  }
  return out || '(root)';
}
