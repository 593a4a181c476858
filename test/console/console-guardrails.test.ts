/* eslint-disable @typescript-eslint/no-explicit-any -- JSON answers are read back loosely */
// Guardrails in the operator console, in headless Chromium against a real proxy and an echoing upstream:
// the Guardrails page's decision counts and a guardrail's hits (labels only, linked to the request's log
// view), a key and a team created with a guardrail ticked (the defaults ticked and disabled) whose
// requests it then blocks, the request's outcomes in Logs, and the page's empty state.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { artifactPath, launchBrowser } from '../support/browser.js';
import { EchoUpstream } from '../support/echo-upstream.js';
import { startProxy, type TestProxy } from '../support/proxy.js';

const ADMIN = 'sk-admin-console-guardrails';
const CLIENT = 'sk-client-console-guardrails';
const EMAIL = 'alice.smith@example.com';

let upstream: EchoUpstream;
let proxy: TestProxy;
let browser: Browser;
let page: Page;
const problems: string[] = [];

const config = (guardrails: Record<string, unknown> | undefined) => ({
  hot_reload: { enabled: false },
  database: { url: 'sqlite::memory:' },
  auth: { api_keys: [CLIENT], admin_keys: [ADMIN] },
  request_logs: { flush_interval_ms: 20 },
  providers: [{ name: 'oa', type: 'openai', base_url: `${upstream.url}/v1`, models: ['gpt-*'], max_retries: 0, timeout: 5 }],
  ...(guardrails && { guardrails }),
});

const chat = (target: TestProxy, key: string, content: string) =>
  fetch(`${target.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'gpt-echo', messages: [{ role: 'user', content }] }),
  }).then(async (r) => ({ status: r.status, body: (await r.json()) as any }));
const admin = (path: string) => fetch(`${proxy.url}${path}`, { headers: { authorization: `Bearer ${ADMIN}` } }).then((r) => r.json() as Promise<any>);
/** One decision count of the admin API (what the page shows), for polling until the ledger has the rows. */
const count = async (name: string, phase: string, decision: string): Promise<number> => (await admin('/v1/guardrails?hours=1')).data.find((g: any) => g.name === name).decisions[phase][decision];
const shot = (name: string) => page.screenshot({ path: artifactPath('console-guardrails', `${name}.png`), fullPage: true });
const cell = (name: string, phase: string, decision: string) => page.locator(`tr[data-guardrail="${name}"][data-phase="${phase}"] td[data-decision="${decision}"]`);

async function go(route: string): Promise<void> {
  await page.evaluate((hash) => (window.location.hash = hash), `#/${route}`);
  await page.getByRole('heading', { level: 1 }).first().waitFor();
}

async function signIn(target: TestProxy, at: Page): Promise<void> {
  await at.goto(`${target.url}/ui/`);
  await at.getByLabel('Admin key').fill(ADMIN);
  await at.getByRole('button', { name: 'Sign in' }).click();
  await at.getByRole('heading', { name: 'Overview' }).waitFor();
}

beforeAll(async () => {
  upstream = await new EchoUpstream().listen();
  proxy = await startProxy(
    config({
      definitions: [
        { name: 'pii', type: 'pii', action: 'mask' },
        { name: 'words', type: 'regex', patterns: ['(?i)nightingale'], action: 'block', phases: ['input'] },
      ],
      default: ['pii'],
    }),
  );
  browser = await launchBrowser();
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) problems.push(`console: ${message.text()}`);
  });
  expect((await chat(proxy, CLIENT, 'hello there')).status).toBe(200);
  expect((await chat(proxy, CLIENT, `write to ${EMAIL} please`)).status).toBe(200);
  // Not a default: the client key's request goes through.
  expect((await chat(proxy, CLIENT, 'what is project nightingale?')).status).toBe(200);
  expect(upstream.received).not.toContain(EMAIL);
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await proxy?.close();
  await upstream?.close();
});

