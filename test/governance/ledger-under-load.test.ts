// No ledger row is lost under load: N requests in, N rows written, with the SQLite ledger written on
// its own thread while requests keep arriving (and on PostgreSQL).
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { testDatabase, type DialectName, type TestDatabase } from '../support/database.js';
import { MockUpstream } from '../support/mock-openai.js';
import { mockProvider, startProxy, type TestProxy } from '../support/proxy.js';

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
    proxy = await startProxy({ hot_reload: { enabled: false }, database: database.config, request_logs: { batch_size: 100 }, providers: [mockProvider('a', upstream.url)] });
  });
  afterAll(async () => {
    await proxy.close();
    await database.drop();
  });

  test('2000 requests, 50 at a time: 2000 rows, and the daily rollup counts 2000', async () => {
    const n = 2000;
    let next = 0;
    let ok = 0;
    const client = async () => {
      while (next < n) {
        next++;
        const res = await fetch(`${proxy.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] }) });
        await res.arrayBuffer();
        if (res.status === 200) ok++;
      }
    };
    await Promise.all(Array.from({ length: 50 }, client));
    expect(ok).toBe(n);
    await proxy.app.ledger.flush();
    const k = proxy.app.database.kysely;
    await expect.poll(async () => Number((await k.selectFrom('request_logs').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirst())?.n), { timeout: 10_000 }).toBe(n);
    const rollup = await k.selectFrom('spend_daily').select((eb) => eb.fn.sum<number>('requests').as('n')).executeTakeFirst();
    expect(Number(rollup?.n)).toBe(n);
    expect(proxy.app.ledger.dropped).toBe(0);
  }, 60_000);
});
