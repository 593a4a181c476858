/* eslint-disable @typescript-eslint/no-explicit-any -- JSON answers are read back loosely in assertions */
// Fleet awareness: each process registers itself (Redis, else the database); /v1/fleet, /status and
// /health list the fleet; replicas that share Redis but keep their keys in SQLite files of their own
// are a split fleet, said in /health, /v1/fleet and a metric.
import { afterEach, expect, test } from 'vitest';
import { testDatabase, type TestDatabase } from '../support/database.js';
import { startProxy, type TestProxy } from '../support/proxy.js';
import { deletePrefix, REDIS_URL, uniquePrefix } from '../support/redis.js';

const ADMIN = 'sk-admin-fleet-registry-0123456789';
const open: TestProxy[] = [];
const databases: TestDatabase[] = [];
const prefixes: string[] = [];

afterEach(async () => {
  for (const proxy of open.splice(0)) await proxy.close();
  for (const database of databases.splice(0)) await database.drop();
  for (const prefix of prefixes.splice(0)) await deletePrefix(prefix);
});

async function proxy(doc: Record<string, unknown>): Promise<TestProxy> {
  const started = await startProxy({ hot_reload: { enabled: false }, auth: { admin_keys: [ADMIN] }, providers: [], ...doc });
  open.push(started);
  return started;
}

const get = async (p: TestProxy, path: string): Promise<any> => (await fetch(`${p.url}${path}`, { headers: { authorization: `Bearer ${ADMIN}` } })).json();

test('two replicas on one Redis and one PostgreSQL see each other; not split', async () => {
  const database = await testDatabase('postgres');
  databases.push(database);
  const prefix = uniquePrefix();
  prefixes.push(prefix);
  const doc = { database: database.config, redis: { url: REDIS_URL, key_prefix: prefix } };
  const a = await proxy(doc);
  const b = await proxy(doc);
  const fleet = await get(a, '/v1/fleet');
  expect(fleet).toMatchObject({ object: 'list', registry: 'redis', split: false });
  expect(fleet.data).toHaveLength(2);
  expect(fleet.data.filter((i: any) => i.self)).toHaveLength(1);
  expect(new Set(fleet.data.map((i: any) => i.database)).size).toBe(1);
  expect(fleet.data[0]).toMatchObject({ host: expect.any(String), pid: process.pid, version: '0.1.0', config_hash: expect.stringMatching(/^[0-9a-f]{12}$/) });
  expect((await get(b, '/status')).fleet.instances).toHaveLength(2);
  expect((await get(b, '/health')).fleet).toEqual({ instances: 2, split: false });

  // A replica that stops leaves the registry at once.
  await open.pop()!.close();
  expect((await get(a, '/v1/fleet')).data).toHaveLength(1);
});

test('two replicas on one Redis with SQLite files of their own: a split fleet, said in /health, /v1/fleet and a metric', async () => {
  const prefix = uniquePrefix();
  prefixes.push(prefix);
  const [one, two] = [await testDatabase('sqlite'), await testDatabase('sqlite')];
  const a = await proxy({ database: one.config, redis: { url: REDIS_URL, key_prefix: prefix } });
  const b = await proxy({ database: two.config, redis: { url: REDIS_URL, key_prefix: prefix } });
  expect((await get(a, '/v1/fleet')).split).toBe(true);
  expect((await get(b, '/health')).fleet).toEqual({ instances: 2, split: true });
  const metrics = await (await fetch(`${a.url}/metrics/prometheus`, { headers: { authorization: `Bearer ${ADMIN}` } })).text();
  expect(metrics).toMatch(/^llm_proxy_split_fleet 1$/m);
  expect(metrics).toMatch(/^llm_proxy_fleet_instances 2$/m);
});

test('without Redis the registry is the database', async () => {
  const database = await testDatabase('sqlite');
  databases.push(database);
  const a = await proxy({ database: database.config });
  const fleet = await get(a, '/v1/fleet');
  expect(fleet).toMatchObject({ registry: 'database', split: false });
  expect(fleet.data).toHaveLength(1);
  expect(fleet.data[0].database).toMatch(/^sqlite:/);
});

test('/v1/fleet is for admin keys only', async () => {
  const database = await testDatabase('sqlite');
  databases.push(database);
  const a = await proxy({ database: database.config, auth: { admin_keys: [ADMIN], api_keys: ['sk-client-fleet-0123456789abcdef'] } });
  const res = await fetch(`${a.url}/v1/fleet`, { headers: { authorization: 'Bearer sk-client-fleet-0123456789abcdef' } });
  expect(res.status).toBe(403);
});
