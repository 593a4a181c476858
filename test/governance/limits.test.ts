/* eslint-disable @typescript-eslint/no-explicit-any -- JSON answers are read back loosely */
// Requests per minute for virtual keys and teams: 429 rate_limited with Retry-After past the limit,
// headers saying what is left, the tighter of key and team deciding; and with Redis, a key used on two
// instances is limited in total, not per instance.
import OpenAI, { RateLimitError } from 'openai';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { testDatabase, type TestDatabase } from '../support/database.js';
import { MockUpstream } from '../support/mock-openai.js';
import { mockProvider, startProxy, type TestProxy } from '../support/proxy.js';
import { deletePrefix, REDIS_URL, uniquePrefix } from '../support/redis.js';

const ADMIN = 'sk-admin-limits';
let upstream: MockUpstream;
beforeAll(async () => {
  upstream = await MockUpstream.start('limits');
});
afterAll(async () => {
  await upstream.close();
});

const admin = (proxy: TestProxy, method: string, url: string, body?: unknown) =>
  fetch(`${proxy.url}${url}`, { method, headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) }).then(async (r) => (await r.json()) as any);
const chat = (proxy: TestProxy, key: string) =>
  fetch(`${proxy.url}/v1/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] }) });

describe('in one process (memory counters)', () => {
  let database: TestDatabase;
  let proxy: TestProxy;
  beforeAll(async () => {
    database = await testDatabase('sqlite');
    proxy = await startProxy({ hot_reload: { enabled: false }, auth: { admin_keys: [ADMIN] }, database: database.config, providers: [mockProvider('p', upstream.url)] });
  });
  afterAll(async () => {
    await proxy.close();
    await database.drop();
  });

  test('a key at its rpm gets 429 rate_limited with Retry-After; the SDK raises RateLimitError', async () => {
    const key = await admin(proxy, 'POST', '/v1/keys', { rpm: 3 });
    expect(key.rpm).toBe(3);
    const remaining: string[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await chat(proxy, key.key);
      expect(res.status).toBe(200);
      expect(res.headers.get('x-ratelimit-limit-requests')).toBe('3');
      remaining.push(res.headers.get('x-ratelimit-remaining-requests')!);
    }
    expect(remaining).toEqual(['2', '1', '0']);
    const refused = await chat(proxy, key.key);
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(((await refused.json()) as any).error).toMatchObject({ code: 'rate_limited', type: 'rate_limit_error' });
    const sdk = new OpenAI({ baseURL: `${proxy.url}/v1`, apiKey: key.key, maxRetries: 0 });
    expect(await sdk.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }] }).catch((e: unknown) => e)).toBeInstanceOf(RateLimitError);
    // Another key is not affected.
    expect((await chat(proxy, (await admin(proxy, 'POST', '/v1/keys', { rpm: 3 })).key)).status).toBe(200);
  });

  test("a key in a team is held to the team's rpm across all its keys", async () => {
    const team = await admin(proxy, 'POST', '/v1/teams', { name: 'tight', rpm: 2 });
    const a = await admin(proxy, 'POST', '/v1/keys', { team_id: team.id, rpm: 10 });
    const b = await admin(proxy, 'POST', '/v1/keys', { team_id: team.id });
    expect((await chat(proxy, a.key)).headers.get('x-ratelimit-limit-requests')).toBe('2');
    expect((await chat(proxy, b.key)).status).toBe(200);
    expect((await chat(proxy, a.key)).status).toBe(429);
    expect((await chat(proxy, b.key)).status).toBe(429);
  });

  test('bad limit values are refused', async () => {
    for (const field of ['rpm', 'tpm', 'max_parallel']) {
      for (const value of [0, -1, 1.5, 'many']) expect((await admin(proxy, 'POST', '/v1/keys', { [field]: value })).error.param).toBe(field);
    }
  });

  test('tokens per minute: the tokens of finished requests count; past the limit a 429 says so', async () => {
    const key = await admin(proxy, 'POST', '/v1/keys', { tpm: 30 });
    const seen: string[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await chat(proxy, key.key);
      expect(res.status).toBe(200);
      seen.push(res.headers.get('x-ratelimit-remaining-tokens')!);
    }
    // The mock answers with 12 tokens of usage; the check before each request sees what finished before it.
    expect(seen).toEqual(['30', '18', '6']);
    // The third saw 6 tokens left and went through (a request may overshoot); 36 are used now.
    expect((await chat(proxy, key.key)).status).toBe(429);
    const refused = await chat(proxy, key.key);
    const body = (await refused.json()) as any;
    expect(body.error.code).toBe('rate_limited');
    expect(body.error.message).toMatch(/^Token limit of this key reached \(30 tokens per minute\)/);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  test('requests in flight: past max_parallel a 429 at once; the slot is free again when a request ends', async () => {
    const key = await admin(proxy, 'POST', '/v1/keys', { max_parallel: 1 });
    upstream.enqueue({ delayMs: 400 });
    const [first, second] = await Promise.all([chat(proxy, key.key), new Promise((resolve) => setTimeout(resolve, 100)).then(() => chat(proxy, key.key))]);
    expect(first.status).toBe(200);
    expect(second.status).toBe(429);
    expect(((await second.json()) as any).error.message).toMatch(/^Too many requests in flight for this key \(at most 1\)/);
    expect((await chat(proxy, key.key)).status).toBe(200);
    // An upstream failure frees the slot too.
    upstream.enqueue({ status: 400, body: { error: { message: 'bad', type: 'invalid_request_error' } } });
    expect((await chat(proxy, key.key)).status).toBe(400);
    expect((await chat(proxy, key.key)).status).toBe(200);
  });
});

describe('two instances sharing Redis and PostgreSQL', () => {
  test('a key at its rpm limit on both instances is limited in total', async () => {
    const database = await testDatabase('postgres');
    const prefix = uniquePrefix();
    const doc = { hot_reload: { enabled: false }, auth: { admin_keys: [ADMIN] }, database: database.config, redis: { url: REDIS_URL, key_prefix: prefix }, providers: [mockProvider('p', upstream.url)] };
    const a = await startProxy(doc);
    const b = await startProxy(doc);
    try {
      const key = await admin(a, 'POST', '/v1/keys', { rpm: 4 });
      await expect.poll(() => chat(b, key.key).then((r) => r.status), { timeout: 3000, interval: 100 }).toBe(200);
      const statuses: number[] = [];
      for (let i = 0; i < 6; i++) statuses.push((await chat(i % 2 ? b : a, key.key)).status);
      // One request already went to b while polling; the limit of 4 holds for both together.
      expect(statuses).toEqual([200, 200, 200, 429, 429, 429]);
    } finally {
      await a.close();
      await b.close();
      await database.drop();
      await deletePrefix(prefix);
    }
  });
});
