// Provider hourly quotas: an exhausted provider is skipped (the next candidate serves) without being
// called; with Redis the quota is one across replicas.
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { MockUpstream } from '../support/mock-openai.js';
import { mockProvider, startProxy, type TestProxy } from '../support/proxy.js';
import { deletePrefix, REDIS_URL, uniquePrefix } from '../support/redis.js';

let limited: MockUpstream;
let spare: MockUpstream;
const prefix = uniquePrefix();
const open: TestProxy[] = [];

const chat = { model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] };

beforeAll(async () => {
  limited = await MockUpstream.start('limited');
  spare = await MockUpstream.start('spare');
});
afterEach(async () => {
  await Promise.all(open.splice(0).map((p) => p.close()));
  limited.reset();
  spare.reset();
});
afterAll(async () => {
  await Promise.all([limited.close(), spare.close()]);
  await deletePrefix(prefix);
});

async function proxyWith(quota: number, extra: Record<string, unknown> = {}): Promise<TestProxy> {
  const proxy = await startProxy({
    providers: [mockProvider('limited', limited.url, { rate_limit: quota, priority: 1 }), mockProvider('spare', spare.url, { priority: 2 })],
    ...extra,
  });
  open.push(proxy);
  return proxy;
}

async function providersOf(proxy: TestProxy, n: number, sequential = true): Promise<string[]> {
  const one = async () => {
    const res = await fetch(`${proxy.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(chat) });
    await res.arrayBuffer();
    expect(res.status).toBe(200);
    return res.headers.get('x-proxy-provider') ?? '';
  };
  if (!sequential) return Promise.all(Array.from({ length: n }, one));
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(await one());
  return out;
}

describe('provider quotas', () => {
  test('an exhausted provider is skipped for the next candidate, not called', async () => {
    const proxy = await proxyWith(2);
    expect(await providersOf(proxy, 4)).toEqual(['limited', 'limited', 'spare', 'spare']);
    expect(limited.calls('/v1/chat/completions')).toHaveLength(2);
    expect(proxy.gateway.quota.usage('limited')).toMatchObject({ used: 2, limit: 2 });
    expect(proxy.gateway.quota.skip('limited')).toMatch(/hourly quota of 2 requests used/);
    expect(proxy.gateway.quota.skip('spare')).toBeNull();
  });

  test('exact under concurrency in one process', async () => {
    const proxy = await proxyWith(5);
    const served = await providersOf(proxy, 30, false);
    expect(served.filter((p) => p === 'limited')).toHaveLength(5);
    expect(limited.calls('/v1/chat/completions')).toHaveLength(5);
  });

  test('retries count against the quota', async () => {
    const proxy = await proxyWith(2);
    limited.enqueue({ status: 500, body: { error: { message: 'boom' } } });
    // First attempt fails (500), the retry succeeds: two upstream requests, quota used up.
    expect(await providersOf(proxy, 2)).toEqual(['limited', 'spare']);
    expect(limited.calls('/v1/chat/completions')).toHaveLength(2);
  });

  test('with Redis, replicas share one quota', async () => {
    const redis = { redis: { url: REDIS_URL, key_prefix: `${prefix}quota:` } };
    const a = await proxyWith(6, redis);
    const b = await proxyWith(6, redis);
    const [fromA, fromB] = await Promise.all([providersOf(a, 10, false), providersOf(b, 10, false)]);
    expect([...fromA, ...fromB].filter((p) => p === 'limited')).toHaveLength(6);
    expect(limited.calls('/v1/chat/completions')).toHaveLength(6);
    // Once a replica has seen the quota run out, it skips the provider without asking Redis.
    expect(a.gateway.quota.skip('limited') ?? b.gateway.quota.skip('limited')).toMatch(/quota/);
  });
});
