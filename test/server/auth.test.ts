import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { buildKeyRing } from '../../src/server/auth.js';
import { MockUpstream } from '../support/mock-openai.js';
import { mockProvider, startProxy, type TestProxy } from '../support/proxy.js';

let mock: MockUpstream;
let proxy: TestProxy;

beforeAll(async () => {
  mock = await MockUpstream.start('a');
  proxy = await startProxy(
    { auth: { api_keys: ['client-key'], api_key_header: 'X-Custom-Key' }, providers: [mockProvider('a', mock.url)] },
    { PROXY_API_PROXY_API_KEYS: '["env-key-1","env-key-2"]' },
  );
});

afterAll(async () => {
  await proxy.close();
  await mock.close();
});

const models = (headers: Record<string, string> = {}) => fetch(`${proxy.url}/v1/models`, { headers });

describe('auth', () => {
  test('no key: 401 unauthorized in the OpenAI error shape', async () => {
    const res = await models();
    expect(res.status).toBe(401);
    const body = await res.json();
    expect(body.error).toMatchObject({ code: 'unauthorized', type: 'authentication_error' });
    expect(res.headers.get('x-request-id')).toBeTruthy();
  });

  test('a wrong key: 401', async () => {
    expect((await models({ authorization: 'Bearer nope' })).status).toBe(401);
    expect((await models({ 'x-custom-key': 'nope' })).status).toBe(401);
  });

  test('a key in Authorization without Bearer is told how to send it (regression: "Missing API key")', async () => {
    for (const value of ['client-key', 'Basic client-key', 'Token client-key']) {
      const res = await models({ authorization: value });
      expect(res.status).toBe(401);
      expect(((await res.json()) as { error: { message: string } }).error.message).toBe(
        "The Authorization header must read 'Bearer <key>' (the word Bearer, a space, then the key); or send the key alone in the 'X-Custom-Key' header",
      );
    }
  });

  test('an unknown model is answered with the nearest names the providers serve', async () => {
    const named = await startProxy({ hot_reload: { enabled: false }, providers: [mockProvider('a', mock.url, { models: ['gpt-4o', 'gpt-4o-mini', 'text-embedding-3-small'] })] });
    try {
      const ask = (model: string) => fetch(`${named.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }] }) });
      const res = await ask('gpt-4-o');
      expect(res.status).toBe(404);
      expect(((await res.json()) as { error: { message: string } }).error).toMatchObject({ code: 'model_not_found', message: "Model 'gpt-4-o' is not supported by any available provider; did you mean 'gpt-4o'? (GET /v1/models lists them)" });
      const far = (await (await ask('llama-70b')).json()) as { error: { message: string } };
      expect(far.error.message).toBe("Model 'llama-70b' is not supported by any available provider (GET /v1/models lists the models available)");
    } finally {
      await named.close();
    }
  });

  test('Authorization: Bearer and the configured header both work', async () => {
    expect((await models({ authorization: 'Bearer client-key' })).status).toBe(200);
    expect((await models({ 'X-Custom-Key': 'client-key' })).status).toBe(200);
  });

  test('keys from PROXY_API_PROXY_API_KEYS are accepted alongside the file', async () => {
    expect((await models({ authorization: 'Bearer env-key-2' })).status).toBe(200);
  });

  test('the key ring holds SHA-256 digests only, admin keys counting as client keys', () => {
    const ring = buildKeyRing({ api_keys: ['client-key'], admin_keys: ['admin-key'], api_key_header: 'X-API-Key', public_paths: [] });
    expect(ring.client).toHaveLength(2);
    expect(ring.admin).toHaveLength(1);
    for (const digest of [...ring.client, ...ring.admin]) expect(digest).toHaveLength(32);
    expect(ring.client.map((d) => d.toString('hex'))).toContain(createHash('sha256').update('client-key').digest('hex'));
    expect(JSON.stringify(ring)).not.toContain('client-key');
  });

  test('public paths need no key; other operational paths do', async () => {
    expect((await fetch(`${proxy.url}/health/live`)).status).toBe(200);
    expect((await fetch(`${proxy.url}/health/ready`)).status).toBe(200);
    expect((await fetch(`${proxy.url}/providers`)).status).toBe(401);
  });

  test('the upstream never sees the client key', async () => {
    await fetch(`${proxy.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: 'Bearer client-key', 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'x' }] }),
    });
    expect(JSON.stringify(mock.requests[0].headers)).not.toContain('client-key');
  });
});
