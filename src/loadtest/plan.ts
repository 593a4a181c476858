// A load-test run as decided before it starts: the tier (with command-line overrides), its scenarios
// resolved and weighted, and a seeded random source so two runs with one seed make the same choices.
import { z } from 'zod';
import { formatIssues } from '../config/schema.js';
import { duration, type LoadTesting, type Scenario } from '../config/load-testing-schema.js';

export interface Overrides {
  users?: number;
  duration?: string;
  rampUp?: string;
  expectedRps?: number;
}

export interface Plan {
  tier: string;
  users: number;
  durationMs: number;
  rampUpMs: number;
  expectedRps: number;
  thinkTimeMs: number;
  timeoutMs: number;
  seed: number;
  scenarios: Array<{ name: string; weight: number; settings: Scenario }>;
}

/** A problem with the tier, scenarios or overrides: the CLI prints it and exits 2. */
export class PlanError extends Error {}

export type ScenarioKind = NonNullable<Scenario['type']>;

/** What a scenario sends: its `type`, else by its name (model_discovery, summarization, else chat). */
export function kindOf(name: string, settings: Scenario): ScenarioKind {
  return settings.type ?? (name === 'model_discovery' ? 'models' : name === 'summarization' ? 'summarization' : 'chat');
}

export function makePlan(settings: LoadTesting, tierName: string, overrides: Overrides = {}): Plan {
  const tier = settings.tiers[tierName];
  if (!tier) throw new PlanError(`Unknown tier '${tierName}'; the configuration defines: ${Object.keys(settings.tiers).join(', ')}`);
  const names = tier.scenarios.includes('all') ? Object.keys(settings.scenarios) : tier.scenarios;
  const scenarios = names.map((name) => {
    const found = settings.scenarios[name];
    if (!found) throw new PlanError(`Tier '${tierName}' names scenario '${name}', which load_testing.scenarios does not define`);
    return { name, weight: found.weight, settings: found };
  });
  const total = scenarios.reduce((sum, s) => sum + s.weight, 0);
  if (!(total > 0)) throw new PlanError(`The weights of tier '${tierName}' scenarios (${names.join(', ')}) add up to ${total}; at least one must be positive`);
  const users = overrides.users ?? tier.users;
  if (!Number.isInteger(users) || users < 1) throw new PlanError(`--users must be a positive whole number, not ${String(overrides.users)}`);
  const expectedRps = overrides.expectedRps ?? tier.expected_rps;
  if (!(expectedRps >= 0)) throw new PlanError(`--expected-rps must be a number ≥ 0`);
  const durationMs = overrides.duration !== undefined ? parseDuration('--duration', overrides.duration) : tier.duration;
  // A shortened run keeps the tier's shape: its ramp-up shrinks in proportion unless given too.
  const rampUpMs =
    overrides.rampUp !== undefined
      ? parseDuration('--ramp-up', overrides.rampUp)
      : overrides.duration !== undefined
        ? Math.round((tier.ramp_up * durationMs) / tier.duration)
        : tier.ramp_up;
  if (durationMs <= 0) throw new PlanError('The duration must be longer than 0');
  return {
    tier: tierName,
    users,
    durationMs,
    rampUpMs: Math.min(rampUpMs, durationMs),
    expectedRps,
    thinkTimeMs: settings.config.think_time,
    timeoutMs: settings.config.timeout * 1000,
    seed: settings.config.random_seed,
    scenarios,
  };
}

function parseDuration(flag: string, value: string): number {
  const parsed = duration.safeParse(value);
  if (!parsed.success) throw new PlanError(`${flag}: ${formatIssues(parsed.error.issues).join('; ').replace(/^\(root\): /, '')}`);
  return parsed.data;
}

/** mulberry32: a small, fast PRNG; the same seed gives the same sequence. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Picks a scenario by weight. */
export function pickScenario<T extends { weight: number }>(scenarios: readonly T[], random: () => number): T {
  const total = scenarios.reduce((sum, s) => sum + s.weight, 0);
  let point = random() * total;
  for (const scenario of scenarios) {
    point -= scenario.weight;
    if (point < 0) return scenario;
  }
  return scenarios.at(-1)!;
}

export const planIssues = (error: z.ZodError): string[] => formatIssues(error.issues).map((line) => `load_testing.${line}`);
