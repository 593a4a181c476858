/* eslint-disable @typescript-eslint/no-explicit-any -- JSON answers are read back loosely */
// The spend ledger on both databases: one row per model request (plain, streamed, failed, cached,
// aborted) with who, what, tokens, cost and timings; batches written idempotently with daily rollups
// that agree with the rows; logs and spend APIs with filters, pagination and bad input; and a
// database that goes away: rows retried, then dropped and counted, while the proxy keeps serving.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import pg from 'pg';
import { chatStream, MockUpstream } from '../support/mock-openai.js';
import { mockProvider, startProxy, type TestProxy } from '../support/proxy.js';
import { POSTGRES_URL, testDatabase, type DialectName, type TestDatabase } from '../support/database.js';

const ADMIN = 'sk-admin-ledger';
let upstream: MockUpstream;
beforeAll(async () => {
  upstream = await MockUpstream.start('ledger');
});
afterAll(async () => {
  await upstream.close();
});

const doc = (database: TestDatabase['config'], extra: Record<string, unknown> = {}) => ({
  hot_reload: { enabled: false },
  auth: { admin_keys: [ADMIN] },
  database,
  caching: { enabled: true },
  pricing: { 'gpt-4o': { input_per_1k: 1, output_per_1k: 2 } },
  request_logs: { flush_interval_ms: 50 },
  providers: [mockProvider('p', upstream.url, { max_retries: 0 })],
  ...extra,
});

