import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { globToRegExp } from '../../src/routing/candidates.js';
import { retryDelayMs } from '../../src/routing/retry.js';
import { MockUpstream } from '../support/mock-openai.js';
import { mockProvider, startProxy, type TestProxy } from '../support/proxy.js';

describe('globs and backoff', () => {
  test('globs match whole names only', () => {
    expect(globToRegExp('gpt-4*').test('gpt-4o-mini')).toBe(true);
    expect(globToRegExp('gpt-4*').test('xgpt-4')).toBe(false);
    expect(globToRegExp('claude-3.5-?').test('claude-3.5-x')).toBe(true);
    expect(globToRegExp('claude-3.5-?').test('claude-305-x')).toBe(false);
  });

  test('full jitter stays under the exponential ceiling; Retry-After wins and is capped', () => {
    expect(retryDelayMs(1, 1, null, () => 0.999)).toBeCloseTo(999, 0);
    expect(retryDelayMs(3, 1, null, () => 0.5)).toBe(2000);
    expect(retryDelayMs(20, 1, null, () => 1)).toBe(30_000);
    expect(retryDelayMs(1, 1, 1234)).toBe(1234);
    expect(retryDelayMs(1, 1, 120_000)).toBeNull();
  });
});

describe('ordering across providers', () => {
  let heavy: MockUpstream;
  let light: MockUpstream;
  let forced: MockUpstream;
  let proxy: TestProxy;

  beforeAll(async () => {
    heavy = await MockUpstream.start('heavy');
    light = await MockUpstream.start('light');
    forced = await MockUpstream.start('forced');
    proxy = await startProxy({
      providers: [
        mockProvider('heavy', heavy.url, { models: ['tiered'], weight: 3 }),
        mockProvider('light', light.url, { models: ['tiered'], weight: 1 }),
        mockProvider('forced', forced.url, { models: ['pinned'], priority: 9, forced: true }),
        mockProvider('other', heavy.url, { models: ['pinned'], priority: 0 }),
      ],
    });
  });

  afterAll(async () => {
    await proxy.close();
    await Promise.all([heavy.close(), light.close(), forced.close()]);
  });

  const chat = (model: string) =>
    fetch(`${proxy.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model, messages: [{ role: 'user', content: 'x' }] }),
    });

  test('an equal-priority tier is balanced by weight', async () => {
    const counts: Record<string, number> = { heavy: 0, light: 0 };
    for (let i = 0; i < 400; i++) {
      const res = await chat('tiered');
      counts[res.headers.get('x-proxy-provider')!]++;
      await res.arrayBuffer();
    }
    // Expected 300/100; binomial sd ≈ 8.7, so ±45 is over five standard deviations.
    expect(counts.heavy).toBeGreaterThan(255);
    expect(counts.heavy).toBeLessThan(345);
    expect(counts.heavy + counts.light).toBe(400);
  });

  test('a forced provider goes first whatever its priority', async () => {
    for (let i = 0; i < 5; i++) {
      const res = await chat('pinned');
      expect(res.headers.get('x-proxy-provider')).toBe('forced');
      await res.arrayBuffer();
    }
  });
});
