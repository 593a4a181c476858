// No ledger row is lost under load: N requests in, N rows written, with the SQLite ledger written on
// its own thread while requests keep arriving (and on PostgreSQL). The load mixes the three ways a row
// reaches the writer: a JSON answer and a stream with a config key (pushed when the request ends), and
// a virtual key with a budget and an rpm limit (pushed once its budget reservation is settled).
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { testDatabase, type DialectName, type TestDatabase } from '../support/database.js';
import { MockUpstream } from '../support/mock-openai.js';
import { mockProvider, startProxy, type TestProxy } from '../support/proxy.js';

const ADMIN = 'sk-admin-ledger-load';

let upstream: MockUpstream;
beforeAll(async () => {
  upstream = await MockUpstream.start('ledger-load');
});
afterAll(async () => {
  await upstream.close();
});

describe.each(['sqlite', 'postgres'] as DialectName[])('ledger under load on %s', (dialect) => {
  let database: TestDatabase;
  let proxy: TestProxy;
  beforeAll(async () => {
    database = await testDatabase(dialect);
    proxy = await startProxy({
      hot_reload: { enabled: false },
      auth: { admin_keys: [ADMIN] },
      database: database.config,
      pricing: { 'gpt-4o': { input_per_1k: 0.001, output_per_1k: 0.002 } },
      request_logs: { batch_size: 100 },
      providers: [mockProvider('a', upstream.url)],
    });
  });
  afterAll(async () => {
    await proxy.close();
    await database.drop();
  });

  test('2000 requests, 50 at a time (JSON, streams, a budgeted virtual key): 2000 rows, the daily rollup counts 2000, the budget counts every row', async () => {
    const created = await fetch(`${proxy.url}/v1/keys`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ alias: 'load', rpm: 1_000_000, budget: { max_usd: 1_000_000, period: 'total' } }),
    });
    expect(created.status).toBe(201);
    const virtual = (await created.json()) as { id: string; key: string };
    const n = 2000;
    let next = 0;
    let ok = 0;
    const client = async () => {
      while (next < n) {
        const kind = next++ % 3;
        const body = { model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }], ...(kind === 1 && { stream: true }) };
        const key = kind === 2 ? virtual.key : ADMIN;
        const res = await fetch(`${proxy.url}/v1/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
        await res.arrayBuffer();
        if (res.status === 200) ok++;
      }
    };
    await Promise.all(Array.from({ length: 50 }, client));
    expect(ok).toBe(n);
    const k = proxy.app.database.kysely;
    const count = async () => Number((await k.selectFrom('request_logs').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirst())?.n);
    await expect.poll(async () => (await proxy.app.ledger.flush(), await count()), { timeout: 10_000 }).toBe(n);
    const rollup = await k.selectFrom('spend_daily').select((eb) => eb.fn.sum<number>('requests').as('n')).executeTakeFirst();
    expect(Number(rollup?.n)).toBe(n);
    const byKind = await k.selectFrom('request_logs').select(['key_id', 'stream']).select((eb) => eb.fn.countAll<number>().as('n')).groupBy(['key_id', 'stream']).execute();
    const rows = Object.fromEntries(byKind.map((r) => [`${r.key_id === virtual.id ? 'virtual' : 'config'}:${Number(r.stream)}`, Number(r.n)]));
    expect(rows).toEqual({ 'config:0': 667, 'config:1': 667, 'virtual:0': 666 });
    // The budget's counter agrees with the ledger: every settled request is in both.
    const spent = await k.selectFrom('request_logs').where('key_id', '=', virtual.id).select((eb) => eb.fn.sum<number>('cost_usd').as('usd')).executeTakeFirst();
    const info = (await (await fetch(`${proxy.url}/v1/keys/${virtual.id}`, { headers: { authorization: `Bearer ${ADMIN}` } })).json()) as { budget_usage: { spent_usd: number; reserved_usd: number } };
    expect(Number(spent?.usd)).toBeGreaterThan(0);
    expect(info.budget_usage).toMatchObject({ reserved_usd: 0 });
    expect(info.budget_usage.spent_usd).toBeCloseTo(Number(spent?.usd), 6);
    expect(proxy.app.ledger.dropped).toBe(0);
  }, 60_000);
});