describe.each(['sqlite', 'postgres'] as DialectName[])('ledger on %s', (dialect) => {
  let database: TestDatabase;
  let proxy: TestProxy;
  let key: any;
  let team: any;
  const admin = (url: string, init: RequestInit = {}) => fetch(`${proxy.url}${url}`, { ...init, headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json', ...init.headers } }).then(async (r) => ({ status: r.status, body: (await r.json()) as any }));
  const chat = (body: Record<string, unknown>, as = key.key) =>
    fetch(`${proxy.url}/v1/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${as}`, 'content-type': 'application/json', 'x-request-id': String(body.id ?? '') || crypto.randomUUID() }, body: JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }], ...body, id: undefined }) });
  const row = async (id: string) => {
    let found: any;
    await expect.poll(async () => (found = await admin(`/v1/logs/${id}`)).status, { timeout: 5000 }).toBe(200);
    return found.body;
  };

  beforeAll(async () => {
    database = await testDatabase(dialect);
    proxy = await startProxy(doc(database.config));
    team = (await admin('/v1/teams', { method: 'POST', body: JSON.stringify({ name: 'ledger-team' }) })).body;
    key = (await admin('/v1/keys', { method: 'POST', body: JSON.stringify({ alias: 'ledger-key', team_id: team.id }) })).body;
  });
  afterAll(async () => {
    await proxy?.close();
    await database.drop();
  });

  test('plain, streamed, failed, cached and aborted requests each leave one row with the right fields', async () => {
    expect((await chat({ id: `${dialect}-plain` })).status).toBe(200);
    const plain = await row(`${dialect}-plain`);
    expect(plain).toMatchObject({ request_id: `${dialect}-plain`, key_id: key.id, key_alias: 'ledger-key', team_id: team.id, route: '/v1/chat/completions', model: 'gpt-4o', provider: 'p', status: 200, error_code: null, attempts: 1, input_tokens: 9, output_tokens: 3, cache_hit: false, stream: false, ttft_ms: null });
    expect(plain.cost_usd).toBeCloseTo((9 * 1 + 3 * 2) / 1000, 8);
    expect(plain.latency_ms).toBeGreaterThan(0);
    expect(Date.parse(plain.created_at)).toBeLessThanOrEqual(Date.now());

    upstream.enqueue({ stream: chatStream(['a', 'b', 'c'], 'gpt-4o', true), gapMs: 5 });
    const streamed = await chat({ id: `${dialect}-stream`, stream: true, stream_options: { include_usage: true } });
    await streamed.text();
    expect(await row(`${dialect}-stream`)).toMatchObject({ stream: true, status: 200, input_tokens: 5, output_tokens: 3, ttft_ms: expect.any(Number) });

    upstream.enqueue({ status: 500, body: { error: { message: 'boom', type: 'server_error' } } });
    await chat({ id: `${dialect}-failed` });
    expect(await row(`${dialect}-failed`)).toMatchObject({ status: 503, error_code: 'provider_unavailable', input_tokens: 0, cost_usd: 0 });

    await chat({ id: `${dialect}-cache-1`, temperature: 0 });
    await chat({ id: `${dialect}-cache-2`, temperature: 0 });
    expect(await row(`${dialect}-cache-2`)).toMatchObject({ cache_hit: true, status: 200 });

    upstream.enqueue({ stream: chatStream(['x', 'y', 'z', 'w', 'v'], 'gpt-4o'), gapMs: 200 });
    const controller = new AbortController();
    const aborted = await fetch(`${proxy.url}/v1/chat/completions`, { method: 'POST', signal: controller.signal, headers: { authorization: `Bearer ${key.key}`, 'content-type': 'application/json', 'x-request-id': `${dialect}-aborted` }, body: JSON.stringify({ model: 'gpt-4o', stream: true, messages: [{ role: 'user', content: 'long' }] }) });
    await aborted.body!.getReader().read();
    controller.abort();
    expect(await row(`${dialect}-aborted`)).toMatchObject({ stream: true, request_id: `${dialect}-aborted` });
    // A config key's requests are recorded too, without key attribution.
    expect((await chat({ id: `${dialect}-admin` }, ADMIN)).status).toBe(200);
    expect(await row(`${dialect}-admin`)).toMatchObject({ key_id: null, team_id: null });
  });

  test('logs: filters, newest first, cursor pagination; bad parameters are 400 with param', async () => {
    for (let i = 0; i < 3; i++) await chat({ id: `${dialect}-page-${i}`, model: 'gpt-4o-mini' });
    await row(`${dialect}-page-2`);
    const first = await admin(`/v1/logs?model=gpt-4o-mini&limit=2`);
    expect(first.body.data.map((r: any) => r.request_id)).toEqual([`${dialect}-page-2`, `${dialect}-page-1`]);
    const second = await admin(`/v1/logs?model=gpt-4o-mini&limit=2&cursor=${first.body.next_cursor}`);
    expect(second.body.data.map((r: any) => r.request_id)).toEqual([`${dialect}-page-0`]);
    expect(second.body.next_cursor).toBeNull();
    expect((await admin(`/v1/logs?status=5xx`)).body.data.map((r: any) => r.status)).toEqual([503]);
    expect((await admin(`/v1/logs?key_id=${key.id}&status=200&limit=500`)).body.data.every((r: any) => r.key_id === key.id && r.status === 200)).toBe(true);
    expect((await admin(`/v1/logs?from=2099-01-01`)).body.data).toEqual([]);
    for (const [query, param] of [['status=teapot', 'status'], ['from=yesterday', 'from'], ['limit=9999', 'limit'], ['cursor=zzz', 'cursor']]) {
      const res = await admin(`/v1/logs?${query}`);
      expect(res.status, query).toBe(400);
      expect(res.body.error.param).toBe(param);
    }
    expect((await admin('/v1/logs/no-such-request')).status).toBe(404);
  });

  test('spend by key, team, model, provider and day agrees with the rows; a key\'s usage too', async () => {
    const rows = (await admin('/v1/logs?limit=500')).body.data;
    const total = rows.reduce((s: number, r: any) => s + r.cost_usd, 0);
    for (const group of ['key', 'team', 'model', 'provider', 'day']) {
      const spend = await admin(`/v1/spend?group_by=${group}`);
      expect(spend.status).toBe(200);
      expect(spend.body.data.reduce((s: number, g: any) => s + g.cost_usd, 0)).toBeCloseTo(total, 8);
      expect(spend.body.data.reduce((s: number, g: any) => s + g.requests, 0)).toBe(rows.length);
    }
    const byKey = (await admin('/v1/spend?group_by=key')).body.data.find((g: any) => g.group === key.id);
    expect(byKey.label).toBe('ledger-key');
    const mine = rows.filter((r: any) => r.key_id === key.id);
    expect(byKey.requests).toBe(mine.length);
    expect((await admin('/v1/spend?group_by=team')).body.data.find((g: any) => g.group === team.id).label).toBe('ledger-team');
    const usage = await admin(`/v1/keys/${key.id}/usage`);
    expect(usage.body.total.requests).toBe(mine.length);
    expect(usage.body.total.errors).toBe(mine.filter((r: any) => r.status >= 400).length);
    expect(usage.body.daily).toHaveLength(1);
    expect((await admin('/v1/spend?group_by=colour')).body.error.param).toBe('group_by');
    expect((await admin('/v1/spend?from=2026-02-01&to=2026-01-01')).body.error.param).toBe('from');
    expect((await admin('/v1/keys/key_nope/usage')).status).toBe(404);
  });

  test('a model name with a NUL character is recorded (regression: PostgreSQL refused the batch and its rows were dropped)', async () => {
    expect((await chat({ id: `${dialect}-nul`, model: 'gpt-4o\u0000x' })).status).toBe(400);
    expect(await row(`${dialect}-nul`)).toMatchObject({ model: 'gpt-4o\uFFFDx', status: 400 });
    expect(proxy.app.ledger.dropped).toBe(0);
  });

  test('a row written twice (a retried batch) is counted once', async () => {
    const before = (await admin('/v1/spend?group_by=model')).body.data.find((g: any) => g.group === 'dup-model');
    expect(before).toBeUndefined();
    const dup = { id: `${dialect}-dup-row`, request_id: `${dialect}-dup`, created_at: new Date().toISOString(), key_id: null, key_alias: null, team_id: null, route: '/v1/chat/completions', model: 'dup-model', provider: 'p', status: 200, error_code: null, attempts: 1, input_tokens: 10, output_tokens: 5, cached_tokens: 0, reasoning_tokens: 0, cost_usd: 0.5, latency_ms: 1, ttft_ms: null, cache_hit: 0, stream: 0, request_body: null, response_body: null, settled_by: null, guardrails: null };
    proxy.app.ledger.push(dup);
    await proxy.app.ledger.flush();
    proxy.app.ledger.push({ ...dup });
    await proxy.app.ledger.flush();
    const after = (await admin('/v1/spend?group_by=model')).body.data.find((g: any) => g.group === 'dup-model');
    expect(after).toMatchObject({ requests: 1, cost_usd: 0.5, input_tokens: 10 });
  });
});

