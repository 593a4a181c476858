// `load_testing`: tiers, scenarios, run settings and reports for `npm run loadtest` (ProxyAPI's format).
// Durations are seconds or strings such as "500ms", "30s", "5m", "1h".
import { z } from 'zod';
import { section } from './schema-kit.js';

const DURATION = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h)?$/;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** A duration in milliseconds, from seconds (number) or a string with a unit. */
export const duration = z.union([z.number().min(0), z.string()]).transform((value, ctx) => {
  if (typeof value === 'number') return value * 1000;
  const match = DURATION.exec(value.trim());
  if (!match) {
    ctx.addIssue({ code: 'custom', message: `'${value}' is not a duration (e.g. 30s, 5m, 1h, 500ms)` });
    return z.NEVER;
  }
  return Number(match[1]) * UNIT_MS[match[2] ?? 's'];
});

export const tierSchema = section({
  users: z.number().int().positive(),
  duration: duration,
  ramp_up: duration.prefault(0),
  expected_rps: z.number().min(0).default(0),
  scenarios: z.array(z.string().min(1)).min(1),
});

export const scenarioSchema = section({
  /** What it sends: a chat, GET /v1/models, or a chat summarising input_length characters. By default
   * model_discovery lists models, summarization summarises and any other name chats. */
  type: z.enum(['chat', 'models', 'summarization']).optional(),
  weight: z.number().min(0).default(1),
  model: z.string().min(1).default('gpt-4o-mini'),
  max_tokens: z.number().int().positive().optional(),
  temperature: z.number().min(0).max(2).optional(),
  stream: z.boolean().default(false),
  /** summarization: characters of text to summarise. */
  input_length: z.number().int().positive().optional(),
});

const DEFAULT_TIERS = {
  light: { users: 30, duration: '5m', ramp_up: '30s', expected_rps: 5, scenarios: ['chat_completion'] },
  medium: { users: 100, duration: '5m', ramp_up: '1m', expected_rps: 20, scenarios: ['chat_completion', 'model_discovery'] },
  heavy: { users: 400, duration: '15m', ramp_up: '5m', expected_rps: 80, scenarios: ['chat_completion', 'model_discovery', 'summarization'] },
  extreme: { users: 1000, duration: '20m', ramp_up: '10m', expected_rps: 200, scenarios: ['all'] },
};
const DEFAULT_SCENARIOS = {
  chat_completion: { weight: 70, model: 'gpt-4o-mini', max_tokens: 100, temperature: 0.7, stream: false },
  model_discovery: { weight: 20 },
  summarization: { weight: 10, input_length: 4000, max_tokens: 512 },
};

// Tiers and scenarios the configuration defines are added to ProxyAPI's (and replace those of the same name).
const defaultTiers = z.record(z.string(), tierSchema).parse(DEFAULT_TIERS);
const defaultScenarios = z.record(z.string(), scenarioSchema).parse(DEFAULT_SCENARIOS);

export const loadTestingSchema = section({
  tiers: z
    .record(z.string(), tierSchema)
    .default({})
    .transform((tiers) => ({ ...defaultTiers, ...tiers })),
  scenarios: z
    .record(z.string(), scenarioSchema)
    .default({})
    .transform((scenarios) => ({ ...defaultScenarios, ...scenarios })),
  config: section({
    /** Seconds a request may take. */
    timeout: z.number().positive().default(30),
    think_time: duration.prefault('1s'),
    random_seed: z.number().int().default(12345),
  }).prefault({}),
  reporting: section({
    formats: z.array(z.enum(['json', 'html', 'csv'])).default(['json', 'html', 'csv']),
    output_dir: z.string().default('reports/load_tests'),
    include_charts: z.boolean().default(true),
    include_raw_data: z.boolean().default(true),
  }).prefault({}),
}).prefault({});

export type LoadTesting = z.infer<typeof loadTestingSchema>;
export type Tier = z.infer<typeof tierSchema>;
export type Scenario = z.infer<typeof scenarioSchema>;
