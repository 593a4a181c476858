/* eslint-disable @typescript-eslint/no-explicit-any -- JSON answers are read back loosely in assertions */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { MockUpstream } from '../support/mock-openai.js';
import { mockProvider, startProxy, type TestProxy } from '../support/proxy.js';

let alpha: MockUpstream;
let beta: MockUpstream;
const proxies: TestProxy[] = [];

beforeAll(async () => {
  alpha = await MockUpstream.start('alpha');
  beta = await MockUpstream.start('beta');
});
afterEach(async () => {
  while (proxies.length) await proxies.pop()!.close();
  alpha.reset();
  beta.reset();
});
afterAll(async () => {
  await alpha.close();
  await beta.close();
});

const doc = () => ({
  hot_reload: { enabled: false },
  model_overrides: { 'gpt-4o-mini': { context_window: 4242 } },
  providers: [
    mockProvider('alpha', alpha.url, { models: ['gpt-4o', 'gpt-4o-mini', 'alpha-*'] }),
    mockProvider('beta', beta.url, { models: ['beta-large', 'beta-small'], priority: 2 }),
  ],
});

async function start(): Promise<TestProxy> {
  const proxy = await startProxy(doc());
  proxies.push(proxy);
  return proxy;
}

const call = async (proxy: TestProxy, method: string, url: string, body?: unknown) => {
  const res = await fetch(`${proxy.url}${url}`, { method, headers: body === undefined ? {} : { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, any> };
};

describe('provider models', () => {
  test('live list merged with configured models, cached with a TTL, refreshed on demand', async () => {
    const proxy = await start();
    const first = await call(proxy, 'GET', '/v1/providers/alpha/models');
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ provider: 'alpha', object: 'list', total: 2, cached: false, selected_model: null, live_error: null });
    const byId = Object.fromEntries(first.body.data.map((m: { id: string }) => [m.id, m]));
    expect(byId['gpt-4o']).toMatchObject({ source: 'both', context_window: 128000, max_tokens: 16384, selected: false });
    expect(byId['gpt-4o'].capabilities).toContain('chat');
    expect(byId['gpt-4o-mini']).toMatchObject({ source: 'config', context_window: 4242 });
    expect(first.body.last_refresh).not.toBeNull();

    const second = await call(proxy, 'GET', '/v1/providers/alpha/models');
    expect(second.body.cached).toBe(true);
    expect(alpha.calls('/v1/models')).toHaveLength(1);

    const refreshed = await call(proxy, 'POST', '/v1/providers/alpha/models/refresh');
    expect(refreshed.body.cached).toBe(false);
    expect(alpha.calls('/v1/models')).toHaveLength(2);

    expect((await call(proxy, 'GET', '/v1/providers/alpha/models/gpt-4o')).body).toMatchObject({ id: 'gpt-4o', provider: 'alpha', cached: true });
    expect((await call(proxy, 'GET', '/v1/providers/alpha/models/nope')).status).toBe(404);
    expect((await call(proxy, 'GET', '/v1/providers/nobody/models')).status).toBe(404);
  });
});