test('a database that goes away: rows are retried, then dropped and counted; requests keep being served', async () => {
  const database = await testDatabase('postgres');
  const proxy = await startProxy(doc(database.config, { request_logs: { flush_interval_ms: 20, max_retries: 1 } }));
  try {
    const send = () => fetch(`${proxy.url}/v1/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' }, body: JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] }) });
    expect((await send()).status).toBe(200);
    await expect.poll(() => proxy.app.ledger.written, { timeout: 5000 }).toBe(1);
    const client = new pg.Client({ connectionString: POSTGRES_URL });
    await client.connect();
    await client.query(`DROP TABLE "${database.config.schema}".request_logs CASCADE`);
    await client.end();
    for (let i = 0; i < 3; i++) expect((await send()).status).toBe(200);
    await expect.poll(() => proxy.app.ledger.dropped, { timeout: 10_000 }).toBe(3);
    const metrics = await (await fetch(`${proxy.url}/metrics/prometheus`, { headers: { authorization: `Bearer ${ADMIN}` } })).text();
    expect(metrics).toContain('llm_proxy_ledger_rows_total{result="dropped"} 3');
    expect(metrics).toContain('llm_proxy_ledger_rows_total{result="written"} 1');
    expect(metrics).toMatch(/llm_proxy_ledger_queue_depth 0/);
  } finally {
    await proxy.close();
    await database.drop();
  }
});
