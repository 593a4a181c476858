// What the proxy tells its operators: `logging`, `metrics`, `alerting` (and the alert rules the API
// accepts too), `telemetry`, and `pricing` for cost.
import { z } from 'zod';
import { httpUrl, oneOf, seconds, section } from './schema-kit.js';

export const loggingSchema = section({
  level: oneOf(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const).default('info'),
  format: oneOf(['json', 'pretty'] as const).default('json'),
  file: z.string().nullable().default(null),
  redact: z.array(z.string()).default([]),
}).prefault({});

export const metricsSchema = section({
  enabled: z.boolean().default(true),
  port: z.number().int().min(0).max(65535).nullable().default(null),
  prefix: z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/).default('llm_proxy'),
}).prefault({});

/** An alert rule, from `alerting.rules` or created through /v1/rules. */
export const alertRuleSchema = section({
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
});
export type AlertRule = z.infer<typeof alertRuleSchema>;

export const alertingSchema = section({
  /** Rules exist only where someone made them, so evaluating them is on unless switched off. */
  enabled: z.boolean().default(true),
  interval: seconds.default(30),
  /** Where API-created rules are kept; null = alert_rules.json in data_dir. */
  rules_file: z.string().nullable().default(null),
  rules: z.array(alertRuleSchema).default([]),
  webhook_url: httpUrl.nullable().default(null),
  webhook_timeout: seconds.default(5),
  webhook_retries: z.number().int().min(0).max(10).default(2),
}).prefault({});

/** Model name (or prefix) → prices; the map is open, each entry closed. */
export const pricingSchema = z
  .record(z.string(), section({ input_per_1k: z.number().min(0), output_per_1k: z.number().min(0) }))
  .default({});

export const telemetrySchema = section({
  enabled: z.boolean().default(false),
  service_name: z.string().default('llm-proxy'),
  otlp: section({ endpoint: httpUrl.nullable().default(null), headers: z.record(z.string(), z.string()).default({}) }).prefault({}),
  sampling: section({ probability: z.number().min(0).max(1).default(1) }).prefault({}),
}).prefault({});
