/* eslint-disable @typescript-eslint/no-explicit-any -- JSON answers are read back loosely */
// Virtual keys and teams on both databases: the admin API (secrets shown once, pagination, filters,
// rotation with grace, revocation, bad input refused whole), and enforcement on real requests through
// the openai SDK (unknown, revoked, rotated and expired keys 401; a model the key or its team may not
// use 403 naming it).
import OpenAI, { AuthenticationError, PermissionDeniedError } from 'openai';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { migrations as allMigrations } from '../../src/db/migrations.js';
import { MockUpstream } from '../support/mock-openai.js';
import { mockProvider, startProxy, type TestProxy } from '../support/proxy.js';
import { testDatabase, type DialectName, type TestDatabase } from '../support/database.js';

const ADMIN = 'sk-admin-governance';

let upstream: MockUpstream;
beforeAll(async () => {
  upstream = await MockUpstream.start('gov');
});
afterAll(async () => {
  await upstream.close();
});

describe.each(['sqlite', 'postgres'] as DialectName[])('virtual keys on %s', (dialect) => {
  let database: TestDatabase;
  let proxy: TestProxy;
  const admin = (method: string, url: string, body?: unknown) =>
    fetch(`${proxy.url}${url}`, { method, headers: { authorization: `Bearer ${ADMIN}`, ...(body !== undefined && { 'content-type': 'application/json' }) }, body: body === undefined ? undefined : JSON.stringify(body) }).then(async (r) => ({ status: r.status, body: (await r.json()) as any }));
  const client = (key: string) => new OpenAI({ baseURL: `${proxy.url}/v1`, apiKey: key, maxRetries: 0 });
  const ask = (key: string, model = 'gpt-4o-mini') => client(key).chat.completions.create({ model, messages: [{ role: 'user', content: 'hi' }] });

  beforeAll(async () => {
    database = await testDatabase(dialect);
    proxy = await startProxy({ hot_reload: { enabled: false }, auth: { api_keys: ['sk-config-client'], admin_keys: [ADMIN] }, database: database.config, providers: [mockProvider('p', upstream.url)] });
  });
  afterAll(async () => {
    await proxy?.close();
    await database.drop();
  });

  test('create: the secret once, stored only as a digest; the key works with the openai SDK and config keys still do', async () => {
    const created = await admin('POST', '/v1/keys', { alias: 'web-app', models: ['gpt-4o*'], metadata: { owner: 'ana' } });
    expect(created.status).toBe(201);
    expect(created.body.key).toMatch(/^sk-lp-[0-9A-Za-z]{32}$/);
    expect(created.body).toMatchObject({ object: 'virtual_key', alias: 'web-app', models: ['gpt-4o*'], status: 'active', metadata: { owner: 'ana' } });
    expect(created.body.key_prefix).toBe(created.body.key.slice(0, 10));
    const got = await admin('GET', `/v1/keys/${created.body.id}`);
    expect(got.body.key).toBeUndefined();
    expect(JSON.stringify(got.body)).not.toContain(created.body.key.slice(10));
    const row = await proxy.app.database.kysely.selectFrom('virtual_keys').selectAll().where('id', '=', created.body.id).executeTakeFirstOrThrow();
    expect(row.key_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(row)).not.toContain(created.body.key);

    expect((await ask(created.body.key)).choices[0].message.content).toContain('Hello');
    expect((await ask('sk-config-client')).choices[0].message.content).toContain('Hello');
    const refused = await ask(created.body.key, 'claude-3-haiku').catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(PermissionDeniedError);
    expect((refused as PermissionDeniedError).status).toBe(403);
    expect((refused as any).error).toMatchObject({ code: 'insufficient_permissions', param: 'model', message: "This key may not use model 'claude-3-haiku'" });
    // A virtual key is a client key, not an admin key.
    expect((await fetch(`${proxy.url}/v1/keys`, { headers: { authorization: `Bearer ${created.body.key}` } })).status).toBe(403);
    expect((await ask('sk-lp-unknownunknownunknownunknown12').catch((e: unknown) => e))).toBeInstanceOf(AuthenticationError);
  });

  test('teams: a key in a team is held to both model lists', async () => {
    const team = await admin('POST', '/v1/teams', { name: `research-${dialect}`, models: ['gpt-4o-mini', 'text-*'] });
    expect(team.status).toBe(201);
    expect((await admin('POST', '/v1/teams', { name: `research-${dialect}` })).body.error).toMatchObject({ param: 'name' });
    const key = (await admin('POST', '/v1/keys', { alias: 'r1', team_id: team.body.id, models: ['gpt-4o*'] })).body;
    expect((await ask(key.key, 'gpt-4o-mini')).choices).toHaveLength(1);
    const refused = (await ask(key.key, 'gpt-4o').catch((e: unknown) => e)) as any;
    expect(refused.status).toBe(403);
    expect(refused.error.message).toBe(`Team 'research-${dialect}' may not use model 'gpt-4o'`);
    const patched = await admin('PATCH', `/v1/teams/${team.body.id}`, { models: null });
    expect(patched.body.models).toBeNull();
    expect((await ask(key.key, 'gpt-4o')).choices).toHaveLength(1);
    const listed = await admin('GET', `/v1/keys?team_id=${team.body.id}`);
    expect(listed.body.data.map((k: any) => k.id)).toEqual([key.id]);
    expect((await admin('GET', '/v1/teams')).body.data.map((t: any) => t.name)).toContain(`research-${dialect}`);
  });

  test('rotate with a grace period, then revoke: the old secret, then every secret, gets 401', async () => {
    const key = (await admin('POST', '/v1/keys', { alias: 'rotating' })).body;
    const rotated = await admin('POST', `/v1/keys/${key.id}/rotate`, { grace_seconds: 60 });
    expect(rotated.body.key).not.toBe(key.key);
    expect(rotated.body.previous_key_valid_until).toEqual(expect.any(String));
    expect((await ask(key.key)).choices).toHaveLength(1);
    expect((await ask(rotated.body.key)).choices).toHaveLength(1);
    const again = await admin('POST', `/v1/keys/${key.id}/rotate`, {});
    const old = (await ask(rotated.body.key).catch((e: unknown) => e)) as any;
    expect(old).toBeInstanceOf(AuthenticationError);
    expect(old.error.message).toBe('Invalid API key');
    expect((await ask(again.body.key)).choices).toHaveLength(1);

    const revoked = await admin('POST', `/v1/keys/${key.id}/revoke`);
    expect(revoked.body.status).toBe('revoked');
    const refused = (await ask(again.body.key).catch((e: unknown) => e)) as any;
    expect(refused).toBeInstanceOf(AuthenticationError);
    // Regression: a revoked key got the generic 'Invalid API key'.
    expect(refused.error.message).toBe('This API key was revoked; ask an administrator for a new one');
    expect((await admin('POST', `/v1/keys/${key.id}/rotate`, {})).body.error).toMatchObject({ code: 'invalid_request', param: 'id' });
    expect((await admin('GET', '/v1/keys?status=revoked')).body.data.map((k: any) => k.id)).toContain(key.id);
  });

  test('an expired key gets 401 saying so, and lists as expired', async () => {
    const key = (await admin('POST', '/v1/keys', { alias: 'short-lived', expires_at: new Date(Date.now() + 400).toISOString() })).body;
    expect((await ask(key.key)).choices).toHaveLength(1);
    await new Promise((resolve) => setTimeout(resolve, 500));
    const refused = (await ask(key.key).catch((e: unknown) => e)) as any;
    expect(refused.status).toBe(401);
    expect(refused.error.message).toMatch(/^This key expired at /);
    expect((await admin('GET', `/v1/keys/${key.id}`)).body.status).toBe('expired');
  });

  test('PATCH changes only the fields it names (regression: defaults once reset every other limit to null)', async () => {
    const key = (await admin('POST', '/v1/keys', { alias: 'patchy', models: ['gpt-4o*'], rpm: 7, budget: { max_usd: 3, period: 'weekly', soft_limit_pct: null }, metadata: { a: 1 } })).body;
    const patched = (await admin('PATCH', `/v1/keys/${key.id}`, { alias: 'renamed' })).body;
    expect(patched).toMatchObject({ alias: 'renamed', models: ['gpt-4o*'], rpm: 7, budget: { max_usd: 3, period: 'weekly' }, metadata: { a: 1 } });
    const team = (await admin('POST', '/v1/teams', { name: `patch-team-${dialect}`, rpm: 9, models: ['x'] })).body;
    expect((await admin('PATCH', `/v1/teams/${team.id}`, { tpm: 100 })).body).toMatchObject({ rpm: 9, tpm: 100, models: ['x'], name: `patch-team-${dialect}` });
    expect((await admin('POST', '/v1/teams', { rpm: 5 })).body.error.param).toBe('name');
  });

  test('pagination with a cursor, and filters', async () => {
    for (let i = 0; i < 5; i++) await admin('POST', '/v1/keys', { alias: `page-${dialect}` });
    const first = await admin('GET', `/v1/keys?alias=page-${dialect}&limit=2`);
    expect(first.body.data).toHaveLength(2);
    const second = await admin('GET', `/v1/keys?alias=page-${dialect}&limit=2&cursor=${first.body.next_cursor}`);
    const third = await admin('GET', `/v1/keys?alias=page-${dialect}&limit=2&cursor=${second.body.next_cursor}`);
    expect(third.body.next_cursor).toBeNull();
    const ids = [...first.body.data, ...second.body.data, ...third.body.data].map((k: any) => k.id);
    expect(new Set(ids).size).toBe(5);
    expect((await admin('GET', '/v1/keys?cursor=garbage')).body.error.param).toBe('cursor');
    expect((await admin('GET', '/v1/keys?limit=0')).body.error.param).toBe('limit');
    expect((await admin('GET', '/v1/keys?status=sleeping')).body.error.param).toBe('status');
  });

  test('bad input: a 400 naming the field (or 404), nothing written half-way', async () => {
    const before = (await admin('GET', '/v1/keys?limit=500')).body.data.length;
    const cases: Array<[unknown, string]> = [
      [{ models: 'gpt-4o' }, 'models'],
      [{ models: [''] }, 'models[0]'],
      [{ alias: 42 }, 'alias'],
      [{ colour: 'blue' }, '(root)'],
      [{ budget: { max_usd: 5, period: 'fortnightly' } }, 'budget.period'],
      [{ budget: { max_usd: -5, period: 'daily' } }, 'budget.max_usd'],
      [{ store_bodies: 'yes' }, 'store_bodies'],
      [{ metadata: { blob: 'x'.repeat(20_000) } }, 'metadata'],
      [{ expires_at: 'tomorrow' }, 'expires_at'],
      [{ team_id: 'team_nope' }, 'team_id'],
    ];
    for (const [body, param] of cases) {
      const res = await admin('POST', '/v1/keys', body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      if (param !== '(root)') expect(res.body.error.param, JSON.stringify(body)).toBe(param);
    }
    expect((await admin('GET', '/v1/keys?limit=500')).body.data.length).toBe(before);
    expect((await admin('GET', '/v1/keys/key_nope')).status).toBe(404);
    expect((await admin('PATCH', '/v1/keys/key_nope', { alias: 'x' })).status).toBe(404);
    expect((await admin('GET', '/v1/teams/team_nope')).status).toBe(404);
    expect((await admin('PATCH', '/v1/teams/team_nope', { models: null })).status).toBe(404);
  });

  test('keys survive a restart (migrations run again, idempotently)', async () => {
    const key = (await admin('POST', '/v1/keys', { alias: 'durable' })).body;
    const doc = { hot_reload: { enabled: false }, auth: { api_keys: ['sk-config-client'], admin_keys: [ADMIN] }, database: database.config, providers: [mockProvider('p', upstream.url)] };
    await proxy.close();
    proxy = await startProxy(doc);
    expect((await ask(key.key)).choices).toHaveLength(1);
    expect((await admin('GET', `/v1/keys/${key.id}`)).body.alias).toBe('durable');
  });
});

test('replicas starting together against one PostgreSQL schema migrate once; a key made or revoked on one is honoured by the others', async () => {
  const database = await testDatabase('postgres');
  const doc = { hot_reload: { enabled: false }, auth: { admin_keys: [ADMIN] }, database: database.config, providers: [mockProvider('p', upstream.url)] };
  const proxies = await Promise.all([startProxy(doc), startProxy(doc), startProxy(doc)]);
  try {
    const created = await fetch(`${proxies[0].url}/v1/keys`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' }, body: '{}' }).then((r) => r.json() as Promise<any>);
    const migrations = await proxies[1].app.database.kysely.selectFrom('kysely_migration' as never).selectAll().execute();
    expect(migrations).toHaveLength(Object.keys(allMigrations('postgres')).length);
    const status = (p: TestProxy) =>
      fetch(`${p.url}/v1/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${created.key}`, 'content-type': 'application/json' }, body: JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] }) }).then((r) => r.status);
    await expect.poll(() => status(proxies[2]), { timeout: 3000, interval: 100 }).toBe(200);
    await fetch(`${proxies[0].url}/v1/keys/${created.id}/revoke`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN}` } });
    expect(await status(proxies[0])).toBe(401);
    await expect.poll(() => Promise.all([status(proxies[1]), status(proxies[2])]), { timeout: 3000, interval: 100 }).toEqual([401, 401]);
  } finally {
    for (const p of proxies) await p.close();
    await database.drop();
  }
});
