// The response cache in real Redis: replicas share hits, values are compressed with a TTL under the
// key prefix, clear() removes them, and losing Redis turns lookups into misses, not failures.
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { decodeEntry } from '../../src/cache/entry.js';
import { chatCompletion, MockUpstream } from '../support/mock-openai.js';
import { mockProvider, startProxy, type TestProxy } from '../support/proxy.js';
import { deletePrefix, keysUnder, REDIS_URL, uniquePrefix } from '../support/redis.js';
import { TcpForwarder } from '../support/tcp-forwarder.js';
import { Redis } from 'ioredis';

let mock: MockUpstream;
const prefix = uniquePrefix();
const open: TestProxy[] = [];
const forwarders: TcpForwarder[] = [];

const chat = (content = 'hi') => ({ model: 'gpt-4o', messages: [{ role: 'user', content }], temperature: 0 });

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

async function replica(keyPrefix: string, redisUrl = REDIS_URL, caching: Record<string, unknown> = {}): Promise<TestProxy> {
  const proxy = await startProxy({
    caching: { enabled: true, ...caching },
    redis: { url: redisUrl, key_prefix: keyPrefix, command_timeout_ms: 300 },
    providers: [mockProvider('up', mock.url)],
  });
  open.push(proxy);
  return proxy;
}

async function ask(proxy: TestProxy, body: unknown): Promise<{ status: number; cache: string | null; body: Record<string, unknown> }> {
  const res = await fetch(`${proxy.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, cache: res.headers.get('x-proxy-cache'), body: (await res.json()) as Record<string, unknown> };
}

describe('Redis backend', () => {
  test('replicas share entries: a miss on one is a hit on the other', async () => {
    const keyPrefix = `${prefix}share:`;
    const a = await replica(keyPrefix);
    const b = await replica(keyPrefix);
    expect((await ask(a, chat())).cache).toBe('MISS');
    const fromB = await ask(b, chat());
    expect(fromB.cache).toBe('HIT');
    expect({ ...fromB.body, _proxy_info: undefined }).toEqual({ ...chatCompletion('Hello from up'), _proxy_info: undefined });
    expect(mock.calls('/v1/chat/completions')).toHaveLength(1);
    expect(await b.gateway.cache.stats()).toMatchObject({ backend: 'redis', hits: 1, misses: 0, entries: 1 });
  });

  test('values are compressed, carry the TTL, live under the prefix, and clear() removes them', async () => {
    const keyPrefix = `${prefix}ttl:`;
    const proxy = await replica(keyPrefix, REDIS_URL, { response_cache: { ttl: 120 } });
    await ask(proxy, chat('one'));
    await ask(proxy, chat('two'));
    // Beside the entries, only the process's own registration (src/fleet/) lives under the prefix.
    const keys = (await keysUnder(keyPrefix)).filter((k) => !k.startsWith(`${keyPrefix}fleet:`));
    expect(keys).toHaveLength(2);
    expect(keys.every((k) => k.startsWith(`${keyPrefix}cache:`))).toBe(true);
    const client = new Redis(REDIS_URL);
    try {
      const ttl = await client.pttl(keys[0]);
      expect(ttl).toBeGreaterThan(100_000);
      expect(ttl).toBeLessThanOrEqual(120_000);
      const raw = (await client.getBuffer(keys[0]))!;
      expect(raw[0]).toBe(1);
      expect(decodeEntry(raw)?.provider).toBe('up');
    } finally {
      client.disconnect();
    }
    expect(await proxy.gateway.cache.clear()).toEqual({ cleared: 2 });
    expect(await keysUnder(`${keyPrefix}cache:`)).toHaveLength(0);
  });

  test('entries expire with their TTL', async () => {
    const proxy = await replica(`${prefix}expire:`, REDIS_URL, { response_cache: { ttl: 0.15 } });
    expect((await ask(proxy, chat())).cache).toBe('MISS');
    expect((await ask(proxy, chat())).cache).toBe('HIT');
    await new Promise((resolve) => setTimeout(resolve, 250));
    expect((await ask(proxy, chat())).cache).toBe('MISS');
  });

  test('Redis lost mid-run: requests keep succeeding as misses; hits return with Redis', async () => {
    const forwarder = await TcpForwarder.start('127.0.0.1', 6379);
    forwarders.push(forwarder);
    const proxy = await replica(`${prefix}lost:`, forwarder.url);
    expect((await ask(proxy, chat())).cache).toBe('MISS');
    expect((await ask(proxy, chat())).cache).toBe('HIT');
    await forwarder.close();
    for (let i = 0; i < 3; i++) {
      const answer = await ask(proxy, chat());
      expect(answer.status).toBe(200);
      expect(answer.cache).toBe('MISS');
    }
    expect(mock.calls('/v1/chat/completions')).toHaveLength(4);
    const stats = await proxy.gateway.cache.stats();
    expect(stats.entries).toBeNull();
    await forwarder.open();
    const until = Date.now() + 5000;
    while (Date.now() < until && !(await proxy.gateway.cache.stats()).entries) await new Promise((resolve) => setTimeout(resolve, 50));
    expect((await ask(proxy, chat())).cache).toBe('HIT');
  });
});
