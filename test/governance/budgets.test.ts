/* eslint-disable @typescript-eslint/no-explicit-any -- JSON answers are read back loosely */
// Budgets of virtual keys and teams: the worst case reserved before dispatch, settled to the real cost
// after (failures and aborts included), 429 budget_exceeded saying when it resets; exact across two
// replicas sharing Redis and PostgreSQL under 200 concurrent requests, with the counters agreeing with
// the ledger and rebuilt from it after a Redis flush; Redis unreachable fails closed (or open).
import OpenAI, { RateLimitError } from 'openai';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { testDatabase, type TestDatabase } from '../support/database.js';
import { chatStream, MockUpstream } from '../support/mock-openai.js';
import { mockProvider, startProxy, type TestProxy } from '../support/proxy.js';
import { deletePrefix, keysUnder, REDIS_URL, uniquePrefix } from '../support/redis.js';

const ADMIN = 'sk-admin-budgets';
// 9 prompt and 3 completion tokens per mock answer: $0.015 at these prices. The worst case of a request
// with max_tokens 5 is its size / 4 prompt tokens plus 5 completion tokens.
const PRICING = { 'gpt-4o': { input_per_1k: 1, output_per_1k: 2 } };
let upstream: MockUpstream;
beforeAll(async () => {
  upstream = await MockUpstream.start('budgets');
});
afterAll(async () => {
  await upstream.close();
});

const doc = (database: TestDatabase['config'], extra: Record<string, unknown> = {}) => ({
  hot_reload: { enabled: false },
  auth: { admin_keys: [ADMIN] },
  database,
  pricing: PRICING,
  request_logs: { flush_interval_ms: 20 },
  providers: [mockProvider('p', upstream.url, { max_retries: 0 })],
  ...extra,
});
const admin = (proxy: TestProxy, url: string, body?: unknown) =>
  fetch(`${proxy.url}${url}`, { method: body === undefined ? 'GET' : 'POST', headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) }).then(async (r) => (await r.json()) as any);
