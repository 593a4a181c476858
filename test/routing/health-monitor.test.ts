import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, test } from 'vitest';
import { MockUpstream } from '../support/mock-openai.js';
import { mockProvider, startProxy, type TestProxy } from '../support/proxy.js';

const chat = { model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] };
const fail500 = { status: 500, body: { error: { message: 'models endpoint down', type: 'server_error' } } };

const mocks: MockUpstream[] = [];
let proxy: TestProxy | null = null;

async function mock(name: string): Promise<MockUpstream> {
  const m = await MockUpstream.start(name);
  mocks.push(m);
  return m;
}

async function json(path: string, init: RequestInit = {}) {
  const res = await fetch(`${proxy!.url}${path}`, init);
  return { status: res.status, body: await res.json() };
}

const check = (provider?: string) => json(`/check${provider ? `?provider=${provider}` : ''}`, { method: 'POST' });
const statusOf = async (name: string) => (await json(`/status/${name}`)).body.status as string;

afterEach(async () => {
  await proxy?.close();
  proxy = null;
  await Promise.all(mocks.splice(0).map((m) => m.close()));
});

describe('health monitor', () => {
  test('check failures make a provider degraded, then unhealthy at unhealthy_threshold; a passing check heals it', async () => {
    const a = await mock('a');
    proxy = await startProxy({ health_check: { unhealthy_threshold: 3 }, providers: [mockProvider('a', a.url)] });
    expect(await statusOf('a')).toBe('healthy');
    a.enqueue(fail500, fail500, fail500);

    const first = await check('a');
    expect(first.status).toBe(200);
    expect(first.body.results[0]).toMatchObject({ provider: 'a', ok: false, status: 'degraded' });
    expect(first.body.results[0].error).toContain('models endpoint down');
    await check('a');
    const third = await check('a');
    expect(third.body.results[0].status).toBe('unhealthy');
    const detail = (await json('/status/a')).body;
    expect(detail.consecutive_check_failures).toBe(3);
    expect(detail.reason).toContain('3 consecutive failed health checks');
    expect(detail.recent_errors).toHaveLength(3);
    expect(detail.recent_errors[0]).toMatchObject({ source: 'check', status: 500 });
    expect(a.calls('/v1/models')).toHaveLength(3);

    const healed = await check('a');
    expect(healed.body.results[0]).toMatchObject({ ok: true, status: 'healthy' });
    expect(await statusOf('a')).toBe('healthy');
  });

  test('live errors make a provider degraded, and it is then tried after a healthy one of the same tier', async () => {
    const a = await mock('a');
    const b = await mock('b');
    proxy = await startProxy({
      circuit_breaker: { enabled: false },
      health_check: { min_samples: 4, degraded_error_rate: 0.5 },
      providers: [mockProvider('a', a.url, { max_retries: 0, models: ['only-a'] }), mockProvider('b', b.url, { max_retries: 0, models: ['gpt-4o'] })],
    });
    a.enqueue(fail500, fail500);
    const post = (model: string) => fetch(`${proxy!.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ...chat, model }) });
    for (let i = 0; i < 4; i++) await post('only-a');
    const detail = (await json('/status/a')).body;
    expect(detail.status).toBe('degraded');
    expect(detail.reason).toContain('error rate 50%');
    expect(detail.traffic).toMatchObject({ requests: 4, failures: 2, error_rate: 0.5 });
    expect(detail.recent_errors[0]).toMatchObject({ source: 'request', status: 500 });
    const providers = (await json('/providers')).body.providers as Array<{ name: string; status: string }>;
    expect(providers.find((p) => p.name === 'a')!.status).toBe('degraded');
    expect(providers.find((p) => p.name === 'b')!.status).toBe('healthy');

    // Same tier, both serve "shared": the healthy one goes first every time, whatever the weights say.
    proxy.runtime.config.providers[0].models.push('shared');
    proxy.runtime.config.providers[1].models.push('shared');
    proxy.runtime.replace({ ...proxy.runtime.loaded, config: { ...proxy.runtime.config } });
    for (let i = 0; i < 8; i++) {
      const res = await post('shared');
      expect(res.headers.get('x-proxy-provider')).toBe('b');
    }
  });

  test('an open breaker makes its provider unhealthy; /health counts and scores providers', async () => {
    const a = await mock('a');
    const b = await mock('b');
    proxy = await startProxy({
      app: { environment: 'staging' },
      circuit_breaker: { failure_threshold: 1, volume_threshold: 1, recovery_timeout: 60 },
      providers: [mockProvider('a', a.url, { max_retries: 0 }), mockProvider('b', b.url, { priority: 2 }), mockProvider('off', b.url, { enabled: false })],
    });
    a.enqueue(fail500);
    await fetch(`${proxy.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(chat) });
    expect(await statusOf('a')).toBe('unhealthy');
    expect(await statusOf('off')).toBe('disabled');
    const health = (await json('/health')).body;
    expect(health).toMatchObject({
      status: 'degraded',
      health_score: 50,
      providers: { total: 3, enabled: 2, healthy: 1, degraded: 0, unhealthy: 1, disabled: 1 },
    });
    expect(health).toMatchObject({ name: 'llm-proxy', version: '0.1.0', environment: 'staging' });
    expect(health.uptime).toBeGreaterThanOrEqual(0);
    expect(health.response_time).toBeGreaterThanOrEqual(0);
    expect(Date.parse(health.timestamp)).not.toBeNaN();
    for (const key of ['cpu_percent', 'memory_percent', 'memory_used_mb']) expect(typeof health.system[key]).toBe('number');
    expect(health.system.memory_percent).toBeGreaterThan(0);
    expect(health.system.memory_percent).toBeLessThanOrEqual(100);
    expect(health.system.disk_percent).toBeGreaterThan(0);
  });

  test('background checks run every interval, never overlap and never pile up when a provider hangs', async () => {
    const a = await mock('a');
    const arrivals: number[] = [];
    a.setScript((req) => {
      if (!req.path.startsWith('/v1/models')) return undefined;
      arrivals.push(performance.now());
      return { hang: true };
    });
    proxy = await startProxy({ health_check: { interval: 0.05, timeout: 0.2, unhealthy_threshold: 2 }, providers: [mockProvider('a', a.url)] });
    await sleep(1000);
    // Ticks come every 50 ms, but each hanging check holds its provider until its 200 ms timeout:
    // a new check only starts once the previous one is over, so arrivals are a timeout apart.
    expect(arrivals.length).toBeGreaterThanOrEqual(2);
    expect(arrivals.length).toBeLessThanOrEqual(6);
    for (let i = 1; i < arrivals.length; i++) expect(arrivals[i] - arrivals[i - 1]).toBeGreaterThan(100);
    // Every timed-out check was aborted upstream rather than left hanging.
    expect(a.abortedRequests).toBeGreaterThanOrEqual(arrivals.length - 1);
    const detail = (await json('/status/a')).body;
    expect(detail.status).toBe('unhealthy');
    expect(detail.last_check.error).toContain('timed out');
  });

  test('no background check runs before the first interval has passed', async () => {
    const a = await mock('a');
    proxy = await startProxy({ health_check: { interval: 60 }, providers: [mockProvider('a', a.url)] });
    await sleep(100);
    expect(a.calls('/v1/models')).toHaveLength(0);
    expect((await json('/health')).body.health_checks).toEqual({ running: true, interval: 60 });
  });

  test('readiness: ready while a provider can serve, 503 during shutdown drain; liveness stays up', async () => {
    const a = await mock('a');
    proxy = await startProxy({ providers: [mockProvider('a', a.url)] });
    expect((await json('/health/ready')).status).toBe(200);
    proxy.runtime.draining = true;
    const ready = await json('/health/ready');
    expect(ready.status).toBe(503);
    expect(ready.body).toMatchObject({ status: 'not_ready', reason: 'shutting down' });
    expect((await json('/health/live')).status).toBe(200);
    expect((await json('/health')).body.status).toBe('unhealthy');
  });

  test('readiness stays 200 with every provider down: chat gets the proxy\'s OpenAI-shaped 503, /health says why', async () => {
    // Regression: readiness used to fail here, so an outage of the providers took every replica out
    // of the Service and clients got the ingress's HTML 503 instead of this error.
    const dead = 'http://127.0.0.1:1';
    proxy = await startProxy({ health_check: { unhealthy_threshold: 1 }, providers: [mockProvider('a', dead), mockProvider('b', dead, { enabled: false })] });
    await check();
    const ready = await json('/health/ready');
    expect(ready.status).toBe(200);
    expect(ready.body).toMatchObject({ status: 'ready', reason: null });
    const health = await json('/health');
    expect(health.body).toMatchObject({ status: 'unhealthy', ready: true, reason: 'no provider can serve' });
    const chat = await fetch(`${proxy!.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(chat.status).toBe(503);
    expect(chat.headers.get('content-type')).toMatch(/application\/json/);
    expect(((await chat.json()) as { error: { type: string; code: string } }).error).toMatchObject({ code: 'provider_unavailable' });
    expect((await json('/v1/models')).status).toBe(200);
  });
});