describe('model selection', () => {
  test('persisted atomically, becomes the provider default model, survives a restart', async () => {
    const proxy = await start();
    const put = await call(proxy, 'PUT', '/v1/providers/beta/model_selection', { selected_model: 'beta-small', priority: 0, max_tokens: 77, temperature: 0.2 });
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({ provider: 'beta', selected_model: 'beta-small', editable: true, priority: 0, max_tokens: 77, temperature: 0.2 });
    const file = path.join(path.dirname(proxy.configFile), 'data', 'model_selections.json');
    expect(put.body.file).toBe(file);
    // ProxyAPI's documented format: provider → { model_name, editable, last_updated, … }.
    const written = JSON.parse(readFileSync(file, 'utf8'));
    expect(written).toEqual({ beta: { model_name: 'beta-small', editable: true, last_updated: expect.any(String), priority: 0, max_tokens: 77, temperature: 0.2 } });
    expect(Number.isNaN(Date.parse(written.beta.last_updated))).toBe(false);

    // Validation: unknown model, bad fields, unknown provider.
    expect((await call(proxy, 'PUT', '/v1/providers/beta/model_selection', { selected_model: 'not-served' })).status).toBe(400);
    expect((await call(proxy, 'PUT', '/v1/providers/beta/model_selection', { selected_model: 'beta-small', temperature: 9 })).body.error.param).toBe('temperature');
    expect((await call(proxy, 'PUT', '/v1/providers/nobody/model_selection', { selected_model: 'x' })).status).toBe(404);
    // A glob in the configuration covers the model.
    expect((await call(proxy, 'PUT', '/v1/providers/alpha/model_selection', { selected_model: 'alpha-custom', priority: 5 })).status).toBe(200);

    // "beta" and "beta/default" go to beta with the selected model and its defaults; "default" to the lowest priority selection.
    for (const model of ['beta', 'beta/default', 'default']) {
      const res = await call(proxy, 'POST', '/v1/chat/completions', { model, messages: [{ role: 'user', content: 'hi' }] });
      expect(res.status).toBe(200);
      expect(res.headers.get('x-proxy-provider')).toBe('beta');
    }
    const sent = beta.calls('/v1/chat/completions').map((c) => c.body);
    expect(sent.every((b) => b?.model === 'beta-small' && b.max_tokens === 77 && b.temperature === 0.2)).toBe(true);
    // A request naming its own parameters keeps them.
    await call(proxy, 'POST', '/v1/chat/completions', { model: 'beta', max_tokens: 5, messages: [{ role: 'user', content: 'hi' }] });
    expect(beta.calls('/v1/chat/completions').at(-1)?.body?.max_tokens).toBe(5);
    expect((await call(proxy, 'GET', '/v1/providers/beta/models')).body.selected_model).toBe('beta-small');

    const again = await startProxy({ ...doc(), model_management: { selections_file: file } });
    proxies.push(again);
    expect((await call(again, 'GET', '/v1/providers/beta/model_selection')).body).toMatchObject({ selected_model: 'beta-small', max_tokens: 77 });
  });

  test('a selection with editable: false cannot be changed through the API', async () => {
    const proxy = await start();
    expect((await call(proxy, 'PUT', '/v1/providers/beta/model_selection', { selected_model: 'beta-small', editable: false })).status).toBe(200);
    const refused = await call(proxy, 'PUT', '/v1/providers/beta/model_selection', { selected_model: 'beta-large' });
    expect(refused.status).toBe(400);
    expect(refused.body.error.message).toContain('not editable');
  });

  /** Starts a proxy on a selections file holding `content`. */
  async function startOn(content: unknown): Promise<{ proxy: TestProxy; file: string }> {
    const probe = await start();
    const dir = path.join(path.dirname(probe.configFile), 'config');
    const file = path.join(dir, 'model_selections.json');
    await probe.close();
    proxies.pop();
    mkdirSync(dir, { recursive: true });
    writeFileSync(file, JSON.stringify(content));
    const proxy = await startProxy({ ...doc(), model_management: { selections_file: file } });
    proxies.push(proxy);
    await proxy.app.observability.selections.flushed();
    return { proxy, file };
  }

  async function routesTo(proxy: TestProxy, model: string): Promise<void> {
    const res = await call(proxy, 'POST', '/v1/chat/completions', { model: 'beta', messages: [{ role: 'user', content: 'hi' }] });
    expect(res.status).toBe(200);
    expect(beta.calls('/v1/chat/completions').at(-1)?.body?.model).toBe(model);
  }

  test("ProxyAPI's documented format is read as is, extra fields kept when the file is written again", async () => {
    const documented = {
      beta: { model_name: 'beta-large', editable: true, last_updated: '2025-09-12T03:54:29.931051', priority: 2, max_tokens: 300, temperature: 0.5, notes: 'kept' },
      alpha: { model_name: 'gpt-4o-mini', editable: false, last_updated: '2025-09-12T03:54:29.931051' },
    };
    const { proxy, file } = await startOn(documented);
    expect(existsSync(`${file}.legacy`)).toBe(false);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual(documented);
    expect((await call(proxy, 'GET', '/v1/providers/beta/model_selection')).body).toMatchObject({
      selected_model: 'beta-large', editable: true, priority: 2, max_tokens: 300, temperature: 0.5, updated_at: '2025-09-12T03:54:29.931051',
    });
    await routesTo(proxy, 'beta-large');
    expect((await call(proxy, 'PUT', '/v1/providers/alpha/model_selection', { selected_model: 'gpt-4o' })).body.error.message).toContain('not editable');

    expect((await call(proxy, 'PUT', '/v1/providers/beta/model_selection', { selected_model: 'beta-small', priority: 1 })).status).toBe(200);
    const rewritten = JSON.parse(readFileSync(file, 'utf8'));
    expect(rewritten.beta).toEqual({ model_name: 'beta-small', editable: true, last_updated: expect.any(String), priority: 1, notes: 'kept' });
    expect(rewritten.alpha).toEqual(documented.alpha);
  });

  test('a legacy {"provider": "model"} file is migrated to the documented format, with a .legacy backup', async () => {
    const { proxy, file } = await startOn({ beta: 'beta-large' });
    expect(JSON.parse(readFileSync(`${file}.legacy`, 'utf8'))).toEqual({ beta: 'beta-large' });
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ beta: { model_name: 'beta-large', editable: true, last_updated: expect.any(String) } });
    await routesTo(proxy, 'beta-large');
  });

  test("llm-proxy's former {version, selections} file is migrated to the documented format, with a .legacy backup", async () => {
    const former = { version: 1, selections: { beta: { selected_model: 'beta-small', editable: true, priority: 0, max_tokens: 77, temperature: null, updated_at: '2026-01-01T00:00:00.000Z' } } };
    const { proxy, file } = await startOn(former);
    expect(JSON.parse(readFileSync(`${file}.legacy`, 'utf8'))).toEqual(former);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ beta: { model_name: 'beta-small', editable: true, last_updated: '2026-01-01T00:00:00.000Z', priority: 0, max_tokens: 77 } });
    await routesTo(proxy, 'beta-small');
  });

  test('an invalid file is reported and leaves the selections empty, never half-read', async () => {
    const { proxy, file } = await startOn({ beta: { model_name: '', editable: 'yes' } });
    expect((await call(proxy, 'GET', '/v1/providers/beta/model_selection')).status).toBe(404);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ beta: { model_name: '', editable: 'yes' } });
  });
});
