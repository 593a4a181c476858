// Budget reservations are leases: a replica SIGKILLed with requests in flight leaves their worst-case
// reservations on the shared counter only until the lease runs out; another replica then settles them
// at that worst case (the budget is never under-counted) and writes their ledger rows, flagged.
import pg from 'pg';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { freePort, startCli, type CliProcess } from '../support/cli.js';
import { POSTGRES_URL, testDatabase, type TestDatabase } from '../support/database.js';
import { MockUpstream } from '../support/mock-openai.js';
import { mockProvider, writeConfig } from '../support/proxy.js';
import { deletePrefix, REDIS_URL, uniquePrefix } from '../support/redis.js';

const ADMIN = 'sk-admin-fleet-leases-0123456789';
let upstream: MockUpstream;
let database: TestDatabase;
const replicas: CliProcess[] = [];
const prefix = uniquePrefix();

beforeAll(async () => {
  upstream = await MockUpstream.start('leases');
  database = await testDatabase('postgres');
});

afterAll(async () => {
  for (const replica of replicas) replica.child.kill('SIGKILL');
  await upstream.close();
  await database.drop();
  await deletePrefix(prefix);
});

interface Usage {
  spent_usd: number;
  reserved_usd: number;
}

test('a replica killed with 10 slow budgeted requests in flight: reserved back to 0 within the lease, spent includes them, rows flagged', async () => {
  const ports = [await freePort(), await freePort()];
  for (const port of ports) {
    const config = {
      server: { port, request_timeout: 2, shutdown_grace_s: 2 },
      auth: { admin_keys: [ADMIN] },
      hot_reload: { enabled: false },
      database: database.config,
      redis: { url: REDIS_URL, key_prefix: prefix },
      pricing: { 'lease-model': { input_per_1k: 1, output_per_1k: 1 } },
      providers: [mockProvider('a', upstream.url, { timeout: 60 })],
    };
    replicas.push(await startCli(writeConfig(config)));
  }
  const [a, b] = ports.map((port) => `http://127.0.0.1:${port}`);
  const admin = async (base: string, path: string, body?: unknown) =>
    (await fetch(`${base}${path}`, {
      method: body ? 'POST' : 'GET',
      headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
      body: body ? JSON.stringify(body) : undefined,
    }).then((r) => r.json())) as { id: string; key: string; budget_usage: Usage };
  const key = await admin(b, '/v1/keys', { budget: { max_usd: 100, period: 'total' } });
  const usage = async () => (await admin(b, `/v1/keys/${key.id}`)).budget_usage;

  // Replica A learns of the key from the database within a second.
  const chat = (base: string, content: string) =>
    fetch(`${base}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'lease-model', max_tokens: 1000, messages: [{ role: 'user', content }] }),
    });
  await expect.poll(async () => (await chat(a, 'warm up')).status, { timeout: 5000, interval: 200 }).toBe(200);
  await expect.poll(async () => (await usage()).reserved_usd, { timeout: 5000 }).toBe(0);
  const spentBefore = (await usage()).spent_usd;
  const before = upstream.calls('/v1/chat/completions').length;

  // 10 requests that the upstream never answers, on replica A (max_tokens 1000: $1 + the prompt each).
  upstream.setScript(() => ({ hang: true }));
  const inFlight = Array.from({ length: 10 }, (_, i) => chat(a, `slow ${i}`).catch(() => null));
  await expect.poll(async () => upstream.calls('/v1/chat/completions').length - before, { timeout: 5000 }).toBe(10);
  const held = await usage();
  expect(held.spent_usd).toBe(spentBefore);
  expect(held.reserved_usd).toBeGreaterThan(10);
  const worstCase = held.reserved_usd;

  replicas[0].child.kill('SIGKILL');
  await Promise.all(inFlight);
  const killedAt = Date.now();
  // The lease is request_timeout (2 s) + 10 s; replica B's sweep settles them within a second after.
  await expect.poll(async () => (await usage()).reserved_usd, { timeout: 20_000, interval: 250 }).toBeCloseTo(0, 6);
  const settleSeconds = (Date.now() - killedAt) / 1000;
  expect(settleSeconds).toBeLessThan(14);
  expect((await usage()).spent_usd).toBeCloseTo(spentBefore + worstCase, 6);

  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  try {
    const rows = async () =>
      (await client.query(`select settled_by, cost_usd, key_id, model, status from "${database.config.schema}".request_logs where key_id = $1`, [key.id])).rows as Array<{ settled_by: string; cost_usd: number; model: string }>;
    await expect.poll(async () => (await rows()).filter((r) => r.settled_by === 'expiry').length, { timeout: 5000 }).toBe(10);
    const all = (await rows()).filter((r) => r.settled_by === 'expiry');
    expect(all.every((r) => r.model === 'lease-model')).toBe(true);
    expect(all.reduce((sum, r) => sum + Number(r.cost_usd), 0)).toBeCloseTo(worstCase, 6);
  } finally {
    await client.end();
  }
  process.stdout.write(`budget leases: reservations of a killed replica settled ${settleSeconds.toFixed(1)} s after the kill (lease 12 s)\n`);
}, 60_000);
