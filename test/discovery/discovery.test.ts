/* eslint-disable @typescript-eslint/no-explicit-any -- JSON answers are read back loosely */
// Provider discovery against real sources: a file and an HTTP registry that change between polls
// (added, removed and changed providers start and stop serving real requests), a registry that fails
// (the last good list is kept), and DNS through a server of the test's own, turning 1 → 3 → 2
// addresses into endpoints that share the traffic.
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { TestDns } from '../support/dns-server.js';
import { chatCompletion, MockUpstream } from '../support/mock-openai.js';
import { mockProvider, startProxy, type TestProxy } from '../support/proxy.js';

const json = async (res: Response) => (await res.json()) as any;
const chat = (proxy: TestProxy, model: string) =>
  fetch(`${proxy.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }] }) });
const providers = async (proxy: TestProxy) => (await json(await fetch(`${proxy.url}/providers`))).providers as Array<{ name: string; source: string; enabled: boolean }>;
const names = async (proxy: TestProxy, source: string) => (await providers(proxy)).filter((p) => p.source === source).map((p) => p.name).sort();

let alpha: MockUpstream;
let beta: MockUpstream;
beforeAll(async () => {
  alpha = await MockUpstream.start('alpha');
  beta = await MockUpstream.start('beta');
});
afterAll(async () => {
  await alpha.close();
  await beta.close();
});

describe('file source', () => {
  test('providers added, changed and removed in a watched file start and stop serving; invalid entries are skipped', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'llm-proxy-discovery-'));
    const file = path.join(dir, 'providers.json');
    writeFileSync(
      file,
      JSON.stringify([
        mockProvider('found-a', alpha.url, { models: ['model-a'] }),
        { name: 'broken', type: 'openai_compatible', base_url: alpha.url },
        mockProvider('leaky', alpha.url, { api_key: 'sk-should-not-be-here' }),
      ]),
    );
    const proxy = await startProxy({ hot_reload: { enabled: false }, discovery: { interval: 60, sources: [{ type: 'file', path: file }] }, providers: [mockProvider('static', beta.url, { models: ['static-model'] })] });
    try {
      await expect.poll(() => names(proxy, 'file'), { timeout: 5000 }).toEqual(['found-a']);
      expect((await providers(proxy)).find((p) => p.name === 'static')?.source).toBe('config');
      const res = await chat(proxy, 'model-a');
      expect(res.status).toBe(200);
      expect(res.headers.get('x-proxy-provider')).toBe('found-a');

      const discover = await json(await fetch(`${proxy.url}/discover`, { method: 'POST' }));
      const state = discover.discovery.sources[0];
      expect(state).toMatchObject({ type: 'file', target: file, providers: ['found-a'], last_error: null });
      expect(state.skipped).toEqual([
        { path: `${file}[1]`, problems: [expect.stringContaining('models')] },
        { path: `${file}[2]`, problems: ['api_key: keys are given only by environment variable name (api_key_env), never as values'] },
      ]);
      // A configuration reload that changes the providers keeps the discovered ones beside the file's.
      const doc = JSON.parse(readFileSync(proxy.configFile, 'utf8'));
      writeFileSync(proxy.configFile, JSON.stringify({ ...doc, providers: [...doc.providers, mockProvider('static-2', beta.url, { models: ['static-2'] })] }));
      expect((await json(await fetch(`${proxy.url}/v1/config/reload`, { method: 'POST' }))).changes).toEqual(['provider added: static-2']);
      expect(await names(proxy, 'file')).toEqual(['found-a']);
      expect(await names(proxy, 'config')).toEqual(['static', 'static-2']);
      expect((await chat(proxy, 'model-a')).status).toBe(200);

      // Changed (now served by beta) and a new one, as a name → entry map (ProxyAPI's provider file shape).
      writeFileSync(file, JSON.stringify({ 'found-a': { type: 'openai_compatible', base_url: `${beta.url}/v1`, models: ['model-a'], max_retries: 0 }, 'found-b': { type: 'openai_compatible', base_url: `${alpha.url}/v1`, models: ['model-b'] } }));
      await expect.poll(() => names(proxy, 'file'), { timeout: 5000 }).toEqual(['found-a', 'found-b']);
      beta.reset();
      expect((await chat(proxy, 'model-a')).status).toBe(200);
      expect(beta.calls('/v1/chat/completions')).toHaveLength(1);
      expect((await chat(proxy, 'model-b')).headers.get('x-proxy-provider')).toBe('found-b');

      writeFileSync(file, JSON.stringify({ providers: [] }));
      await expect.poll(() => names(proxy, 'file'), { timeout: 5000 }).toEqual([]);
      expect((await chat(proxy, 'model-a')).status).toBe(404);
      const changes = (await json(await fetch(`${proxy.url}/discover`, { method: 'POST' }))).discovery.recent_changes;
      expect(changes.map((c: any) => [c.added, c.removed, c.changed])).toEqual([
        [['found-a'], [], []],
        [['found-b'], [], ['found-a']],
        [[], ['found-a', 'found-b'], []],
      ]);
    } finally {
      await proxy.close();
    }
  });
});

describe('http registry', () => {
  let registry: Server;
  let url = '';
  let body: unknown = [];
  let failing = false;
  const seen: Array<{ status: number; etag: string | undefined }> = [];
  beforeAll(async () => {
    registry = createServer((req, res) => {
      const text = JSON.stringify(body);
      const etag = `"${createHash('sha1').update(text).digest('hex')}"`;
      const status = failing ? 500 : req.headers['if-none-match'] === etag ? 304 : 200;
      seen.push({ status, etag: req.headers['if-none-match'] });
      if (status === 500) res.writeHead(500).end('registry down');
      else if (status === 304) res.writeHead(304, { etag }).end();
      else res.writeHead(200, { 'content-type': 'application/json', etag }).end(text);
    });
    await new Promise<void>((resolve) => registry.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(registry.address() as { port: number }).port}/providers`;
  });
  afterAll(() => new Promise<void>((resolve) => registry.close(() => resolve())));

  test('polled every interval with ETags; a failing registry keeps the last good list and is counted', async () => {
    body = [mockProvider('reg-a', alpha.url, { models: ['reg-model'] })];
    const proxy = await startProxy({ hot_reload: { enabled: false }, discovery: { provider_registry_url: url, provider_discovery_interval: 0.2 }, providers: [mockProvider('static', beta.url, { models: ['x'] })] });
    try {
      await expect.poll(() => names(proxy, 'http'), { timeout: 5000 }).toEqual(['reg-a']);
      await expect.poll(() => seen.filter((s) => s.status === 304).length, { timeout: 5000 }).toBeGreaterThan(0);
      expect((await chat(proxy, 'reg-model')).headers.get('x-proxy-provider')).toBe('reg-a');

      body = [mockProvider('reg-b', beta.url, { models: ['reg-model'] })];
      await expect.poll(() => names(proxy, 'http'), { timeout: 5000 }).toEqual(['reg-b']);
      expect((await chat(proxy, 'reg-model')).headers.get('x-proxy-provider')).toBe('reg-b');

      failing = true;
      const before = seen.length;
      await expect.poll(() => seen.length - before, { timeout: 5000 }).toBeGreaterThan(2);
      expect(await names(proxy, 'http')).toEqual(['reg-b']);
      expect((await chat(proxy, 'reg-model')).status).toBe(200);
      const state = (await json(await fetch(`${proxy.url}/discover?dry_run=true`, { method: 'POST' }))).discovery.sources[0];
      expect(state.last_error).toContain('HTTP 500');
      expect(state.providers).toEqual(['reg-b']);
      const metrics = await (await fetch(`${proxy.url}/metrics/prometheus`)).text();
      expect(metrics).toMatch(/llm_proxy_discovery_runs_total\{source="http",result="failure"\} [1-9]/);
      expect(metrics).toMatch(/llm_proxy_discovery_runs_total\{source="http",result="success"\} [1-9]/);
      failing = false;
    } finally {
      await proxy.close();
    }
  });
});

