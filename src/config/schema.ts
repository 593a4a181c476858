// The configuration contract (DESIGN.md §3): the single source of truth. Every type the rest of the
// code uses for configuration is inferred from these schemas; each section lives in its own file and
// is assembled here. Every section is closed: an unknown key is an error naming the key meant.
import { z } from 'zod';
import { discoverySchema } from './discovery-schema.js';
import { budgetsSchema, databaseSchema } from './governance-schema.js';
import { guardrailsSchema } from './guardrails-schema.js';
import { loadTestingSchema } from './load-testing-schema.js';
import { alertingSchema, loggingSchema, metricsSchema, pricingSchema, telemetrySchema } from './observability-schema.js';
import { checkProviders, providerSchema } from './providers-schema.js';
import { requestLogsSchema } from './request-logs-schema.js';
import { responsesSchema } from './responses-schema.js';
import {
  cachingSchema,
  chaosEngineeringSchema,
  circuitBreakerSchema,
  condensationSchema,
  healthCheckSchema,
  modelManagementSchema,
  modelOverridesSchema,
  redisSchema,
} from './routing-schema.js';
import { KEY_SEPARATOR, section } from './schema-kit.js';
import { appSchema, authSchema, hotReloadSchema, httpClientSchema, rateLimitSchema, serverSchema } from './server-schema.js';
import { uiSchema } from './ui-schema.js';

export { PROVIDER_TYPES, providerSchema, type ProviderConfig, type ProviderType } from './providers-schema.js';
export { chaosFaultSchema, type BreakerSettings, type ChaosFault } from './routing-schema.js';
export { alertRuleSchema, type AlertRule } from './observability-schema.js';

export const configSchema = section({
  /** The writable state folder (files the proxy writes, the SQLite database), relative to the config file. */
  data_dir: z.string().min(1).default('data'),
  app: appSchema,
  server: serverSchema,
  auth: authSchema,
  providers: z.array(providerSchema),
  circuit_breaker: circuitBreakerSchema,
  rate_limit: rateLimitSchema,
  caching: cachingSchema,
  redis: redisSchema,
  condensation: condensationSchema,
  model_overrides: modelOverridesSchema,
  http_client: httpClientSchema,
  logging: loggingSchema,
  health_check: healthCheckSchema,
  metrics: metricsSchema,
  alerting: alertingSchema,
  pricing: pricingSchema,
  telemetry: telemetrySchema,
  hot_reload: hotReloadSchema,
  model_management: modelManagementSchema,
  responses: responsesSchema,
  load_testing: loadTestingSchema,
  discovery: discoverySchema,
  database: databaseSchema,
  request_logs: requestLogsSchema,
  budgets: budgetsSchema,
  guardrails: guardrailsSchema,
  ui: uiSchema,
  chaos_engineering: chaosEngineeringSchema,
})
  .superRefine(
    (config, ctx) => {
      checkProviders(config.providers, ctx);
      checkShutdownGrace(config.server, ctx);
    },
    { when: () => true },
  )
  .transform(({ server, ...rest }) => ({ ...rest, server: { ...server, shutdown_grace_s: server.shutdown_grace_s ?? server.request_timeout + SHUTDOWN_GRACE_MARGIN_S } }));

/** Seconds the default shutdown grace adds to request_timeout (the response's last bytes, the drain). */
export const SHUTDOWN_GRACE_MARGIN_S = 5;

/** A grace period shorter than request_timeout cuts requests that are allowed to run: refused unless opted into. */
function checkShutdownGrace(server: z.output<typeof serverSchema>, ctx: z.RefinementCtx): void {
  const grace = server.shutdown_grace_s;
  if (grace === null || grace >= server.request_timeout || server.allow_short_shutdown_grace) return;
  ctx.addIssue({
    code: 'custom',
    path: ['server', 'shutdown_grace_s'],
    message: `${grace}s is shorter than server.request_timeout (${server.request_timeout}s): a request still running at shutdown would be cut. Raise it, leave it unset (request_timeout + ${SHUTDOWN_GRACE_MARGIN_S}s), or set server.allow_short_shutdown_grace: true`,
  });
}

export type Config = z.infer<typeof configSchema>;
export type ConfigInput = z.input<typeof configSchema>;

/** Turns zod issues into `path: message` lines, the format operators see at start and reload; an unknown key gets a line of its own. */
export function formatIssues(issues: readonly z.core.$ZodIssue[]): string[] {
  return issues.flatMap((issue) => {
    if (issue.code !== 'unrecognized_keys') return [`${formatPath(issue.path)}: ${issue.message}`];
    const messages = issue.message.split(KEY_SEPARATOR);
    return issue.keys.map((key, i) => `${formatPath([...issue.path, key])}: ${messages.length === issue.keys.length ? messages[i] : 'unknown key'}`);
  });
}

export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out ? `.${String(part)}` : String(part);
  }
  return out || '(root)';
}
