// PostgreSQL restarting under a fleet: two real proxy processes on one PostgreSQL (through a TCP
// forwarder the test can cut) and one Redis. Their connections are terminated by the server, then
// refused for 15 s, under steady traffic. Both replicas stay up, every request is answered, and once
// the database is back every request served has its ledger row.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { freePort, startCli, type CliProcess } from '../support/cli.js';
import { POSTGRES_URL, testDatabase, type TestDatabase } from '../support/database.js';
import { MockUpstream } from '../support/mock-openai.js';
import { mockProvider, writeConfig } from '../support/proxy.js';
import { deletePrefix, REDIS_URL, uniquePrefix } from '../support/redis.js';
import { TcpForwarder } from '../support/tcp-forwarder.js';

const KEY = 'sk-fleet-test-key-0123456789';
let upstream: MockUpstream;
let database: TestDatabase;
let forwarder: TcpForwarder;
const replicas: CliProcess[] = [];
const prefix = uniquePrefix();
const appName = `llm-proxy-outage-${randomBytes(4).toString('hex')}`;

beforeAll(async () => {
  upstream = await MockUpstream.start('outage');
  database = await testDatabase('postgres');
  const target = new URL(POSTGRES_URL);
  forwarder = await TcpForwarder.start(target.hostname, Number(target.port || 5432));
});

afterAll(async () => {
  for (const replica of replicas) replica.child.kill('SIGKILL');
  await forwarder.close();
  await upstream.close();
  await database.drop();
  await deletePrefix(prefix);
});

async function admin<T>(query: string, params: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  try {
    return (await client.query(query, params)).rows as T[];
  } finally {
    await client.end();
  }
}

test('connections terminated, then refused for 15 s: both replicas live, every request answered, every row written', async () => {
  const target = new URL(POSTGRES_URL);
  const url = `postgres://${target.username}@127.0.0.1:${forwarder.port}${target.pathname}?application_name=${appName}`;
  const ports: number[] = [];
  for (let i = 0; i < 2; i++) {
    const port = await freePort();
    ports.push(port);
    const config = {
      server: { port },
      auth: { api_keys: [KEY] },
      hot_reload: { enabled: false },
      database: { url, schema: database.config.schema },
      redis: { url: REDIS_URL, key_prefix: prefix },
      request_logs: { flush_interval_ms: 100 },
      providers: [mockProvider('a', upstream.url)],
    };
    replicas.push(await startCli(writeConfig(config)));
  }

  let served = 0;
  const failures: string[] = [];
  let sending = true;
  const traffic = (async () => {
    for (let i = 0; sending; i++) {
      const res = await fetch(`http://127.0.0.1:${ports[i % 2]}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY}` },
        body: JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content: `hi ${i}` }] }),
      }).catch((error: unknown) => ({ status: 0, text: async () => String(error) }));
      if (res.status === 200) served++;
      else failures.push(`${res.status} ${await res.text()}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  })();

  await new Promise((resolve) => setTimeout(resolve, 1500));
  // The server ends the replicas' connections (as a restart does), then refuses new ones for 15 s.
  const terminated = await admin<{ ok: boolean }>('select pg_terminate_backend(pid) as ok from pg_stat_activity where application_name = $1', [appName]);
  expect(terminated.length).toBeGreaterThan(0);
  await forwarder.close();
  await new Promise((resolve) => setTimeout(resolve, 15_000));
  for (const replica of replicas) expect(replica.child.exitCode, replica.stderr).toBeNull();
  const duringOutage = served;
  await forwarder.open();
  await new Promise((resolve) => setTimeout(resolve, 1500));
  sending = false;
  await traffic;

  expect(failures).toEqual([]);
  expect(duringOutage).toBeGreaterThan(100);
  for (const replica of replicas) expect(replica.child.exitCode, replica.stderr).toBeNull();
  const rows = async () => Number((await admin<{ n: string }>(`select count(*) as n from "${database.config.schema}".request_logs`))[0].n);
  await expect.poll(rows, { timeout: 15_000, interval: 250 }).toBe(served);
  const health = (await (await fetch(`http://127.0.0.1:${ports[0]}/health`, { headers: { authorization: `Bearer ${KEY}` } })).json()) as {
    dependencies: { database: { status: string; errors: number } };
  };
  expect(health.dependencies.database.status).toBe('ok');
  expect(health.dependencies.database.errors).toBeGreaterThan(0);
}, 60_000);
