/* eslint-disable @typescript-eslint/no-explicit-any -- page data is read back loosely */
// The console's layout in headless Chromium at 1280 and 390 px. Regressions: at 1280 px Logs and Keys
// cells broke inside words (`/v1/chat/completion` / `s`) while other columns had room; the overview's
// x-axis labels collided (`12/4/26 2:06pm2:07pm`); cost axes mixed `$1.00` and `$0.5000`; at 390 px
// the Providers tables were clipped; the log detail showed a team's id where its name is known.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { artifactPath, launchBrowser } from '../support/browser.js';
import { MockUpstream } from '../support/mock-openai.js';
import { mockProvider, startProxy, type TestProxy } from '../support/proxy.js';

const ADMIN = 'sk-admin-console-layout';
let upstream: MockUpstream;
let proxy: TestProxy;
let browser: Browser;
let team: any;

const admin = (url: string, body?: unknown) =>
  fetch(`${proxy.url}${url}`, { method: body ? 'POST' : 'GET', headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' }, body: body ? JSON.stringify(body) : undefined }).then((r) => r.json() as Promise<any>);

beforeAll(async () => {
  upstream = await MockUpstream.start('layout');
  // The admin key comes from the environment, as a Secret would give it (PROXY_API_ADMIN_KEYS): the
  // console signs in with it.
  proxy = await startProxy({
    hot_reload: { enabled: false },
    database: { url: 'sqlite::memory:' },
    pricing: { 'gpt-4o-mini': { input_per_1k: 10, output_per_1k: 20 } },
    request_logs: { flush_interval_ms: 20 },
    providers: [mockProvider('mock-provider-with-a-long-name', upstream.url, { models: ['gpt-4o-mini', 'text-embedding-3-small', 'a-model-with-a-rather-long-identifier-name'] })],
  }, { PROXY_API_ADMIN_KEYS: ADMIN });
  team = await admin('/v1/teams', { name: 'research' });
  const key = await admin('/v1/keys', { alias: 'research-assistant', team_id: team.id });
  for (let i = 0; i < 8; i++) {
    await fetch(`${proxy.url}/v1/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${key.key}`, 'content-type': 'application/json' }, body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: `hi ${i}` }] }) });
  }
  await proxy.app.ledger.flush();
  browser = await launchBrowser();
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await proxy?.close();
  await upstream?.close();
});

async function open(width: number): Promise<Page> {
  const page = await browser.newPage({ viewport: { width, height: 900 } });
  await page.goto(`${proxy.url}/ui/`);
  await page.getByLabel('Admin key').fill(ADMIN);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Overview' }).waitFor();
  return page;
}

async function go(page: Page, route: string): Promise<void> {
  await page.evaluate((hash) => (window.location.hash = hash), `#/${route}`);
  await page.getByRole('heading', { level: 1 }).first().waitFor();
}

/** Words (runs without spaces) that the layout split over two lines, in table cells. */
function brokenWords(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const out: string[] = [];
    for (const cell of document.querySelectorAll('td')) {
      const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
      for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        const text = node.textContent ?? '';
        for (const match of text.matchAll(/\S+/g)) {
          const range = document.createRange();
          range.setStart(node, match.index);
          range.setEnd(node, match.index + match[0].length);
          const tops = new Set([...range.getClientRects()].map((r) => Math.round(r.top)));
          if (tops.size > 1) out.push(match[0]);
        }
      }
    }
    return out;
  });
}

/** Pairs of neighbouring axis labels that overlap, and the labels of each axis, per chart. */
function axes(page: Page): Promise<Array<{ title: string; overlaps: string[]; y: string[] }>> {
  return page.evaluate(() =>
    [...document.querySelectorAll('.chart')].map((figure) => {
      const box = figure.querySelector('.chart-box') as HTMLElement;
      const x = JSON.parse(box.dataset.xTicks ?? '[]') as Array<[number, string]>;
      const y = JSON.parse(box.dataset.yTicks ?? '[]') as Array<[number, string]>;
      const ctx = document.createElement('canvas').getContext('2d')!;
      ctx.font = box.dataset.axisFont ?? '12px sans-serif';
      const overlaps: string[] = [];
      for (let i = 1; i < x.length; i++) {
        const [p0, l0] = x[i - 1];
        const [p1, l1] = x[i];
        const w0 = Math.max(...l0.split('\n').map((l) => ctx.measureText(l).width));
        const w1 = Math.max(...l1.split('\n').map((l) => ctx.measureText(l).width));
        // Neighbours closer than 16 px read as one label (`2:06pm2:07pm`).
        if (p0 + w0 / 2 + 16 > p1 - w1 / 2) overlaps.push(`${l0} | ${l1}`);
      }
      return { title: figure.querySelector('figcaption')?.textContent ?? '', overlaps, y: y.map(([, label]) => label) };
    }),
  );
}

const decimals = (label: string) => (label.split('.')[1] ?? '').replace(/\D/g, '').length;

