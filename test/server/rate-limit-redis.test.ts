// Rate limits shared through real Redis: one limit across replicas, and degraded (not broken) service
// when Redis goes away.
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { storeStatus } from '../../src/state/redis.js';
import { MockUpstream } from '../support/mock-openai.js';
import { mockProvider, startProxy, type TestProxy } from '../support/proxy.js';
import { deletePrefix, keysUnder, REDIS_URL, uniquePrefix } from '../support/redis.js';
import { TcpForwarder } from '../support/tcp-forwarder.js';

let mock: MockUpstream;
const prefix = uniquePrefix();
const open: TestProxy[] = [];
const forwarders: TcpForwarder[] = [];

const chat = { model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] };

beforeAll(async () => {
  mock = await MockUpstream.start('up');
});
afterEach(async () => {
  await Promise.all(open.splice(0).map((p) => p.close()));
  await Promise.all(forwarders.splice(0).map((f) => f.close()));
  mock.reset();
});
afterAll(async () => {
  await mock.close();
  await deletePrefix(prefix);
});

async function replica(rateLimit: Record<string, unknown>, redisUrl = REDIS_URL, keyPrefix = prefix, extra: Record<string, unknown> = {}): Promise<TestProxy> {
  const proxy = await startProxy({
    rate_limit: { enabled: true, burst_limit: 10_000, ...rateLimit },
    redis: { url: redisUrl, key_prefix: keyPrefix, command_timeout_ms: 300 },
    providers: [mockProvider('up', mock.url)],
    ...extra,
  });
  open.push(proxy);
  return proxy;
}

async function send(proxy: TestProxy, n: number): Promise<number[]> {
  const responses = await Promise.all(
    Array.from({ length: n }, () => fetch(`${proxy.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(chat) })),
  );
  await Promise.all(responses.map((r) => r.arrayBuffer()));
  return responses.map((r) => r.status);
}

const admitted = (codes: number[]) => codes.filter((c) => c === 200).length;

describe('shared through Redis', () => {
  test('two replicas on one Redis enforce one limit: N+M requests admit exactly the limit', async () => {
    const keyPrefix = `${prefix}shared:`;
    const a = await replica({ requests_per_window: 30 }, REDIS_URL, keyPrefix);
    const b = await replica({ requests_per_window: 30 }, REDIS_URL, keyPrefix);
    const [fromA, fromB] = await Promise.all([send(a, 40), send(b, 35)]);
    expect(admitted(fromA) + admitted(fromB)).toBe(30);
    expect(admitted(fromA)).toBeGreaterThan(0);
    expect(admitted(fromB)).toBeGreaterThan(0);
    expect([...fromA, ...fromB].filter((c) => c === 429)).toHaveLength(45);
    // Counters live under the configured prefix.
    // (beside the processes' own registrations, src/fleet/)
    expect((await keysUnder(keyPrefix)).every((k) => k.startsWith(`${keyPrefix}rl:`) || k.startsWith(`${keyPrefix}fleet:`))).toBe(true);
    expect(await keysUnder(`${keyPrefix}rl:global:ip:`)).toHaveLength(1);
  });

  test('Redis lost mid-run: open mode keeps serving, /health reports it, and limits return with Redis', async () => {
    const forwarder = await TcpForwarder.start('127.0.0.1', 6379);
    forwarders.push(forwarder);
    const proxy = await replica({ requests_per_window: 3 }, forwarder.url, `${prefix}lost:`);
    expect(await send(proxy, 5)).toEqual(expect.arrayContaining([200, 200, 200, 429, 429]));

    await forwarder.close();
    const during = await send(proxy, 10);
    expect(during).toEqual(Array(10).fill(200));
    const health = (await (await fetch(`${proxy.url}/health`)).json()) as { traffic: { store: { backend: string; status: string; last_error: string | null } } };
    expect(health.traffic.store.backend).toBe('redis');
    expect(health.traffic.store.status).not.toBe('ok');
    expect(health.traffic.store.last_error).toMatch(/rate_limit|redis/);

    await forwarder.open();
    await waitFor(async () => storeStatus(proxy.gateway.redis).status === 'ok');
    // The window counted before the loss still holds.
    expect(await send(proxy, 2)).toEqual([429, 429]);
  });

  test('closed mode answers 503 while Redis is unreachable', async () => {
    const forwarder = await TcpForwarder.start('127.0.0.1', 6379);
    forwarders.push(forwarder);
    const proxy = await replica({ on_store_error: 'closed' }, forwarder.url, `${prefix}closed:`);
    expect(await send(proxy, 1)).toEqual([200]);
    await forwarder.close();
    const res = await fetch(`${proxy.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(chat) });
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('1');
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/Rate limiting is unavailable/);
  });

  test('a Redis that is down from the start does not stop the proxy from starting or serving', async () => {
    const forwarder = await TcpForwarder.start('127.0.0.1', 6379);
    await forwarder.close();
    const proxy = await replica({}, forwarder.url, `${prefix}never:`);
    expect(await send(proxy, 3)).toEqual([200, 200, 200]);
  });
});

async function waitFor(check: () => Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('condition not met in time');
}
