// Tier resolution, weights and the seeded choice of scenarios, and the statistics of a run.
import { describe, expect, test } from 'vitest';
import { loadTestingSchema } from '../../src/config/load-testing-schema.js';
import { makePlan, pickScenario, PlanError, seededRandom } from '../../src/loadtest/plan.js';
import { percentiles, summarise, verdict, type Sample } from '../../src/loadtest/stats.js';

const settings = (doc: unknown = {}) => loadTestingSchema.parse(doc);

describe('plans', () => {
  test("ProxyAPI's tiers are built in; a configured tier is added and the overrides win", () => {
    const light = makePlan(settings(), 'light');
    expect(light).toMatchObject({ users: 30, durationMs: 300_000, rampUpMs: 30_000, expectedRps: 5, thinkTimeMs: 1000, seed: 12345 });
    expect(light.scenarios.map((s) => s.name)).toEqual(['chat_completion']);
    expect(makePlan(settings(), 'extreme').scenarios.map((s) => s.name).sort()).toEqual(['chat_completion', 'model_discovery', 'summarization']);
    const mine = settings({ tiers: { mine: { users: 2, duration: '10s', scenarios: ['model_discovery'] } } });
    expect(makePlan(mine, 'light').users).toBe(30);
    expect(makePlan(mine, 'mine', { users: 5, duration: '1500ms', rampUp: '1s', expectedRps: 3 })).toMatchObject({ users: 5, durationMs: 1500, rampUpMs: 1000, expectedRps: 3 });
    // A shortened light tier (5 min, 30 s ramp-up) keeps its shape: 30 s with a 3 s ramp-up.
    expect(makePlan(settings(), 'light', { duration: '30s' })).toMatchObject({ durationMs: 30_000, rampUpMs: 3000 });
  });

  test('bad tiers, weights and durations are refused with a clear message', () => {
    expect(() => makePlan(settings(), 'huge')).toThrow(new PlanError("Unknown tier 'huge'; the configuration defines: light, medium, heavy, extreme"));
    const zero = settings({ scenarios: { chat_completion: { weight: 0 } } });
    expect(() => makePlan(zero, 'light')).toThrow(/weights .* add up to 0/);
    expect(() => makePlan(settings({ tiers: { t: { users: 1, duration: 5, scenarios: ['nope'] } } }), 't')).toThrow(/names scenario 'nope', which load_testing.scenarios does not define/);
    expect(() => makePlan(settings(), 'light', { duration: '5 parsecs' })).toThrow(/--duration: '5 parsecs' is not a duration/);
    expect(() => makePlan(settings(), 'light', { users: 0 })).toThrow(/--users/);
    expect(loadTestingSchema.safeParse({ tiers: { t: { users: 1, duration: 'soon', scenarios: ['x'] } } }).success).toBe(false);
  });

  test('scenario choice follows the weights and the seed', () => {
    const scenarios = [{ name: 'a', weight: 70 }, { name: 'b', weight: 20 }, { name: 'c', weight: 10 }];
    const run = (seed: number) => Array.from({ length: 2000 }, ((random) => () => pickScenario(scenarios, random).name)(seededRandom(seed)));
    const first = run(12345);
    expect(run(12345)).toEqual(first);
    expect(run(54321)).not.toEqual(first);
    const share = (name: string) => first.filter((n) => n === name).length / first.length;
    expect(share('a')).toBeGreaterThan(0.65);
    expect(share('a')).toBeLessThan(0.75);
    expect(share('c')).toBeGreaterThan(0.07);
    expect(share('c')).toBeLessThan(0.13);
  });
});

describe('statistics', () => {
  const sample = (at: number, latencyMs: number, ok = true, scenario = 'chat_completion'): Sample => ({ at, scenario, status: ok ? 200 : 500, ok, latencyMs, ttftMs: null, error: ok ? null : 'http_500' });

  test('percentiles by rank', () => {
    const values = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentiles(values)).toEqual({ p50: 50, p90: 90, p95: 95, p99: 99, max: 100, mean: 50.5 });
    expect(percentiles([])).toMatchObject({ p50: 0, max: 0 });
  });

  test('steady rate counts only after the ramp-up; the verdict names every reason', () => {
    const samples = [...Array.from({ length: 10 }, (_, i) => sample(i * 100, 10)), ...Array.from({ length: 40 }, (_, i) => sample(1000 + i * 100, 20, i % 10 !== 0))];
    const summary = summarise(samples, 5000, 1000);
    expect(summary).toMatchObject({ requests: 50, errors: 4, error_rate: 0.08, rps: 10, steady_rps: 10 });
    expect(summary.errors_by_kind).toEqual({ http_500: 4 });
    expect(verdict(summary, 5, 0.1)).toEqual({ passed: true, reasons: [] });
    const failed = verdict(summary, 20, 0.01);
    expect(failed.passed).toBe(false);
    expect(failed.reasons).toEqual(['sustained 10 req/s after ramp-up, below the expected 20 req/s', 'error rate 8.00 % is above the allowed 1.00 %']);
  });
});
