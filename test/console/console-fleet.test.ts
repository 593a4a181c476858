// The console's Fleet page in a real browser: two replicas sharing Redis but each with its own SQLite
// file list each other, and the page says the fleet is split.
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { artifactPath, launchBrowser } from '../support/browser.js';
import { testDatabase } from '../support/database.js';
import { startProxy, type TestProxy } from '../support/proxy.js';
import { deletePrefix, REDIS_URL, uniquePrefix } from '../support/redis.js';

const ADMIN = 'sk-admin-console-fleet-0123456789';
const prefix = uniquePrefix();
let a: TestProxy;
let b: TestProxy;
let browser: Browser;

beforeAll(async () => {
  const doc = async () => ({ hot_reload: { enabled: false }, auth: { admin_keys: [ADMIN] }, providers: [], database: (await testDatabase('sqlite')).config, redis: { url: REDIS_URL, key_prefix: prefix } });
  a = await startProxy(await doc());
  b = await startProxy(await doc());
  browser = await launchBrowser();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await a?.close();
  await b?.close();
  await deletePrefix(prefix);
});

test('the Fleet page lists both replicas, marks this one, and warns that the fleet is split', async () => {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  await page.goto(`${a.url}/ui/#/fleet`);
  await page.getByLabel('Admin key').fill(ADMIN);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: '2 processes (registry: redis)' }).waitFor();
  expect(await page.locator('table tbody tr').count()).toBe(2);
  expect(await page.locator('table tbody tr.selected').count()).toBe(1);
  await expect.poll(() => page.getByRole('alert').textContent()).toMatch(/share Redis but keep virtual keys/);
  await page.screenshot({ path: artifactPath('console', 'fleet.png'), fullPage: true });
  await page.close();
});
