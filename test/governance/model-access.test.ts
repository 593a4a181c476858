/* eslint-disable @typescript-eslint/no-explicit-any -- JSON answers are read back loosely */
// Regressions: a key's allow-list was checked on the name the client sent, so an alias
// (model_overrides.*.alias_for), a `provider/model` pin whose provider name matched the list, or a
// body naming "model" twice (checked on the last, forwarded as raw bytes) reached a forbidden model.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { testDatabase, type TestDatabase } from '../support/database.js';
import { MockUpstream } from '../support/mock-openai.js';
import { mockProvider, startProxy, type TestProxy } from '../support/proxy.js';

const ADMIN = 'sk-admin-model-access';
let upstream: MockUpstream;
let database: TestDatabase;
let proxy: TestProxy;
let key: string;

beforeAll(async () => {
  upstream = await MockUpstream.start('model-access');
  database = await testDatabase('sqlite');
  proxy = await startProxy({
    hot_reload: { enabled: false },
    auth: { admin_keys: [ADMIN] },
    database: database.config,
    request_logs: { flush_interval_ms: 20 },
    model_overrides: { 'gpt-4o-mini-alias': { alias_for: 'gpt-4o' }, 'mini-by-pin': { alias_for: 'gpt-4o-mini-pool/gpt-4o' } },
    providers: [mockProvider('gpt-4o-mini-pool', upstream.url, { max_retries: 0 })],
  });
  const res = await fetch(`${proxy.url}/v1/keys`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' }, body: JSON.stringify({ models: ['gpt-4o-mini*'] }) });
  key = ((await res.json()) as any).key;
});
afterAll(async () => {
  await proxy.close();
  await upstream.close();
  await database.drop();
});

const send = (raw: string) => fetch(`${proxy.url}/v1/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: raw });
const chat = (model: string) => send(JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }] }));

describe('a key allowed gpt-4o-mini*', () => {
  test('is served gpt-4o-mini, directly and through a pin', async () => {
    upstream.reset();
    expect((await chat('gpt-4o-mini')).status).toBe(200);
    expect((await chat('gpt-4o-mini-pool/gpt-4o-mini')).status).toBe(200);
    expect(upstream.calls('/v1/chat/completions').map((r) => r.body?.model)).toEqual(['gpt-4o-mini', 'gpt-4o-mini']);
  });

  test.each([
    ['an alias of gpt-4o', 'gpt-4o-mini-alias'],
    ['a provider pin whose provider name matches the list', 'gpt-4o-mini-pool/gpt-4o'],
    ['an alias of a pin', 'mini-by-pin'],
  ])('is refused gpt-4o reached through %s (403)', async (_, model) => {
    upstream.reset();
    const res = await chat(model);
    expect(res.status).toBe(403);
    const body = (await res.json()) as any;
    expect(body.error).toMatchObject({ code: 'insufficient_permissions', param: 'model', message: `This key may not use model 'gpt-4o' (requested as '${model}')` });
    expect(upstream.requests).toHaveLength(0);
  });

  test.each([
    ['plain', '{"model":"gpt-4o","model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}]}'],
    ['escaped', '{"model":"gpt-4o","mod\\u0065l":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}]}'],
  ])('a body naming "model" twice (%s) is refused (400) before anything is forwarded', async (_, raw) => {
    upstream.reset();
    const res = await send(raw);
    expect(res.status).toBe(400);
    expect(((await res.json()) as any).error).toMatchObject({ code: 'invalid_request', param: 'model' });
    expect(upstream.requests).toHaveLength(0);
  });

  test('refused requests are recorded and logged with the model they asked for (regression: model null)', async () => {
    const badBody = await send(JSON.stringify({ model: 'gpt-4o-mini-typo', messages: 'not a list' }));
    expect(badBody.status).toBe(400);
    const logs = async (model: string) => {
      const res = await fetch(`${proxy.url}/v1/logs?model=${encodeURIComponent(model)}`, { headers: { authorization: `Bearer ${ADMIN}` } });
      return ((await res.json()) as any).data as any[];
    };
    await expect.poll(async () => (await logs('gpt-4o-mini-typo')).map((r) => r.status), { timeout: 5000 }).toEqual([400]);
    await expect.poll(async () => (await logs('gpt-4o-mini-alias')).map((r) => r.status), { timeout: 5000 }).toContain(403);
  });

  test('"model" inside a message or a nested object is not a duplicate', async () => {
    const raw = '{"model":"gpt-4o-mini","messages":[{"role":"user","content":"{\\"model\\":\\"x\\"}","name":"model"}],"metadata":{"model":"y"}}';
    expect((await send(raw)).status).toBe(200);
  });
});
