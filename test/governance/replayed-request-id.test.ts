/* eslint-disable @typescript-eslint/no-explicit-any -- JSON answers are read back loosely */
// Regression: the ledger used the client's x-request-id as its row key, so requests replaying one id
// left one row, and their spend vanished from the rollups and from budgets rebuilt after a Redis flush.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { testDatabase, type DialectName, type TestDatabase } from '../support/database.js';
import { MockUpstream } from '../support/mock-openai.js';
import { mockProvider, startProxy, type TestProxy } from '../support/proxy.js';
import { deletePrefix, REDIS_URL, uniquePrefix } from '../support/redis.js';

const ADMIN = 'sk-admin-replayed-ids';
// The mock answers 9 prompt and 3 completion tokens: $0.015 at these prices.
const COST = 0.015;
let upstream: MockUpstream;
beforeAll(async () => {
  upstream = await MockUpstream.start('replayed');
});
afterAll(async () => {
  await upstream.close();
});

describe.each(['sqlite', 'postgres'] as DialectName[])('on %s', (dialect) => {
  let database: TestDatabase;
  let proxy: TestProxy;
  const prefix = uniquePrefix();
  const admin = (url: string, body?: unknown) =>
    fetch(`${proxy.url}${url}`, { method: body === undefined ? 'GET' : 'POST', headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) }).then(async (r) => (await r.json()) as any);

  beforeAll(async () => {
    database = await testDatabase(dialect);
    proxy = await startProxy({
      hot_reload: { enabled: false },
      auth: { admin_keys: [ADMIN] },
      database: database.config,
      redis: { url: REDIS_URL, key_prefix: prefix },
      pricing: { 'gpt-4o': { input_per_1k: 1, output_per_1k: 2 } },
      request_logs: { flush_interval_ms: 20 },
      providers: [mockProvider('p', upstream.url, { max_retries: 0 })],
    });
  });
  afterAll(async () => {
    await proxy.close();
    await database.drop();
    await deletePrefix(prefix);
  });

  test('N requests with one x-request-id: N rows, N x cost in the rollups and in a budget rebuilt from the ledger', async () => {
    const N = 6;
    const key = await admin('/v1/keys', { alias: `replay-${dialect}`, budget: { max_usd: 10, period: 'total' } });
    const replayed = `replayed-${dialect}`;
    for (let i = 0; i < N; i++) {
      const res = await fetch(`${proxy.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key.key}`, 'content-type': 'application/json', 'x-request-id': replayed },
        body: JSON.stringify({ model: 'gpt-4o', max_tokens: 5, messages: [{ role: 'user', content: 'hi' }] }),
      });
      expect(res.status).toBe(200);
      expect(res.headers.get('x-request-id')).toBe(replayed);
    }
    await expect.poll(async () => (await admin(`/v1/logs?key_id=${key.id}`)).data.length, { timeout: 5000 }).toBe(N);
    const rows = (await admin(`/v1/logs?key_id=${key.id}`)).data;
    expect(new Set(rows.map((r: any) => r.request_id))).toEqual(new Set([replayed]));
    expect(new Set(rows.map((r: any) => r.id)).size).toBe(N);
    expect((await admin(`/v1/logs/${replayed}`)).id).toBe(rows[0].id);
    expect((await admin(`/v1/logs/${rows[N - 1].id}`)).id).toBe(rows[N - 1].id);

    const byKey = (await admin('/v1/spend?group_by=key')).data.find((g: any) => g.group === key.id);
    expect(byKey.requests).toBe(N);
    expect(byKey.cost_usd).toBeCloseTo(N * COST, 8);
    expect((await admin(`/v1/keys/${key.id}/usage`)).total).toMatchObject({ requests: N });

    // A Redis flush loses the counter; rebuilt from the ledger, it still knows all N requests.
    await deletePrefix(`${prefix}budget:`);
    const usage = (await admin(`/v1/keys/${key.id}`)).budget_usage;
    expect(usage.spent_usd).toBeCloseTo(N * COST, 8);
  });
});