describe('guardrails in the console', () => {
  it('lists the guardrails with their decisions per phase, and a guardrail\'s hits linked to the request', async () => {
    // The ledger writes in batches: the API has the decisions first.
    await expect.poll(() => count('pii', 'input', 'mask')).toBe(1);
    await expect.poll(() => count('pii', 'input', 'pass')).toBe(2);
    await signIn(proxy, page);
    await page.getByRole('navigation', { name: 'Console pages' }).getByRole('link', { name: 'Guardrails' }).click();
    await page.getByRole('heading', { name: 'Guardrails', level: 1 }).waitFor();
    await page.getByText('Monitor mode records what a guardrail would do without changing anything: use it to tune false positives.').waitFor();
    await expect.poll(() => cell('pii', 'input', 'mask').textContent()).toBe('1');
    expect(await cell('pii', 'input', 'pass').textContent()).toBe('2');
    expect(await cell('pii', 'input', 'block').textContent()).toBe('0');
    // The answers were checked too; 'words' checks requests only.
    expect(await page.locator('tr[data-guardrail="pii"][data-phase="output"]').count()).toBe(1);
    expect(await page.locator('tr[data-guardrail="words"]').count()).toBe(1);
    const pii = page.locator('tr[data-guardrail="pii"]').first();
    await pii.getByText('every request').waitFor();
    await pii.getByText('mask', { exact: true }).waitFor();
    await page.locator('tr[data-guardrail="words"]').getByText('per key or team').waitFor();
    await page.getByLabel('Period').selectOption('1');
    await page.getByRole('region', { name: 'Decisions, last hour' }).waitFor();

    await page.getByRole('button', { name: 'Recent hits of pii' }).click();
    const hits = page.getByRole('region', { name: 'Recent hits: pii' }).locator('tbody tr');
    await expect.poll(() => hits.count()).toBe(1);
    const hit = hits.first();
    await hit.getByText('input', { exact: true }).waitFor();
    await hit.getByText('mask', { exact: true }).waitFor();
    await hit.getByText('EMAIL', { exact: true }).waitFor();
    // Labels only: the value never reaches the page.
    expect(await page.content()).not.toContain(EMAIL);
    await shot('guardrails');

    await hit.getByRole('link').click();
    await page.getByRole('heading', { name: 'Request', exact: true }).waitFor();
    const outcomes = page.getByRole('region', { name: 'Guardrails' });
    const input = outcomes.locator('tr[data-guardrail="pii"]', { hasText: 'input' });
    await input.getByText('mask', { exact: true }).waitFor();
    await input.getByText('EMAIL', { exact: true }).waitFor();
    await shot('log-detail');
  });

  it('creates a key with the words guardrail ticked (pii ticked and disabled as a default), whose request it then blocks', async () => {
    await go('keys');
    await page.getByRole('button', { name: 'New key' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Alias').fill('nightingale-app');
    const piiBox = dialog.getByRole('checkbox', { name: /^pii/ });
    expect(await piiBox.isChecked()).toBe(true);
    expect(await piiBox.isDisabled()).toBe(true);
    await dialog.getByText('always on (default)').waitFor();
    const words = dialog.getByRole('checkbox', { name: /^words/ });
    expect(await words.isChecked()).toBe(false);
    await words.check();
    await shot('key-form');
    await dialog.getByRole('button', { name: 'Create key' }).click();
    const secret = (await page.getByTestId('secret').textContent())!.trim();
    await dialog.getByRole('button', { name: 'Done' }).click();
    const row = page.locator('tr', { hasText: 'nightingale-app' });
    expect(await row.getByTestId('guardrails').textContent()).toBe('words');
    const key = (await admin('/v1/keys?alias=nightingale-app')).data[0];
    expect(key.guardrails).toEqual(['words']);

    const blocked = await chat(proxy, secret, 'tell me about project nightingale');
    expect(blocked.status).toBe(400);
    expect(blocked.body.error.code).toBe('guardrail_blocked');
    expect((await chat(proxy, secret, 'something else')).status).toBe(200);
    await expect.poll(() => count('words', 'input', 'block')).toBe(1);

    // Editing keeps the ticks; unticking everything sends null.
    await row.getByRole('button', { name: 'Edit' }).click();
    expect(await page.getByRole('dialog').getByRole('checkbox', { name: /^words/ }).isChecked()).toBe(true);
    await page.getByRole('dialog').getByRole('button', { name: 'Cancel' }).click();
    await shot('keys');
  });

  it('shows the block in the counts and among the words hits, with the key that sent it', async () => {
    await go('guardrails/words');
    await expect.poll(() => cell('words', 'input', 'block').textContent()).toBe('1');
    expect(await cell('words', 'input', 'pass').textContent()).toBe('1');
    const hits = page.getByRole('region', { name: 'Recent hits: words' }).locator('tbody tr');
    await expect.poll(() => hits.count()).toBe(1);
    await hits.first().getByText('block', { exact: true }).waitFor();
    await hits.first().getByText('nightingale-app').waitFor();
    await hits.first().getByText('/v1/chat/completions').waitFor();
    await shot('words-hits');
    // In a narrow window the tables scroll in their own boxes; the page does not.
    await page.setViewportSize({ width: 390, height: 844 });
    try {
      await expect.poll(() => page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
      await shot('words-hits-narrow');
      // Regression: a table's screen-reader-only header text (position: absolute) widened the Keys page.
      await go('keys');
      await page.locator('tr', { hasText: 'nightingale-app' }).waitFor();
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    } finally {
      await page.setViewportSize({ width: 1280, height: 900 });
    }
  });

  it('creates a team with a guardrail, lists it, and unticks it again (null)', async () => {
    await go('keys');
    await page.getByRole('tab', { name: 'Teams' }).click();
    await page.getByRole('button', { name: 'New team' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Name').fill('research');
    await dialog.getByRole('checkbox', { name: /^words/ }).check();
    await dialog.getByRole('button', { name: 'Create team' }).click();
    const row = page.locator('tr', { hasText: 'research' });
    await expect.poll(() => row.getByTestId('guardrails').textContent()).toBe('words');
    await row.getByRole('button', { name: 'Edit' }).click();
    await page.getByRole('dialog').getByRole('checkbox', { name: /^words/ }).uncheck();
    await page.getByRole('dialog').getByRole('button', { name: 'Save changes' }).click();
    await expect.poll(() => row.getByTestId('guardrails').count()).toBe(0);
    const team = (await admin('/v1/teams')).data.find((t: any) => t.name === 'research');
    expect(team.guardrails).toBeNull();
  });

  it('says how to define guardrails when there are none, and leaves the key form without the field', async () => {
    const bare = await startProxy(config(undefined));
    const other = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    try {
      await signIn(bare, other);
      await other.evaluate(() => (window.location.hash = '#/guardrails'));
      await other.getByText('No guardrail is defined.').waitFor();
      await other.locator('.state.empty code', { hasText: 'guardrails.definitions' }).waitFor();
      await other.screenshot({ path: artifactPath('console-guardrails', 'empty.png'), fullPage: true });
      await other.evaluate(() => (window.location.hash = '#/keys'));
      await Promise.all([other.waitForResponse((r) => r.url().includes('/v1/guardrails?')), other.getByRole('button', { name: 'New key' }).click()]);
      await other.getByRole('dialog').getByLabel('Alias').waitFor();
      expect(await other.getByRole('dialog').getByText('Guardrails').count()).toBe(0);
    } finally {
      await other.close();
      await bare.close();
    }
  });

  it('logged no page error', () => {
    expect(problems).toEqual([]);
  });
});
