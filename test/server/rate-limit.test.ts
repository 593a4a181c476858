import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { AddressSet, resolveClientIp } from '../../src/server/ip-access.js';
import { parseLimit } from '../../src/server/rate-limit.js';
import { MockUpstream } from '../support/mock-openai.js';
import { mockProvider, startProxy, writeConfig, type TestProxy } from '../support/proxy.js';

let mock: MockUpstream;
const open: TestProxy[] = [];

const chat = { model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] };

beforeAll(async () => {
  mock = await MockUpstream.start('up');
});
afterEach(async () => {
  await Promise.all(open.splice(0).map((p) => p.close()));
  mock.reset();
});
afterAll(async () => {
  await mock.close();
});

async function proxyWith(rateLimit: Record<string, unknown>, extra: Record<string, unknown> = {}): Promise<TestProxy> {
  const proxy = await startProxy({ rate_limit: { enabled: true, ...rateLimit }, providers: [mockProvider('up', mock.url)], ...extra });
  open.push(proxy);
  return proxy;
}

function post(proxy: TestProxy, path: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${proxy.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
}

async function statuses(responses: Promise<Response>[]): Promise<number[]> {
  const done = await Promise.all(responses);
  await Promise.all(done.map((r) => r.arrayBuffer()));
  return done.map((r) => r.status);
}

const count = (list: number[], status: number) => list.filter((s) => s === status).length;

describe('in-memory limits', () => {
  test('exactly the limit is admitted out of 200 concurrent requests', async () => {
    const proxy = await proxyWith({ requests_per_window: 50, window_seconds: 60, burst_limit: 1000 });
    const codes = await statuses(Array.from({ length: 200 }, () => post(proxy, '/v1/chat/completions', chat)));
    expect(count(codes, 200)).toBe(50);
    expect(count(codes, 429)).toBe(150);
    expect(mock.calls('/v1/chat/completions')).toHaveLength(50);
  });

  test('a 429 has the contract body, Retry-After and the X-RateLimit headers; admitted answers carry the headers too', async () => {
    const proxy = await proxyWith({ requests_per_window: 2, window_seconds: 30, burst_limit: 100 });
    const first = await post(proxy, '/v1/chat/completions', chat);
    expect(first.status).toBe(200);
    expect(first.headers.get('x-ratelimit-limit')).toBe('2');
    expect(first.headers.get('x-ratelimit-remaining')).toBe('1');
    expect(Number(first.headers.get('x-ratelimit-reset'))).toBeGreaterThan(0);
    await first.arrayBuffer();
    await (await post(proxy, '/v1/chat/completions', chat)).arrayBuffer();
    const limited = await post(proxy, '/v1/chat/completions', chat);
    expect(limited.status).toBe(429);
    const seconds = Number(limited.headers.get('retry-after'));
    expect(seconds).toBeGreaterThanOrEqual(1);
    expect(seconds).toBeLessThanOrEqual(30);
    expect(limited.headers.get('x-ratelimit-limit')).toBe('2');
    expect(limited.headers.get('x-ratelimit-remaining')).toBe('0');
    expect(limited.headers.get('x-ratelimit-reset')).toBe(String(seconds));
    expect(await limited.json()).toEqual({
      error: { code: 'rate_limited', message: `Rate limit exceeded. Try again in ${seconds} seconds.`, type: 'rate_limit_error', param: null, retry_after: seconds },
    });
  });

  test('burst_limit caps requests within one second', async () => {
    const proxy = await proxyWith({ requests_per_window: 1000, burst_limit: 5 });
    const codes = await statuses(Array.from({ length: 12 }, () => post(proxy, '/v1/chat/completions', chat)));
    expect(count(codes, 200)).toBe(5);
  });

  test('per-route limits: a configured route and the built-in default for /v1/models', async () => {
    const proxy = await proxyWith({ burst_limit: 1000, routes: { '/v1/embeddings': '2/minute' } });
    const embed = { model: 'text-embedding-3-small', input: 'x' };
    const codes = await statuses([0, 1, 2].map(() => post(proxy, '/v1/embeddings', embed)));
    expect(codes.sort()).toEqual([200, 200, 429]);
    // Chat has its own (default 100/minute) counter.
    expect((await post(proxy, '/v1/chat/completions', chat)).status).toBe(200);
    const models = await fetch(`${proxy.url}/v1/models`);
    expect(models.headers.get('x-ratelimit-limit')).toBe('60');
  });

  test('probes are never limited', async () => {
    const proxy = await proxyWith({ requests_per_window: 1, burst_limit: 1 });
    for (let i = 0; i < 5; i++) {
      const live = await fetch(`${proxy.url}/health/live`);
      expect(live.status).toBe(200);
      expect(live.headers.get('x-ratelimit-limit')).toBeNull();
    }
  });

  test('user_limits count per API key, never mixing keys', async () => {
    const proxy = await proxyWith({ user_limits: { enabled: true, requests_per_minute: 3, burst_limit: 10 } }, { auth: { api_keys: ['key-a', 'key-b'] } });
    const as = (key: string) => post(proxy, '/v1/chat/completions', chat, { authorization: `Bearer ${key}` });
    expect(await statuses([as('key-a'), as('key-a'), as('key-a'), as('key-a')])).toEqual(expect.arrayContaining([429]));
    expect((await as('key-b')).status).toBe(200);
    const limitedA = await as('key-a');
    expect(limitedA.status).toBe(429);
    expect(limitedA.headers.get('x-ratelimit-limit')).toBe('3');
  });

  test('unauthenticated clients are limited by address', async () => {
    const proxy = await proxyWith({ requests_per_window: 1, burst_limit: 5 });
    expect((await post(proxy, '/v1/chat/completions', chat)).status).toBe(200);
    expect((await post(proxy, '/v1/chat/completions', chat)).status).toBe(429);
  });

  test('ip_limits: per-address limit, allow-listed addresses exempt, denied addresses get 403', async () => {
    const limited = await proxyWith({ ip_limits: { enabled: true, requests_per_minute: 1 } });
    expect(await statuses([post(limited, '/v1/chat/completions', chat), post(limited, '/v1/chat/completions', chat)])).toEqual(expect.arrayContaining([200, 429]));

    const allowed = await proxyWith({ requests_per_window: 1, burst_limit: 1, ip_limits: { enabled: true, requests_per_minute: 1, whitelist: ['127.0.0.0/8'] } });
    expect(await statuses([0, 1, 2].map(() => post(allowed, '/v1/chat/completions', chat)))).toEqual([200, 200, 200]);

    const denied = await proxyWith({ ip_limits: { blacklist: ['127.0.0.1'] } }, { auth: { api_keys: ['k'] } });
    const res = await post(denied, '/v1/chat/completions', chat);
    expect(res.status).toBe(403);
    expect((await res.json()).error.code).toBe('insufficient_permissions');
    expect(mock.calls()).toHaveLength(4);
    // Probes stay reachable from a denied address.
    expect((await fetch(`${denied.url}/health/live`)).status).toBe(200);
  });

  test('X-Forwarded-For is believed only from trusted proxies', async () => {
    const untrusted = await proxyWith({ requests_per_window: 1, burst_limit: 1 });
    const from = (proxy: TestProxy, ip: string) => post(proxy, '/v1/chat/completions', chat, { 'x-forwarded-for': ip });
    expect((await from(untrusted, '203.0.113.1')).status).toBe(200);
    expect((await from(untrusted, '203.0.113.2')).status).toBe(429);

    const trusted = await proxyWith({ requests_per_window: 1, burst_limit: 1, trusted_proxies: ['127.0.0.1/32'], ip_limits: { blacklist: ['198.51.100.0/24'] } });
    expect((await from(trusted, '203.0.113.1')).status).toBe(200);
    expect((await from(trusted, '203.0.113.2')).status).toBe(200);
    expect((await from(trusted, '203.0.113.1')).status).toBe(429);
    expect((await from(trusted, '198.51.100.7')).status).toBe(403);
  });

  test('limits follow a config reload without a restart', async () => {
    const doc = { rate_limit: { enabled: true, requests_per_window: 1, burst_limit: 1 }, providers: [mockProvider('up', mock.url)] };
    const proxy = await proxyWith(doc.rate_limit);
    expect((await post(proxy, '/v1/chat/completions', chat)).status).toBe(200);
    expect((await post(proxy, '/v1/chat/completions', chat)).status).toBe(429);
    proxy.runtime.replace(loadConfig({ file: writeConfig({ ...doc, rate_limit: { ...doc.rate_limit, requests_per_window: 5, burst_limit: 10 } }), env: {} }));
    const res = await post(proxy, '/v1/chat/completions', chat);
    expect(res.status).toBe(200);
    expect(res.headers.get('x-ratelimit-limit')).toBe('5');
    proxy.runtime.replace(loadConfig({ file: writeConfig({ ...doc, rate_limit: { enabled: false } }), env: {} }));
    const off = await post(proxy, '/v1/chat/completions', chat);
    expect(off.status).toBe(200);
    expect(off.headers.get('x-ratelimit-limit')).toBeNull();
  });

  test('disabled by default: no limits, no headers', async () => {
    const proxy = await startProxy({ providers: [mockProvider('up', mock.url)] });
    open.push(proxy);
    const res = await post(proxy, '/v1/chat/completions', chat);
    expect(res.status).toBe(200);
    expect(res.headers.get('x-ratelimit-limit')).toBeNull();
  });
});

describe('client address and limits parsing', () => {
  const trusted = new AddressSet(['10.0.0.0/8', '::1']);

  test('the first untrusted hop from the right is the client', () => {
    expect(resolveClientIp('10.1.1.1', '198.51.100.9, 203.0.113.5, 10.2.2.2', trusted)).toBe('203.0.113.5');
    expect(resolveClientIp('::ffff:10.1.1.1', '203.0.113.5', trusted)).toBe('203.0.113.5');
    expect(resolveClientIp('::1', ['198.51.100.9', '10.9.9.9'], trusted)).toBe('198.51.100.9');
  });

  test('an untrusted peer or a malformed hop stops the walk', () => {
    expect(resolveClientIp('192.0.2.1', '203.0.113.5', trusted)).toBe('192.0.2.1');
    expect(resolveClientIp('10.1.1.1', 'garbage, 10.3.3.3', trusted)).toBe('10.3.3.3');
  });

  test('route limits parse', () => {
    expect(parseLimit('500/minute')).toEqual({ max: 500, windowMs: 60_000 });
    expect(parseLimit('10/second')).toEqual({ max: 10, windowMs: 1000 });
    expect(parseLimit('2/day')).toEqual({ max: 2, windowMs: 86_400_000 });
  });

  test('invalid CIDRs are configuration errors', () => {
    const file = writeConfig({ rate_limit: { trusted_proxies: ['10.0.0.0/33', 'not-an-ip'] }, providers: [mockProvider('up', 'http://127.0.0.1:1')] });
    expect(() => loadConfig({ file, env: {} })).toThrow(/trusted_proxies/);
  });
});
