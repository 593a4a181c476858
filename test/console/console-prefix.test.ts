// The console behind a reverse proxy that serves the gateway under /gateway/ and nothing else: every URL
// the console uses (assets, import map, API calls, the redirect) must be relative for it to work.
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser } from '../support/browser.js';
import { MockUpstream } from '../support/mock-openai.js';
import { mockProvider, startProxy, type TestProxy } from '../support/proxy.js';

const ADMIN = 'sk-admin-prefix-test';

let upstream: MockUpstream;
let proxy: TestProxy;
let browser: Browser;

beforeAll(async () => {
  upstream = await MockUpstream.start();
  proxy = await startProxy({ auth: { api_keys: [], admin_keys: [ADMIN] }, providers: [mockProvider('mock', upstream.url)], request_logs: { flush_interval_ms: 50 } });
  const chat = await fetch(`${proxy.url}/v1/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' }, body: JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] }) });
  expect(chat.status).toBe(200);
  await proxy.app.ledger.flush();
  browser = await launchBrowser();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await proxy?.close();
  await upstream?.close();
});

describe('operator console behind a reverse proxy at /gateway/', () => {
  let gateway: Server;
  let seen: string[];

  beforeAll(async () => {
    seen = [];
    const target = new URL(proxy.url);
    // Serves only /gateway/…, forwarded without the prefix: every URL the console uses must be relative.
    gateway = createServer((req, res) => {
      seen.push(req.url ?? '');
      if (!req.url?.startsWith('/gateway/')) {
        res.writeHead(404).end('outside the prefix');
        return;
      }
      const upstreamReq = request({ host: target.hostname, port: target.port, method: req.method, path: req.url.slice('/gateway'.length), headers: req.headers }, (upstreamRes) => {
        res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.headers);
        upstreamRes.pipe(res);
      });
      req.pipe(upstreamReq);
    });
    await new Promise<void>((resolve) => gateway.listen(0, '127.0.0.1', resolve));
  });

  afterAll(async () => {
    gateway.closeAllConnections();
    await new Promise((resolve) => gateway.close(resolve));
  });

  it('signs in and shows the overview with every request under the prefix', async () => {
    const port = (gateway.address() as AddressInfo).port;
    const prefixed = await browser.newPage();
    await prefixed.goto(`http://127.0.0.1:${port}/gateway/ui`);
    await prefixed.getByLabel('Admin key').fill(ADMIN);
    await prefixed.getByRole('button', { name: 'Sign in' }).click();
    await prefixed.locator('[data-testid=charts]').waitFor();
    await prefixed.getByRole('link', { name: 'Logs' }).click();
    await prefixed.locator('table.logs tbody tr').first().waitFor();
    expect(prefixed.url()).toBe(`http://127.0.0.1:${port}/gateway/ui/#/logs`);
    expect(seen.filter((url) => !url.startsWith('/gateway/'))).toEqual([]);
    expect(seen).toContain('/gateway/v1/console/timeseries?window=15m');
    await prefixed.close();
  });
});
