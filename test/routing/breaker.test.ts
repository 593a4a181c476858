import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, test } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { MockUpstream } from '../support/mock-openai.js';
import { mockProvider, startProxy, type TestProxy } from '../support/proxy.js';

const chat = { model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] };
const fail500 = { status: 500, body: { error: { message: 'upstream exploded', type: 'server_error' } } };
const fail400 = { status: 400, body: { error: { message: 'bad parameter', type: 'invalid_request_error', code: 'invalid_value', param: 'temperature' } } };

const mocks: MockUpstream[] = [];
let proxy: TestProxy | null = null;

async function mock(name: string): Promise<MockUpstream> {
  const m = await MockUpstream.start(name);
  mocks.push(m);
  return m;
}

async function post(body: unknown = chat): Promise<Response> {
  return fetch(`${proxy!.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
}

async function breakerOf(name: string): Promise<{ state: string; failures: number; opened_at: string | null; last_failure: string | null }> {
  const res = await fetch(`${proxy!.url}/providers`);
  const { providers } = (await res.json()) as { providers: Array<{ name: string; circuit_breaker: { state: string; failures: number; opened_at: string | null; last_failure: string | null } }> };
  return providers.find((p) => p.name === name)!.circuit_breaker;
}

afterEach(async () => {
  await proxy?.close();
  proxy = null;
  await Promise.all(mocks.splice(0).map((m) => m.close()));
});

describe('circuit breaker', () => {
  test('opens after failure_threshold failures, skips the provider, half-opens after recovery_timeout and closes on success', async () => {
    const a = await mock('a');
    const b = await mock('b');
    proxy = await startProxy({
      circuit_breaker: { failure_threshold: 3, volume_threshold: 3, recovery_timeout: 0.3 },
      providers: [mockProvider('a', a.url, { max_retries: 0 }), mockProvider('b', b.url, { priority: 2 })],
    });
    a.enqueue(fail500, fail500, fail500);
    for (let i = 0; i < 3; i++) {
      const res = await post();
      expect(res.status).toBe(200);
      expect(res.headers.get('x-proxy-provider')).toBe('b');
    }
    expect(a.calls('/v1/chat/completions')).toHaveLength(3);
    const open = await breakerOf('a');
    expect(open.state).toBe('open');
    expect(open.failures).toBe(3);
    expect(open.last_failure).toContain('upstream exploded');
    expect(open.opened_at).not.toBeNull();

    // Open: a is not called at all.
    const skipped = await post();
    expect(skipped.status).toBe(200);
    expect(skipped.headers.get('x-proxy-provider')).toBe('b');
    expect(a.calls('/v1/chat/completions')).toHaveLength(3);

    await sleep(400);
    expect((await breakerOf('a')).state).toBe('half_open');
    const trial = await post();
    expect(trial.headers.get('x-proxy-provider')).toBe('a');
    expect(a.calls('/v1/chat/completions')).toHaveLength(4);
    expect((await breakerOf('a')).state).toBe('closed');
  });

  test('a failed half-open trial re-opens the breaker', async () => {
    const a = await mock('a');
    const b = await mock('b');
    proxy = await startProxy({
      circuit_breaker: { failure_threshold: 2, volume_threshold: 2, recovery_timeout: 0.2 },
      providers: [mockProvider('a', a.url, { max_retries: 0 }), mockProvider('b', b.url, { priority: 2 })],
    });
    a.enqueue(fail500, fail500, fail500);
    await post();
    await post();
    expect((await breakerOf('a')).state).toBe('open');
    await sleep(300);
    expect((await breakerOf('a')).state).toBe('half_open');
    const trial = await post();
    expect(trial.headers.get('x-proxy-provider')).toBe('b');
    expect(a.calls('/v1/chat/completions')).toHaveLength(3);
    expect((await breakerOf('a')).state).toBe('open');
  });

  test('half-open lets half_open_max_calls trial requests through at once; the rest go elsewhere', async () => {
    const a = await mock('a');
    const b = await mock('b');
    proxy = await startProxy({
      circuit_breaker: { failure_threshold: 1, volume_threshold: 1, recovery_timeout: 0.2, half_open_max_calls: 2 },
      providers: [mockProvider('a', a.url, { max_retries: 0 }), mockProvider('b', b.url, { priority: 2 })],
    });
    a.enqueue(fail500);
    await post();
    expect((await breakerOf('a')).state).toBe('open');
    await sleep(300);
    a.enqueue({ delayMs: 300 }, { delayMs: 300 });
    const answers = await Promise.all([post(), post(), post(), post()]);
    const served = answers.map((r) => r.headers.get('x-proxy-provider')).sort();
    expect(served).toEqual(['a', 'a', 'b', 'b']);
    expect(a.calls('/v1/chat/completions')).toHaveLength(3);
    expect((await breakerOf('a')).state).toBe('closed');
  });

  test("a client's 400 never counts: the breaker stays closed and the provider keeps being called", async () => {
    const a = await mock('a');
    proxy = await startProxy({
      circuit_breaker: { failure_threshold: 2, volume_threshold: 2 },
      providers: [mockProvider('a', a.url, { max_retries: 0 })],
    });
    a.enqueue(fail400, fail400, fail400, fail400);
    for (let i = 0; i < 4; i++) {
      const res = await post();
      expect(res.status).toBe(400);
      expect((await res.json()).error.message).toBe('bad parameter');
    }
    expect(a.calls('/v1/chat/completions')).toHaveLength(4);
    expect(await breakerOf('a')).toMatchObject({ state: 'closed', failures: 0 });
  });

  test('one failure in a quiet window does not open it (rate and volume rules)', async () => {
    const a = await mock('a');
    proxy = await startProxy({
      circuit_breaker: { failure_threshold: 2, volume_threshold: 2, error_threshold_percentage: 50 },
      providers: [mockProvider('a', a.url, { max_retries: 0 })],
    });
    // 2 failures among 6 attempts: the count is reached but the rate (33%) is below 50%.
    a.enqueue({}, {}, fail500, {}, {}, fail500);
    for (let i = 0; i < 6; i++) await post();
    expect((await breakerOf('a')).state).toBe('closed');
  });

  test('when every candidate is open, the one that opened first is tried anyway', async () => {
    const a = await mock('a');
    const b = await mock('b');
    proxy = await startProxy({
      circuit_breaker: { failure_threshold: 1, volume_threshold: 1, recovery_timeout: 60 },
      providers: [mockProvider('a', a.url, { max_retries: 0 }), mockProvider('b', b.url, { max_retries: 0, priority: 2 })],
    });
    a.enqueue(fail500);
    b.enqueue(fail500);
    const failed = await post();
    expect(failed.status).toBe(503);
    expect((await breakerOf('a')).state).toBe('open');
    expect((await breakerOf('b')).state).toBe('open');

    const res = await post();
    expect(res.status).toBe(200);
    expect(res.headers.get('x-proxy-provider')).toBe('a');
    expect(a.calls('/v1/chat/completions')).toHaveLength(2);
    expect(b.calls('/v1/chat/completions')).toHaveLength(1);
    // The last-resort success proved the provider back: its breaker closes.
    expect((await breakerOf('a')).state).toBe('closed');
    expect((await breakerOf('b')).state).toBe('open');
  });

  test('per-provider overrides apply, and breaker state survives a configuration reload', async () => {
    const a = await mock('a');
    const b = await mock('b');
    proxy = await startProxy({
      circuit_breaker: { failure_threshold: 10, volume_threshold: 10, providers: { a: { failure_threshold: 1, volume_threshold: 1 } } },
      providers: [mockProvider('a', a.url, { max_retries: 0 }), mockProvider('b', b.url, { priority: 2 })],
    });
    a.enqueue(fail500);
    await post();
    expect((await breakerOf('a')).state).toBe('open');
    proxy.runtime.replace(loadConfig({ file: proxy.configFile, env: {} }));
    expect((await breakerOf('a')).state).toBe('open');
    const res = await post();
    expect(res.headers.get('x-proxy-provider')).toBe('b');
    expect(a.calls('/v1/chat/completions')).toHaveLength(1);
  });

  test('disabled breakers never skip a provider', async () => {
    const a = await mock('a');
    proxy = await startProxy({
      circuit_breaker: { enabled: false, failure_threshold: 1, volume_threshold: 1 },
      providers: [mockProvider('a', a.url, { max_retries: 0 })],
    });
    a.enqueue(fail500, fail500);
    expect((await post()).status).toBe(503);
    expect((await post()).status).toBe(503);
    expect(a.calls('/v1/chat/completions')).toHaveLength(2);
    expect((await breakerOf('a')).state).toBe('disabled');
  });
});
