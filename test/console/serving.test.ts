// How the console's files are served: the redirect to /ui/, the CSP, caching (a year for hashed assets,
// none for index.html), compression, the first-load payload, public files but admin-only data, and
// ui.enabled: false. Plus the traffic series endpoint.
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MockUpstream } from '../support/mock-openai.js';
import { mockProvider, startProxy, type TestProxy } from '../support/proxy.js';

const ADMIN = 'sk-admin-serving';
const CLIENT = 'sk-client-serving';

interface Raw {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** A GET whose body is kept as sent (compressed bytes are not decoded). */
function raw(url: string, headers: Record<string, string> = {}): Promise<Raw> {
  return new Promise((resolve, reject) => {
    request(url, { headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    })
      .on('error', reject)
      .end();
  });
}

let upstream: MockUpstream;
let proxy: TestProxy;

beforeAll(async () => {
  upstream = await MockUpstream.start();
  proxy = await startProxy({ auth: { api_keys: [CLIENT], admin_keys: [ADMIN] }, providers: [mockProvider('mock', upstream.url)] });
});

afterAll(async () => {
  await proxy.close();
  await upstream.close();
});

/** Every file index.html makes the browser load. */
function referenced(html: string): string[] {
  return [...new Set([...html.matchAll(/(?:href|src)="(assets\/[^"]+)"/g)].map((m) => m[1]))];
}

describe('console files', () => {
  it('redirects /ui to /ui/ with a relative location (so a path prefix survives)', async () => {
    const res = await raw(`${proxy.url}/ui`);
    expect(res.status).toBe(308);
    expect(res.headers.location).toBe('ui/');
  });

  it('serves index.html to anyone, uncached, under a CSP without inline scripts', async () => {
    const res = await raw(`${proxy.url}/ui/`);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.headers['cache-control']).toBe('no-cache');
    const csp = String(res.headers['content-security-policy']);
    expect(csp).toMatch(/script-src 'self' 'sha256-[A-Za-z0-9+/=]+'/);
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).not.toContain('unsafe-eval');
    expect(csp).toContain("frame-ancestors 'none'");
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    // The one inline script is the import map, allowed by its hash.
    const html = res.body.toString('utf8');
    const scripts = [...html.matchAll(/<script([^>]*)>([^<]*)<\/script>/g)];
    expect(scripts.filter((s) => s[2].trim() !== '').map((s) => s[1].trim())).toEqual(['type="importmap"']);
    const again = await raw(`${proxy.url}/ui/`, { 'if-none-match': String(res.headers.etag) });
    expect(again.status).toBe(304);
  });

  it('serves every asset with a year of immutable cache, compressed, within 150 kB gzipped in all', async () => {
    const html = (await raw(`${proxy.url}/ui/`)).body;
    const files = referenced(html.toString('utf8'));
    expect(files.length).toBeGreaterThan(10);
    let gzipped = (await raw(`${proxy.url}/ui/`, { 'accept-encoding': 'gzip' })).body.length;
    for (const file of files) {
      const res = await raw(`${proxy.url}/ui/${file}`, { 'accept-encoding': 'gzip' });
      expect(res.status, file).toBe(200);
      expect(res.headers['cache-control'], file).toBe('public, max-age=31536000, immutable');
      if (res.body.length > 1024) expect(res.headers['content-encoding'], file).toBe('gzip');
      gzipped += res.body.length;
    }
    console.log(`console first load: ${files.length + 1} files, ${(gzipped / 1024).toFixed(1)} kB gzipped`);
    expect(gzipped).toBeLessThanOrEqual(150 * 1024);
    const js = await raw(`${proxy.url}/ui/${files.find((f) => f.endsWith('main.js'))}`);
    expect(js.headers['content-type']).toMatch(/^(text|application)\/javascript/);
  });

  it('answers 404 for files it does not serve, and for an older release path', async () => {
    const files = referenced((await raw(`${proxy.url}/ui/`)).body.toString('utf8'));
    const base = files[0].split('/').slice(0, 2).join('/');
    expect((await raw(`${proxy.url}/ui/${base}/vendor/preact.mjs.map`)).status).toBe(404);
    expect((await raw(`${proxy.url}/ui/${base}/index.html`)).status).toBe(404);
    const traversal = await raw(`${proxy.url}/ui/${base}/..%2f..%2f..%2fpackage.json`);
    expect(traversal.status).toBeGreaterThanOrEqual(400);
    expect(traversal.body.toString()).not.toContain('llm-proxy');
    expect((await raw(`${proxy.url}/ui/assets/000000000000/main.js`)).status).toBe(404);
  });

  it('keeps the data behind admin keys: the series endpoint refuses a client key and no key', async () => {
    expect((await fetch(`${proxy.url}/v1/console/timeseries`)).status).toBe(401);
    const client = await fetch(`${proxy.url}/v1/console/timeseries`, { headers: { authorization: `Bearer ${CLIENT}` } });
    expect(client.status).toBe(403);
    expect(((await client.json()) as { error: { code: string } }).error.code).toBe('insufficient_permissions');
  });
});

describe('traffic series', () => {
  const series = async (window?: string) => {
    const res = await fetch(`${proxy.url}/v1/console/timeseries${window ? `?window=${window}` : ''}`, { headers: { authorization: `Bearer ${ADMIN}` } });
    return { status: res.status, body: (await res.json()) as Record<string, any> }; // eslint-disable-line @typescript-eslint/no-explicit-any
  };

  it('counts model requests, their errors, tokens and latency, and nothing else', async () => {
    const before = (await series('15m')).body.totals;
    const chat = (body: unknown) => fetch(`${proxy.url}/v1/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${CLIENT}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    for (let i = 0; i < 3; i++) expect((await chat({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] })).status).toBe(200);
    upstream.enqueue({ status: 500, body: { error: { message: 'boom' } } }, { status: 500, body: { error: { message: 'boom' } } });
    expect((await chat({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] })).status).toBeGreaterThanOrEqual(500);
    expect((await chat({ model: 'gpt-4o' })).status).toBe(400);
    await fetch(`${proxy.url}/health`, { headers: { authorization: `Bearer ${CLIENT}` } });
    const { status, body } = await series('15m');
    expect(status).toBe(200);
    expect(body).toMatchObject({ object: 'timeseries', window: '15m', step_s: 10, source: 'memory' });
    expect(body.totals.requests - before.requests).toBe(5);
    expect(body.totals.errors - before.errors).toBe(1);
    expect(body.totals.client_errors - before.client_errors).toBe(1);
    expect(body.totals.input_tokens - before.input_tokens).toBe(27);
    expect(body.totals.p95_ms).toBeGreaterThan(0);
    const c = body.columns;
    // From the step the proxy started in (it started moments ago) to the current one.
    const steps = c.t.length;
    expect(steps).toBeGreaterThanOrEqual(1);
    expect(steps).toBeLessThanOrEqual(90);
    expect(c.t[0]).toBe(Math.floor(Date.parse(body.since) / 10_000) * 10);
    for (const column of Object.values(c) as unknown[][]) expect(column.length).toBe(steps);
    expect(c.requests.reduce((a: number, b: number) => a + b, 0)).toBe(body.totals.requests);
  });

  it('reads the last week from the ledger, and refuses an unknown window', async () => {
    await proxy.app.ledger.flush();
    const week = await series('7d');
    expect(week.status).toBe(200);
    expect(week.body).toMatchObject({ source: 'ledger', step_s: 3600, since: null });
    expect(week.body.columns.t.length).toBe(168);
    expect(week.body.totals.requests).toBeGreaterThanOrEqual(5);
    expect(week.body.columns.p50_ms.every((v: unknown) => v === null)).toBe(true);
    expect(week.body.totals.avg_ms).toBeGreaterThan(0);
    const bad = await series('2y');
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatchObject({ code: 'invalid_request', param: 'window' });
  });
});

describe('ui.enabled: false', () => {
  it('serves neither the console nor its series', async () => {
    const off = await startProxy({ ui: { enabled: false }, providers: [mockProvider('mock', upstream.url)] });
    try {
      expect((await raw(`${off.url}/ui/`)).status).toBe(404);
      expect((await fetch(`${off.url}/v1/console/timeseries`)).status).toBe(404);
    } finally {
      await off.close();
    }
  });
});