describe('dns', () => {
  let dns: TestDns;
  const servers: Server[] = [];
  const hits = new Map<string, number>();
  let port = 0;

  beforeAll(async () => {
    dns = await TestDns.start();
    // One OpenAI-format endpoint on each of 127.0.0.2–4, all on the same port, as replicas behind a headless Service.
    for (const address of ['127.0.0.2', '127.0.0.3', '127.0.0.4']) {
      const server = createServer((req, res) => {
        req.resume();
        req.on('end', () => {
          hits.set(address, (hits.get(address) ?? 0) + 1);
          res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(chatCompletion(`from ${address}`)));
        });
      });
      await new Promise<void>((resolve) => server.listen(port, address, resolve));
      port = (server.address() as { port: number }).port;
      servers.push(server);
    }
  });
  afterAll(async () => {
    await dns.close();
    for (const server of servers) await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  const spread = async (proxy: TestProxy, requests: number) => {
    hits.clear();
    for (let i = 0; i < requests; i++) expect((await chat(proxy, 'llama-3')).status).toBe(200);
    return [...hits.keys()].sort();
  };

  test('each address of the name becomes an endpoint; scaling 1 → 3 → 2 replicas needs no config change', async () => {
    dns.records.set('vllm.models.test', ['127.0.0.2']);
    const proxy = await startProxy({
      hot_reload: { enabled: false },
      discovery: {
        interval: 0.2,
        sources: [{ type: 'dns', name: 'vllm.models.test', port, servers: [dns.server], template: { name: 'vllm', models: ['llama-*'], max_retries: 0, timeout: 5 } }],
      },
      providers: [mockProvider('static', beta.url, { models: ['other'] })],
    });
    const endpoint = (address: string) => `vllm-${address}-${port}`;
    try {
      await expect.poll(() => names(proxy, 'dns'), { timeout: 5000 }).toEqual([endpoint('127.0.0.2')]);
      expect(await spread(proxy, 5)).toEqual(['127.0.0.2']);

      dns.records.set('vllm.models.test', ['127.0.0.2', '127.0.0.3', '127.0.0.4']);
      await expect.poll(() => names(proxy, 'dns'), { timeout: 5000 }).toEqual(['127.0.0.2', '127.0.0.3', '127.0.0.4'].map(endpoint));
      expect(await spread(proxy, 45)).toEqual(['127.0.0.2', '127.0.0.3', '127.0.0.4']);

      dns.records.set('vllm.models.test', ['127.0.0.3', '127.0.0.4']);
      await expect.poll(() => names(proxy, 'dns'), { timeout: 5000 }).toEqual(['127.0.0.3', '127.0.0.4'].map(endpoint));
      expect(await spread(proxy, 30)).toEqual(['127.0.0.3', '127.0.0.4']);
      // Each endpoint has its own health and breaker, like any provider.
      const status = await json(await fetch(`${proxy.url}/status/${endpoint('127.0.0.3')}`));
      expect(status).toMatchObject({ source: 'dns', enabled: true });

      // The name vanishing (NXDOMAIN) is a failed run: the endpoints are kept.
      dns.records.delete('vllm.models.test');
      const queries = dns.queries;
      await expect.poll(() => dns.queries - queries, { timeout: 5000 }).toBeGreaterThan(2);
      expect(await names(proxy, 'dns')).toEqual(['127.0.0.3', '127.0.0.4'].map(endpoint));
    } finally {
      await proxy.close();
    }
  });
});