const chat = (proxy: TestProxy, key: string, extra: Record<string, unknown> = {}) =>
  fetch(`${proxy.url}/v1/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify({ model: 'gpt-4o', max_tokens: 5, messages: [{ role: 'user', content: 'hi' }], ...extra }) });

describe('one process (memory counters)', () => {
  let database: TestDatabase;
  let proxy: TestProxy;
  beforeAll(async () => {
    database = await testDatabase('sqlite');
    proxy = await startProxy(doc(database.config));
  });
  afterAll(async () => {
    await proxy.close();
    await database.drop();
  });

  test('requests are served while the budget holds their worst case; x-budget-remaining-usd is what is left after each', async () => {
    const key = await admin(proxy, '/v1/keys', { alias: 'capped', budget: { max_usd: 0.05, period: 'monthly', soft_limit_pct: 50 } });
    expect(key.budget).toEqual({ max_usd: 0.05, period: 'monthly', soft_limit_pct: 50 });
    const remaining: number[] = [];
    let res = await chat(proxy, key.key);
    while (res.status === 200) {
      remaining.push(Number(res.headers.get('x-budget-remaining-usd')));
      expect(res.headers.get('x-budget-resets-at')).toMatch(/^\d{4}-\d{2}-01T00:00:00.000Z$/);
      res = await chat(proxy, key.key);
    }
    // Each request reserves its worst case ($0.03: 20 prompt tokens estimated, 5 completion) and spends
    // $0.015; the third would not fit: $0.03 spent + $0.03 > $0.05. The header is what is left once a
    // request is charged its real cost (regression: it said what was left with its worst case still held).
    expect(remaining).toEqual([0.035, 0.02]);
    expect(res.status).toBe(429);
    const body = (await res.json()) as any;
    expect(body.error).toMatchObject({ code: 'budget_exceeded', type: 'insufficient_quota', reason: 'request_too_large', budget_usd: 0.05, spent_usd: 0.03, remaining_usd: 0.02, request_max_cost_usd: 0.03, resets_at: expect.any(String) });
    expect(body.error.message).toMatch(/^This request could cost up to \$0\.03 \(about 20 prompt tokens and 5 completion tokens\), more than the \$0\.02 left of the budget of key 'capped' \(\$0\.03 spent of \$0\.05 \(monthly\)\); shorten the prompt, or wait until the budget resets/);
    expect(Number(res.headers.get('x-budget-remaining-usd'))).toBeCloseTo(0.02, 8);
    const sdk = new OpenAI({ baseURL: `${proxy.url}/v1`, apiKey: key.key, maxRetries: 0 });
    expect(await sdk.chat.completions.create({ model: 'gpt-4o', max_tokens: 5, messages: [{ role: 'user', content: 'x' }] }).catch((e: unknown) => e)).toBeInstanceOf(RateLimitError);
  });

  test('a request too large for what is left says what max_tokens would fit, with no Retry-After (regression: ten hours of Retry-After and $0.0000)', async () => {
    const key = await admin(proxy, '/v1/keys', { alias: 'roomy', budget: { max_usd: 0.1, period: 'daily' } });
    expect((await chat(proxy, key.key)).status).toBe(200); // $0.015 spent, $0.085 left
    const big = await chat(proxy, key.key, { max_tokens: 4096 });
    expect(big.status).toBe(429);
    expect(big.headers.get('retry-after')).toBeNull();
    const error = ((await big.json()) as any).error;
    expect(error).toMatchObject({ reason: 'request_too_large', max_tokens_that_fit: 32, remaining_usd: 0.085 });
    expect(error.message).toMatch(/^This request could cost up to \$8\.21 \(about 20 prompt tokens and 4096 completion tokens\), more than the \$0\.085 left of the budget of key 'roomy' \(\$0\.015 spent of \$0\.10 \(daily\)\); lower max_tokens to 32 or less$/);
    expect((await chat(proxy, key.key, { max_tokens: 32 })).status).toBe(200);
    // The refusal is recorded with the model it asked for (regression: model null).
    await expect
      .poll(async () => (await admin(proxy, `/v1/logs?key_id=${key.id}&status=429`)).data.map((r: any) => r.model), { timeout: 5000 })
      .toEqual(['gpt-4o']);
  });

  test('an exhausted budget says so, with small amounts shown exactly and Retry-After until it resets', async () => {
    const key = await admin(proxy, '/v1/keys', { alias: 'tiny', budget: { max_usd: 0.0305, period: 'daily' } });
    // The answer costs more than its worst case estimate ($0.021): 31 prompt tokens, $0.031.
    upstream.enqueue({ body: { id: 'x', object: 'chat.completion', created: 1, model: 'gpt-4o', choices: [{ index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' }], usage: { prompt_tokens: 31, completion_tokens: 0, total_tokens: 31 } } });
    const first = await chat(proxy, key.key, { max_tokens: 1, messages: [{ role: 'user', content: '' }] });
    expect(first.status, await first.clone().text()).toBe(200);
    const refused = await chat(proxy, key.key, { max_tokens: 1 });
    expect(refused.status).toBe(429);
    const error = ((await refused.json()) as any).error;
    expect(error.reason).toBe('budget_exhausted');
    expect(error.message).toMatch(/^Budget of key 'tiny' exhausted: \$0\.031 spent of \$0\.0305 \(daily\); it resets at \d{4}-/);
    const wait = Number(refused.headers.get('retry-after'));
    expect(wait).toBeGreaterThan(0);
    expect(wait).toBeLessThanOrEqual(86_400);
    expect(refused.headers.get('x-budget-remaining-usd')).toBe('0.00000000');
  });

  test("a team's budget holds over all its keys", async () => {
    const team = await admin(proxy, '/v1/teams', { name: 'frugal', budget: { max_usd: 0.05, period: 'daily' } });
    const a = await admin(proxy, '/v1/keys', { team_id: team.id });
    const b = await admin(proxy, '/v1/keys', { team_id: team.id });
    expect((await chat(proxy, a.key)).status).toBe(200);
    expect((await chat(proxy, b.key)).status).toBe(200);
    const refused = await chat(proxy, a.key);
    expect(refused.status).toBe(429);
    expect(((await refused.json()) as any).error.message).toContain("more than the $0.02 left of the budget of team 'frugal'");
  });

  test('upstream failures and client aborts settle their reservation: nothing leaks', async () => {
    const key = await admin(proxy, '/v1/keys', { budget: { max_usd: 1, period: 'total' } });
    const counter = () => proxy.app.budgets.store.read({ key: `key:${key.id}:1970-01-01T00:00:00.000Z`, max: 1, ttlMs: 1 });
    upstream.enqueue({ status: 500, body: { error: { message: 'boom', type: 'server_error' } } });
    expect((await chat(proxy, key.key)).status).toBe(503);
    await expect.poll(counter).toEqual({ spent: 0, reserved: 0 });
    upstream.enqueue({ stream: chatStream(['a', 'b', 'c', 'd'], 'gpt-4o'), gapMs: 300 });
    const controller = new AbortController();
    const streaming = await fetch(`${proxy.url}/v1/chat/completions`, { method: 'POST', signal: controller.signal, headers: { authorization: `Bearer ${key.key}`, 'content-type': 'application/json' }, body: JSON.stringify({ model: 'gpt-4o', stream: true, max_tokens: 5, messages: [{ role: 'user', content: 'long' }] }) });
    await streaming.body!.getReader().read();
    expect((await counter())!.reserved).toBeGreaterThan(0);
    controller.abort();
    await expect.poll(async () => (await counter())!.reserved).toBe(0);
  });

  test("keys and teams read back their budget's current period (budget_usage), null without a budget", async () => {
    const team = await admin(proxy, '/v1/teams', { name: 'measured', budget: { max_usd: 1, period: 'weekly' } });
    const key = await admin(proxy, '/v1/keys', { alias: 'measured-key', team_id: team.id, budget: { max_usd: 0.1, period: 'monthly' } });
    const plain = await admin(proxy, '/v1/keys', { alias: 'no-budget' });
    for (let i = 0; i < 2; i++) expect((await chat(proxy, key.key)).status).toBe(200);
    const now = new Date();
    const usage = (await admin(proxy, `/v1/keys/${key.id}`)).budget_usage;
    expect(usage).toEqual({
      period: 'monthly',
      period_start: new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1)).toISOString(),
      resets_at: new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1)).toISOString(),
      max_usd: 0.1,
      spent_usd: 0.03,
      reserved_usd: 0,
      remaining_usd: 0.07,
    });
    const listed = (await admin(proxy, '/v1/keys?limit=500')).data;
    expect(listed.find((k: any) => k.id === key.id).budget_usage).toEqual(usage);
    expect(listed.find((k: any) => k.id === plain.id).budget_usage).toBeNull();
    const teamUsage = (await admin(proxy, `/v1/teams/${team.id}`)).budget_usage;
    expect(teamUsage).toMatchObject({ period: 'weekly', max_usd: 1, spent_usd: 0.03, remaining_usd: 0.97 });
    expect((await admin(proxy, '/v1/teams?limit=500')).data.find((t: any) => t.id === team.id).budget_usage).toEqual(teamUsage);
  });

  test('bad budgets are refused', async () => {
    for (const budget of [{ max_usd: -1, period: 'daily' }, { max_usd: 5, period: 'fortnightly' }, { max_usd: 5 }, { max_usd: 5, period: 'daily', soft_limit_pct: 150 }, { max_usd: 5, period: 'daily', extra: 1 }]) {
      expect((await admin(proxy, '/v1/keys', { budget })).error.code, JSON.stringify(budget)).toBe('invalid_request');
    }
  });
});

describe('two replicas sharing Redis and PostgreSQL', () => {
  test('200 concurrent requests against a budget for 50: never more than the budget is spent; counters agree with the ledger and are rebuilt from it', async () => {
    const database = await testDatabase('postgres');
    const prefix = uniquePrefix();
    const config = doc(database.config, { redis: { url: REDIS_URL, key_prefix: prefix } });
    const a = await startProxy(config);
    const b = await startProxy(config);
    try {
      const budget = 0.75; // 50 requests at $0.015 each
      const key = await admin(a, '/v1/keys', { budget: { max_usd: budget, period: 'total' } });
      await expect.poll(() => chat(b, key.key, { max_tokens: 1 }).then((r) => r.status), { timeout: 3000, interval: 100 }).toBe(200);
      const statuses = await Promise.all(Array.from({ length: 200 }, (_, i) => chat(i % 2 ? a : b, key.key).then((r) => r.status)));
      const served = statuses.filter((s) => s === 200).length;
      expect(served).toBeGreaterThan(0);
      expect(served).toBeLessThanOrEqual(50);
      expect(statuses.every((s) => s === 200 || s === 429)).toBe(true);

      const ledgerSpend = async () => (await admin(a, `/v1/keys/${key.id}/usage`)).total.cost_usd as number;
      await expect.poll(async () => (await admin(a, `/v1/keys/${key.id}/usage`)).total.requests, { timeout: 5000 }).toBe(served + 1 + statuses.filter((s) => s === 429).length);
      const spent = await ledgerSpend();
      expect(spent).toBeLessThanOrEqual(budget + 1e-9);
      const counterKey = `${prefix}budget:key:${key.id}:1970-01-01T00:00:00.000Z`;
      const counter = await a.app.budgets.store.read({ key: `key:${key.id}:1970-01-01T00:00:00.000Z`, max: budget, ttlMs: 1 });
      expect(counter!.reserved).toBeCloseTo(0, 9);
      expect(counter!.spent).toBeCloseTo(spent, 8);

      // A Redis flush loses the counter: it is rebuilt from the ledger on the next request, and still holds.
      expect(await keysUnder(prefix)).toContain(counterKey);
      await deletePrefix(`${prefix}budget:`);
      const after = await chat(b, key.key, { max_tokens: 1000 });
      expect(after.status).toBe(429);
      expect((await b.app.budgets.store.read({ key: `key:${key.id}:1970-01-01T00:00:00.000Z`, max: budget, ttlMs: 1 }))!.spent).toBeCloseTo(spent, 8);
    } finally {
      await a.close();
      await b.close();
      await database.drop();
      await deletePrefix(prefix);
    }
  }, 60_000);
});

describe('Redis unreachable', () => {
  test('budgets fail closed by default (503), open when configured; /health says which', async () => {
    const database = await testDatabase('sqlite');
    const dead = { url: 'redis://127.0.0.1:1', key_prefix: uniquePrefix() };
    const closed = await startProxy(doc(database.config, { redis: dead }));
    try {
      const key = await admin(closed, '/v1/keys', { budget: { max_usd: 5, period: 'daily' } });
      const refused = await chat(closed, key.key);
      expect(refused.status).toBe(503);
      expect(((await refused.json()) as any).error.message).toMatch(/^Budget checks are unavailable/);
      const health = await admin(closed, '/health');
      expect(health.traffic.budgets).toEqual({ store: 'redis', checking: true, on_store_error: 'closed' });
      // A key without a budget is not affected.
      expect((await chat(closed, (await admin(closed, '/v1/keys', {})).key)).status).toBe(200);
      // The admin API still lists keys; what their budget used is unknown (null) while its store is down.
      const read = await admin(closed, `/v1/keys/${key.id}`);
      expect(read).toMatchObject({ id: key.id, budget: { max_usd: 5, period: 'daily' }, budget_usage: null });
      expect((await admin(closed, '/v1/keys')).data.every((k: any) => k.budget_usage === null)).toBe(true);
    } finally {
      await closed.close();
    }
    const open = await startProxy(doc(database.config, { redis: dead, budgets: { on_store_error: 'open' } }));
    try {
      const key = await admin(open, '/v1/keys', { budget: { max_usd: 5, period: 'daily' } });
      expect((await chat(open, key.key)).status).toBe(200);
      expect((await admin(open, '/health')).traffic.budgets).toEqual({ store: 'redis', checking: false, on_store_error: 'open' });
    } finally {
      await open.close();
      await database.drop();
    }
  });
});

describe('metrics', () => {
  test('spend and budget remaining per key alias and team, and rejections', async () => {
    const database = await testDatabase('sqlite');
    const proxy = await startProxy(doc(database.config));
    try {
      const team = await admin(proxy, '/v1/teams', { name: 'metered', budget: { max_usd: 1, period: 'daily' } });
      const key = await admin(proxy, '/v1/keys', { alias: 'metered-key', team_id: team.id, budget: { max_usd: 0.04, period: 'daily' } });
      expect((await chat(proxy, key.key)).status).toBe(200);
      expect((await chat(proxy, key.key)).status).toBe(429);
      const text = await (await fetch(`${proxy.url}/metrics/prometheus`, { headers: { authorization: `Bearer ${ADMIN}` } })).text();
      expect(text).toMatch(/llm_proxy_budget_spend_usd\{scope="key",name="metered-key"\} 0\.015/);
      expect(text).toMatch(/llm_proxy_budget_remaining_usd\{scope="key",name="metered-key"\} 0\.025/);
      expect(text).toMatch(/llm_proxy_budget_spend_usd\{scope="team",name="metered"\} 0\.015/);
      expect(text).toContain('llm_proxy_budget_rejections_total{scope="key"} 1');
    } finally {
      await proxy.close();
      await database.drop();
    }
  });
});

describe('a client that leaves before a JSON answer', () => {
  test('its reservation is settled and its ledger row written (regression: onResponse never fired for it)', async () => {
    const database = await testDatabase('sqlite');
    const proxy = await startProxy(doc(database.config));
    try {
      const key = await admin(proxy, '/v1/keys', { budget: { max_usd: 1, period: 'total' }, max_parallel: 1 });
      const counter = () => proxy.app.budgets.store.read({ key: `key:${key.id}:1970-01-01T00:00:00.000Z`, max: 1, ttlMs: 1 });
      upstream.enqueue({ delayMs: 400 });
      const controller = new AbortController();
      const pending = fetch(`${proxy.url}/v1/chat/completions`, { method: 'POST', signal: controller.signal, headers: { authorization: `Bearer ${key.key}`, 'content-type': 'application/json', 'x-request-id': 'left-early' }, body: JSON.stringify({ model: 'gpt-4o', max_tokens: 5, messages: [{ role: 'user', content: 'slow' }] }) }).catch(() => null);
      await expect.poll(async () => (await counter())?.reserved ?? 0).toBeGreaterThan(0);
      controller.abort();
      await pending;
      await expect.poll(async () => (await counter())!.reserved, { timeout: 5000 }).toBe(0);
      // Its parallel slot is free again, and the ledger has its row.
      expect((await chat(proxy, key.key)).status).toBe(200);
      await expect.poll(async () => (await fetch(`${proxy.url}/v1/logs/left-early`, { headers: { authorization: `Bearer ${ADMIN}` } })).status, { timeout: 5000 }).toBe(200);
    } finally {
      await proxy.close();
      await database.drop();
    }
  });
});
