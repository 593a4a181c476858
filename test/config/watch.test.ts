/* eslint-disable @typescript-eslint/no-explicit-any -- JSON answers are read back loosely in assertions */
import { appendFileSync, existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { chatStream, MockUpstream } from '../support/mock-openai.js';
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

async function start(doc: Record<string, unknown>): Promise<TestProxy> {
  const proxy = await startProxy(doc);
  proxies.push(proxy);
  return proxy;
}

const chat = (proxy: TestProxy, model: string, extra: Record<string, unknown> = {}) =>
  fetch(`${proxy.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }], ...extra }),
  });

const reload = async (proxy: TestProxy) => {
  const res = await fetch(`${proxy.url}/v1/config/reload`, { method: 'POST' });
  return { status: res.status, body: (await res.json()) as Record<string, any> };
};

const base = (extra: Record<string, unknown> = {}) => ({
  hot_reload: { enabled: false },
  providers: [mockProvider('alpha', alpha.url, { models: ['gpt-4o'] })],
  ...extra,
});

describe('POST /v1/config/reload', () => {
  test('a valid new config swaps in: added provider serves, changes and version reported', async () => {
    const proxy = await start(base());
    expect((await chat(proxy, 'beta-model')).status).toBe(404);
    writeFileSync(proxy.configFile, JSON.stringify(base({ providers: [mockProvider('alpha', alpha.url, { models: ['gpt-4o'], weight: 2 }), mockProvider('beta', beta.url, { models: ['beta-model'] })] })));
    const { status, body } = await reload(proxy);
    expect(status).toBe(200);
    expect(body).toMatchObject({ success: true, changes_detected: true, config_version: 2, restart_required: [] });
    expect(body.changes).toEqual(expect.arrayContaining(['provider added: beta', 'provider changed: alpha (weight)']));
    expect(body.reload_time_ms).toBeGreaterThanOrEqual(0);
    const res = await chat(proxy, 'beta-model');
    expect(res.status).toBe(200);
    expect(res.headers.get('x-proxy-provider')).toBe('beta');

    const again = await reload(proxy);
    expect(again.body).toMatchObject({ success: true, changes_detected: false, config_version: 2 });
  });

  test('an invalid config is rejected with its errors and the old one keeps serving', async () => {
    const proxy = await start(base());
    writeFileSync(proxy.configFile, JSON.stringify({ providers: [{ name: 'broken', type: 'nope', models: [] }] }));
    const { status, body } = await reload(proxy);
    expect(status).toBe(400);
    expect(body.success).toBe(false);
    expect(body.errors.join('\n')).toContain('providers[0].type');
    expect((await chat(proxy, 'gpt-4o')).status).toBe(200);
    const statusRes = (await (await fetch(`${proxy.url}/v1/config/status`)).json()) as Record<string, any>;
    expect(statusRes).toMatchObject({ status: 'error', providers_configured: 1, config_version: 1 });
    expect(statusRes.validation_errors.length).toBeGreaterThan(0);
    expect(statusRes.file_size_bytes).toBeGreaterThan(0);
    expect(statusRes.cache_status).toMatchObject({ enabled: false });
    const prom = await (await fetch(`${proxy.url}/metrics/prometheus`)).text();
    expect(prom).toContain('llm_proxy_config_reloads_total{result="failure"} 1');
  });

  test('host, port and other start-time settings are reported as needing a restart and keep their running value', async () => {
    const proxy = await start(base());
    const port = proxy.runtime.config.server.port;
    writeFileSync(proxy.configFile, JSON.stringify(base({ server: { port: 9999, host: '0.0.0.0' } })));
    const { body } = await reload(proxy);
    expect(body.success).toBe(true);
    expect(body.restart_required).toEqual(expect.arrayContaining(['server.host', 'server.port']));
    expect(body.message).toContain('restart needed');
    expect(proxy.runtime.config.server.port).toBe(port);
  });

  test('an in-flight stream survives a reload that removes its provider', async () => {
    const proxy = await start(base());
    const words = Array.from({ length: 8 }, (_, i) => ` w${i}`);
    alpha.enqueue({ stream: chatStream(words), gapMs: 30 });
    const res = await chat(proxy, 'gpt-4o', { stream: true });
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    const first = await reader.read();
    expect(new TextDecoder().decode(first.value)).toContain('chat.completion.chunk');

    writeFileSync(proxy.configFile, JSON.stringify(base({ providers: [mockProvider('beta', beta.url, { models: ['gpt-4o'] })] })));
    const { body } = await reload(proxy);
    expect(body.changes).toEqual(expect.arrayContaining(['provider removed: alpha', 'provider added: beta']));
    expect(proxy.runtime.provider('alpha')).toBeUndefined();

    let text = new TextDecoder().decode(first.value);
    for (;;) {
      const next = await reader.read();
      if (next.done) break;
      text += new TextDecoder().decode(next.value);
    }
    for (const word of words) expect(text).toContain(word);
    expect(text.trimEnd().endsWith('data: [DONE]')).toBe(true);
    expect(alpha.abortedRequests).toBe(0);
    // New requests go to the new provider.
    expect((await chat(proxy, 'gpt-4o')).headers.get('x-proxy-provider')).toBe('beta');
  });
});

describe('file watching', () => {
  test('a change to the config file is picked up without a request', async () => {
    const proxy = await start(base({ hot_reload: { enabled: true, debounce_ms: 20 } }));
    // chokidar needs a moment to arm its watcher.
    await new Promise((resolve) => setTimeout(resolve, 200));
    writeFileSync(proxy.configFile, JSON.stringify(base({ hot_reload: { enabled: true, debounce_ms: 20 }, providers: [mockProvider('alpha', alpha.url, { models: ['gpt-4o', 'watched-model'] })] })));
    await expect.poll(async () => (await chat(proxy, 'watched-model')).status, { timeout: 5000, interval: 50 }).toBe(200);
    expect(proxy.app.observability.reloader.version).toBe(2);
  });

  test('an edit of the model selections file is picked up too', async () => {
    const proxy = await start(base({ hot_reload: { enabled: true, debounce_ms: 20 }, providers: [mockProvider('alpha', alpha.url, { models: ['gpt-4o', 'gpt-4o-mini'] })] }));
    await new Promise((resolve) => setTimeout(resolve, 200));
    const file = proxy.app.observability.selections.path;
    mkdirSync(path.dirname(file), { recursive: true });
    const selection = (model: string) => ({ alpha: { model_name: model, editable: true, last_updated: new Date().toISOString() } });
    writeFileSync(file, JSON.stringify(selection('gpt-4o-mini')));
    await expect.poll(() => proxy.app.observability.selections.get('alpha')?.selected_model, { timeout: 5000, interval: 50 }).toBe('gpt-4o-mini');
    writeFileSync(file, JSON.stringify(selection('gpt-4o')));
    await expect.poll(() => proxy.app.observability.selections.get('alpha')?.selected_model, { timeout: 5000, interval: 50 }).toBe('gpt-4o');
    expect((await chat(proxy, 'alpha')).status).toBe(200);
    expect(alpha.calls('/v1/chat/completions').at(-1)?.body?.model).toBe('gpt-4o');
  });

  test('in a data_dir that exists at start (watched by name): a replace by rename is picked up, other files written there cause no reload', async () => {
    const proxy = await start(base({ hot_reload: { enabled: true, debounce_ms: 20 }, providers: [mockProvider('alpha', alpha.url, { models: ['gpt-4o', 'gpt-4o-mini'] })] }));
    const file = proxy.app.observability.selections.path;
    expect(existsSync(path.dirname(file))).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 200));
    const before = proxy.app.observability.reloader.version;
    // What SQLite does beside the selections file: many writes to files of its own.
    const wal = path.join(path.dirname(file), 'other.db-wal');
    for (let i = 0; i < 50; i++) appendFileSync(wal, 'x'.repeat(4096));
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(proxy.app.observability.reloader.version).toBe(before);
    // An editor's save: a temporary file renamed over the old one.
    const selection = { alpha: { model_name: 'gpt-4o-mini', editable: true, last_updated: new Date().toISOString() } };
    writeFileSync(`${file}.tmp`, JSON.stringify(selection));
    renameSync(`${file}.tmp`, file);
    await expect.poll(() => proxy.app.observability.selections.get('alpha')?.selected_model, { timeout: 5000, interval: 50 }).toBe('gpt-4o-mini');
    rmSync(wal);
  });

  test('a data_dir that does not exist at start is made and watched by name, not re-read by chokidar at every write beside the file', async () => {
    const proxy = await start(base({ data_dir: './state/not-yet', hot_reload: { enabled: true, debounce_ms: 20 }, providers: [mockProvider('alpha', alpha.url, { models: ['gpt-4o', 'gpt-4o-mini'] })] }));
    const file = proxy.app.observability.selections.path;
    const folder = path.dirname(file);
    expect(folder).toBe(path.join(path.dirname(proxy.configFile), 'state/not-yet'));
    expect(existsSync(folder)).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 200));
    // chokidar watches only the config file's folder and what leads to it: had it been given the
    // selections file, it would watch data_dir from its parent and re-read it on every SQLite write.
    const watched = Object.keys((proxy.app.observability.reloader as any).watcher.getWatched() as Record<string, string[]>);
    expect(watched.filter((dir) => dir === folder || dir.startsWith(`${folder}${path.sep}`))).toEqual([]);
    const selection = { alpha: { model_name: 'gpt-4o-mini', editable: true, last_updated: new Date().toISOString() } };
    writeFileSync(file, JSON.stringify(selection));
    await expect.poll(() => proxy.app.observability.selections.get('alpha')?.selected_model, { timeout: 5000, interval: 50 }).toBe('gpt-4o-mini');
  });
});