describe('at 1280 px', () => {
  let page: Page;
  beforeAll(async () => {
    page = await open(1280);
  }, 30_000);
  afterAll(() => page?.close());

  test('Logs and Keys: no cell breaks inside a word', async () => {
    await go(page, 'logs');
    await page.locator('table.logs tbody tr').first().waitFor();
    await page.screenshot({ path: artifactPath('console-layout', 'logs-1280.png'), fullPage: true });
    expect(await brokenWords(page)).toEqual([]);
    await go(page, 'keys');
    await page.locator('table tbody tr').first().waitFor();
    await page.screenshot({ path: artifactPath('console-layout', 'keys-1280.png'), fullPage: true });
    expect(await brokenWords(page)).toEqual([]);
  });

  test('overview: x-axis labels do not overlap; a cost axis writes every amount with the same decimals', async () => {
    // Eight minutes of traffic at 10 s steps, cost from $0 to $1.20 an hour (the report's view).
    await page.route('**/v1/console/timeseries*', async (route) => {
      const real = (await (await route.fetch()).json()) as any;
      const now = Math.floor(Date.now() / 1000);
      const t = Array.from({ length: 48 }, (_, i) => now - (47 - i) * 10);
      const wave = (scale: number) => t.map((_, i) => Math.round(scale * (1 + Math.sin(i / 7)) * 500) / 1000);
      real.columns = { t, requests: wave(10), requests_per_s: wave(1), error_pct: wave(5), p50_ms: wave(20), p95_ms: wave(40), avg_ms: wave(25), tokens_per_s: wave(30), cost_per_hour: wave(0.6) };
      await route.fulfill({ json: real });
    });
    await go(page, 'overview');
    await page.reload();
    await page.getByRole('heading', { name: 'Overview' }).waitFor();
    // Let the series gather a few points.
    await expect.poll(async () => (await axes(page)).filter((a) => a.y.length > 0).length, { timeout: 10_000 }).toBeGreaterThanOrEqual(5);
    await page.screenshot({ path: artifactPath('console-layout', 'overview-1280.png'), fullPage: true });
    const charts = await axes(page);
    for (const chart of charts) expect(chart.overlaps, chart.title).toEqual([]);
    const cost = charts.find((c) => c.title === 'Cost per hour')!;
    expect(new Set(cost.y.map(decimals)).size, cost.y.join(' ')).toBe(1);
    await page.unroute('**/v1/console/timeseries*');
    await go(page, 'usage');
    await expect.poll(async () => (await axes(page)).find((a) => a.title === 'Cost per day')?.y.length ?? 0, { timeout: 10_000 }).toBeGreaterThan(1);
    const daily = (await axes(page)).find((a) => a.title === 'Cost per day')!;
    expect(new Set(daily.y.map(decimals)).size, daily.y.join(' ')).toBe(1);
    for (const chart of await axes(page)) expect(chart.overlaps, chart.title).toEqual([]);
  });

  test('log detail names the team', async () => {
    const row = (await admin('/v1/logs?limit=1')).data[0];
    await go(page, `logs/${row.id}`);
    await expect.poll(() => page.locator('.facts').innerText(), { timeout: 5000 }).toContain("team 'research'");
  });
});

describe('at 390 px', () => {
  test('overview: x-axis labels do not overlap', async () => {
    const page = await open(390);
    try {
      await page.route('**/v1/console/timeseries*', async (route) => {
        const real = (await (await route.fetch()).json()) as any;
        const now = Math.floor(Date.now() / 1000);
        const t = Array.from({ length: 30 }, (_, i) => now - (29 - i) * 10);
        real.columns = { t, requests: t.map(() => 1), requests_per_s: t.map(() => 1), error_pct: t.map(() => 0), p50_ms: t.map(() => 5), p95_ms: t.map(() => 9), avg_ms: t.map(() => 6), tokens_per_s: t.map(() => 3), cost_per_hour: t.map((_, i) => i / 20) };
        await route.fulfill({ json: real });
      });
      await page.reload();
      await page.getByRole('heading', { name: 'Overview' }).waitFor();
      await expect.poll(async () => (await axes(page)).filter((a) => a.y.length > 0).length, { timeout: 10_000 }).toBeGreaterThanOrEqual(5);
      await page.screenshot({ path: artifactPath('console-layout', 'overview-390.png'), fullPage: true });
      for (const chart of await axes(page)) expect(chart.overlaps, chart.title).toEqual([]);
    } finally {
      await page.close();
    }
  }, 30_000);

  test('Providers: every table fits the window or scrolls inside its own box; the page does not overflow', async () => {
    const page = await open(390);
    try {
      await go(page, 'providers');
      await page.getByRole('button', { name: 'Models' }).first().click();
      await page.locator('.models table').first().waitFor();
      await page.screenshot({ path: artifactPath('console-layout', 'providers-390.png'), fullPage: true });
      const clipped = await page.evaluate(() =>
        [...document.querySelectorAll('table')]
          .filter((table) => {
            const right = table.getBoundingClientRect().right;
            const scroller = table.closest('.table-wrap');
            return scroller ? scroller.getBoundingClientRect().right > window.innerWidth + 1 : right > window.innerWidth + 1;
          })
          .map((table) => table.querySelector('th')?.textContent ?? '?'),
      );
      expect(clipped).toEqual([]);
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
      // Nothing else sticks out of its card either (what scrolls sits in a .table-wrap).
      const sticking = await page.evaluate(() =>
        [...document.querySelectorAll('.card *')]
          .filter((el) => !el.closest('.table-wrap') && el.getBoundingClientRect().right > el.closest('.card')!.getBoundingClientRect().right + 1)
          .map((el) => `${el.tagName.toLowerCase()}.${el.className}`),
      );
      expect(sticking).toEqual([]);
    } finally {
      await page.close();
    }
  }, 30_000);
});
