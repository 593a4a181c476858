// The operator console in headless Chromium against a real proxy (SQLite ledger, mock upstream): sign-in
// and the 403 page, every page with real data, live charts, keys from creation to revocation used with the
// openai SDK, alerts and rules, config reload, CSV download, and prompts with HTML shown as text.
// A screenshot of each page goes to test-output/console/.
import { readFileSync, writeFileSync } from 'node:fs';
import OpenAI from 'openai';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { artifactPath, launchBrowser } from '../support/browser.js';
import { chatCompletion, MockUpstream } from '../support/mock-openai.js';
import { mockProvider, startProxy, type TestProxy } from '../support/proxy.js';

const ADMIN = 'sk-admin-console-test';
const CLIENT = 'sk-client-console-test';
const XSS = '<img src=x onerror=alert(1)><img src=x onerror="window.__pwned=1">';

/** The proxy's configuration; reloads are asked for from the console (no file watching). */
const config = (extra: Record<string, unknown> = {}) => ({
  auth: { api_keys: [CLIENT], admin_keys: [ADMIN] },
  providers: [mockProvider('mock', upstream.url)],
  pricing: { 'gpt-4o-mini': { input_per_1k: 0.15, output_per_1k: 0.6 } },
  request_logs: { store_bodies: true, flush_interval_ms: 50 },
  alerting: { interval: 0.2, rules: [{ name: 'traffic-seen', metric_path: 'summary.total_requests', condition: '>', threshold: 0, severity: 'warning', description: 'any traffic at all' }] },
  hot_reload: { enabled: false },
  ...extra,
});

let upstream: MockUpstream;
let proxy: TestProxy;
let browser: Browser;
let page: Page;
const problems: string[] = [];
/** The key created in the console, as first shown. */
let created = '';

const shot = (name: string) => page.screenshot({ path: artifactPath('console', `${name}.png`), fullPage: true });
const client = (key: string) => new OpenAI({ apiKey: key, baseURL: `${proxy.url}/v1`, maxRetries: 0 });
const chat = (key: string, content: string) => client(key).chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content }] });
/** Waits until the ledger has written what was sent (it writes in batches). */
const flushed = () => proxy.app.ledger.flush();

async function go(route: string): Promise<void> {
  await page.evaluate((hash) => (window.location.hash = hash), `#/${route}`);
  await page.getByRole('heading', { level: 1 }).first().waitFor();
}

beforeAll(async () => {
  upstream = await MockUpstream.start();
  upstream.setScript((req) => {
    if (req.path.endsWith('/models')) return { body: { object: 'list', data: ['gpt-4o-mini', 'gpt-4o'].map((id) => ({ id, object: 'model', created: 1, owned_by: 'mock' })) } };
    if (!req.path.endsWith('/chat/completions')) return undefined;
    const messages = (req.body?.messages ?? []) as Array<{ content: string }>;
    return { body: chatCompletion(`You said: ${messages.at(-1)?.content ?? ''}`, 'gpt-4o-mini') };
  });
  proxy = await startProxy(config());
  browser = await launchBrowser();
  page = await browser.newPage({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => ((window as unknown as { __csp: string[] }).__csp ??= []).push(`${e.violatedDirective} ${e.blockedURI}`));
  });
  page.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`));
  page.on('dialog', (dialog) => {
    problems.push(`dialog: ${dialog.message()}`);
    void dialog.dismiss();
  });
  page.on('console', (message) => {
    // Refused API calls (400, 401, 403) are part of the journey and asserted where they happen.
    if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) problems.push(`console: ${message.text()}`);
  });
  for (let i = 0; i < 6; i++) await chat(CLIENT, `hello ${i}`);
  await chat(CLIENT, XSS);
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await proxy?.close();
  await upstream?.close();
});

describe('operator console', () => {
  it('refuses a wrong key, shows the 403 page to a client key, and signs an admin in', async () => {
    await page.goto(`${proxy.url}/ui/`);
    await page.getByLabel('Admin key').fill('sk-wrong');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByText('That key is not valid.').isVisible()).toBe(true);
    await shot('sign-in');

    await page.getByLabel('Admin key').fill(CLIENT);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: '403 — admin key needed' }).waitFor();
    await shot('forbidden');
    expect(page.url()).not.toContain(CLIENT);

    await page.getByRole('button', { name: 'Sign in with another key' }).click();
    // From the keyboard: the field takes focus by itself, Enter submits.
    await expect.poll(() => page.evaluate(() => document.activeElement?.getAttribute('name'))).toBe('admin-key');
    await page.keyboard.type(ADMIN);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Overview' }).waitFor();
    // Held for this tab only, never in a cookie or the URL.
    expect(await page.evaluate(() => sessionStorage.getItem('llm-proxy.admin-key'))).toBe(ADMIN);
    expect((await page.context().cookies()).length).toBe(0);
    expect(page.url()).not.toContain(ADMIN);
  });

  it('charts the traffic just sent on the overview', async () => {
    await page.locator('.stats').getByText('7 requests').waitFor();
    const charts = page.locator('[data-testid=charts] figure.chart');
    await expect.poll(() => charts.count()).toBe(5);
    expect(await page.locator('[data-testid=charts] .uplot canvas').count()).toBe(5);
    // Requests per second and tokens per second carry the traffic.
    expect(Number(await charts.nth(0).getAttribute('data-total'))).toBeGreaterThan(0);
    expect(Number(await charts.nth(3).getAttribute('data-total'))).toBeGreaterThan(0);
    await page.getByText('healthy').first().waitFor();
    await chat(CLIENT, 'one more');
    // It refreshes by itself.
    await page.locator('.stats').getByText('8 requests').waitFor({ timeout: 15_000 });
    await shot('overview');
  });

  it('shows providers, runs a health check, lists models and sets the selection', async () => {
    await go('providers');
    const card = page.getByRole('region', { name: 'mock' });
    await card.getByText('healthy').first().waitFor();
    await card.getByRole('button', { name: 'Run health check' }).click();
    await card.getByText(/Health check: answered/).waitFor();
    await card.locator('dd', { hasText: /passed .* ago/ }).waitFor();
    await card.getByRole('button', { name: 'Models' }).click();
    await card.getByRole('heading', { name: 'Recent errors' }).waitFor();
    await card.getByRole('button', { name: 'Refresh models' }).click();
    await card.getByText(/Model list refreshed/).waitFor();
    await card.getByLabel('Model selection').selectOption('gpt-4o-mini');
    await card.getByRole('button', { name: 'Set selected model' }).click();
    await card.getByText('Selected model is now gpt-4o-mini.').waitFor();
    await shot('providers');
  });

  it('creates a key (its secret shown once, beside a copy button) that works with the openai SDK, then shows its request in Logs and its spend', async () => {
    await go('keys');
    await page.getByRole('button', { name: 'New key' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Alias').fill('console-app');
    await dialog.getByLabel('Budget (USD)').fill('-1');
    await dialog.getByRole('button', { name: 'Create key' }).click();
    // The API's refusal is shown beside its field.
    await dialog.locator('.field.has-error').getByText(/budget\.max_usd/).waitFor();
    await dialog.getByLabel('Budget (USD)').fill('20');
    await dialog.getByLabel('Budget period').selectOption('daily');
    await dialog.getByRole('button', { name: 'Create key' }).click();
    const secret = (await page.getByTestId('secret').textContent())!.trim();
    expect(secret).toMatch(/^sk-/);
    created = secret;
    await dialog.getByRole('button', { name: 'Copy' }).waitFor();
    await shot('key-created');
    await dialog.getByRole('button', { name: 'Done' }).click();

    const answer = await chat(secret, 'from the console key');
    expect(answer.choices[0].message.content).toBe('You said: from the console key');
    await flushed();

    await go('logs');
    await page.getByLabel('Key').selectOption({ label: 'console-app' });
    const rows = page.locator('table.logs tbody tr');
    await expect.poll(() => rows.count()).toBe(1);
    await expect.poll(() => rows.first().textContent()).toContain('console-app');
    await shot('logs');
    await rows.first().getByRole('link').click();
    await page.getByRole('heading', { name: 'Request', exact: true }).waitFor();
    await page.locator('pre.body').first().getByText(/from the console key/).waitFor();
    await shot('log-detail');

    await go('keys');
    const row = page.locator('tr', { hasText: 'console-app' });
    await row.getByRole('button', { name: 'Edit' }).click();
    await page.getByRole('dialog').getByLabel('Requests per minute').fill('120');
    await page.getByRole('dialog').getByRole('button', { name: 'Save changes' }).click();
    await row.getByText('120 rpm').waitFor();
    await expect.poll(async () => Number((await row.getByTestId('key-spend').textContent())!.replace('$', ''))).toBeGreaterThan(0);
    await row.getByRole('meter').waitFor();
    expect(await row.locator('.budget-label').textContent()).toMatch(/^\$0\.0\d+ of \$20\.00 \(daily\)$/);
    await shot('keys');
  });

  it('rotates the key (the old secret then gets 401) and revokes it', async () => {
    const row = page.locator('tr', { hasText: 'console-app' });
    const before = (await row.locator('code').textContent())!;
    await row.getByRole('button', { name: 'Rotate' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByRole('button', { name: 'Rotate key' }).click();
    const rotated = (await page.getByTestId('secret').textContent())!.trim();
    await dialog.getByRole('button', { name: 'Done' }).click();
    await expect.poll(() => row.locator('code').textContent()).not.toBe(before);
    await expect(chat(created, 'with the old secret')).rejects.toMatchObject({ status: 401 });
    expect((await chat(rotated, 'after rotation')).choices[0].message.content).toBe('You said: after rotation');

    await row.getByRole('button', { name: 'Revoke' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Revoke key' }).click();
    await expect.poll(() => page.locator('tr', { hasText: 'console-app' }).count()).toBe(0);
    await expect(chat(rotated, 'after revocation')).rejects.toMatchObject({ status: 401 });
    await page.getByLabel('Status').selectOption('revoked');
    await page.locator('tr', { hasText: 'console-app' }).getByText('revoked').waitFor();

    await page.getByRole('tab', { name: 'Teams' }).click();
    await page.getByRole('button', { name: 'New team' }).click();
    await page.getByRole('dialog').getByLabel('Name').fill('platform');
    await page.getByRole('dialog').getByLabel('Budget (USD)').fill('50');
    await page.getByRole('dialog').getByRole('button', { name: 'Create team' }).click();
    await page.locator('tr', { hasText: 'platform' }).getByText(/of \$50\.00 \(monthly\)/).waitFor();
    await shot('teams');
  });

  it('acknowledges an alert, and creates and deletes a rule (a bad threshold shows its error)', async () => {
    await go('alerts');
    const alerts = page.getByRole('region', { name: 'Alerts', exact: true });
    const alert = alerts.locator('tr', { hasText: 'traffic-seen' });
    await alert.getByRole('button', { name: 'Acknowledge' }).click({ timeout: 10_000 });
    await expect.poll(() => alert.count()).toBe(0);
    await alerts.getByRole('tab', { name: 'Acknowledged' }).click();
    await alert.getByText('acknowledged').waitFor();

    await page.getByRole('button', { name: 'New rule' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Name').fill('slow-provider');
    await dialog.getByLabel('Metric path').fill('providers.mock.avg_response_time_ms');
    await dialog.getByLabel('Threshold').fill('abc');
    await dialog.getByRole('button', { name: 'Create rule' }).click();
    const thresholdError = dialog.locator('.field.has-error', { has: page.getByLabel('Threshold') });
    await thresholdError.getByText(/expected number/).waitFor();
    await shot('rule-error');
    await dialog.getByLabel('Threshold').fill('2500');
    await dialog.getByRole('button', { name: 'Create rule' }).click();
    const rule = page.locator('tr[data-rule="slow-provider"]');
    await rule.waitFor();
    await rule.getByRole('button', { name: 'Edit' }).click();
    await page.getByRole('dialog').getByLabel('Threshold').fill('3000');
    await page.getByRole('dialog').getByRole('button', { name: 'Save rule' }).click();
    await rule.getByText('providers.mock.avg_response_time_ms > 3000').waitFor();
    await shot('alerts');
    await rule.getByRole('button', { name: 'Delete' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Delete rule' }).click();
    await expect.poll(() => rule.count()).toBe(0);
  });

  it('reloads the configuration and shows what changed', async () => {
    await go('config');
    await page.getByText(proxy.configFile).waitFor();
    // One setting that applies at once, and one that needs a restart.
    writeFileSync(proxy.configFile, JSON.stringify(config({ app: { environment: 'staging' }, server: { body_limit_mb: 20 } })));
    await page.getByRole('button', { name: 'Reload configuration' }).click();
    const result = page.getByRole('region', { name: 'This reload' });
    await result.getByText(/Configuration reloaded; restart needed for: server\.body_limit_mb/).waitFor();
    await result.getByRole('listitem').filter({ hasText: 'app changed' }).waitFor();
    await result.getByText(/Restart required for: server\.body_limit_mb/).waitFor();
    await page.getByRole('region', { name: 'Last reload' }).getByText(/Configuration reloaded/).waitFor();
    await shot('config');
  });

  it('shows usage by model with a CSV download', async () => {
    await flushed();
    await go('usage');
    await page.locator('tbody tr', { hasText: 'gpt-4o-mini' }).waitFor();
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download CSV' }).click()]);
    const csv = readFileSync((await download.path())!, 'utf8');
    expect(csv.split('\r\n')[0]).toBe('model,label,requests,errors,input_tokens,output_tokens,cost_usd');
    expect(csv).toMatch(/^gpt-4o-mini,,1[01],0,/m);
    await page.getByLabel('Group by').selectOption('key');
    await page.locator('tbody tr', { hasText: 'console-app' }).waitFor();
    await shot('usage');
  });

  it('shows a prompt and an answer holding HTML as text, running nothing', async () => {
    await go('logs');
    await page.getByRole('link').filter({ hasText: /\d/ }).last().waitFor();
    const id = await proxy.app.database.kysely.selectFrom('request_logs').select('request_id').where('request_body', 'like', '%onerror%').executeTakeFirstOrThrow();
    await go(`logs/${id.request_id}`);
    const bodies = page.locator('pre.body');
    await expect.poll(() => bodies.first().textContent()).toContain('<img src=x onerror=alert(1)>');
    expect(await bodies.nth(1).textContent()).toContain('You said: <img src=x onerror=alert(1)>');
    expect(await page.locator('pre.body img, main img').count()).toBe(0);
    expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
    await shot('xss-as-text');
  });

  it('pages through the logs on the server', async () => {
    const sent = await Promise.all(Array.from({ length: 55 }, (_, i) => chat(CLIENT, `page filler ${i}`)));
    expect(sent).toHaveLength(55);
    await flushed();
    await go('logs');
    const rows = page.locator('table.logs tbody tr');
    await expect.poll(() => rows.count()).toBe(50);
    const newest = await rows.first().textContent();
    await page.getByRole('button', { name: 'Older →' }).click();
    await page.getByText('Page 2').waitFor();
    await expect.poll(async () => (await rows.count()) > 0 && (await rows.first().textContent()) !== newest).toBe(true);
    await page.getByRole('button', { name: '← Newer' }).click();
    await page.getByText('Page 1').waitFor();
    await expect.poll(() => rows.first().textContent()).toBe(newest);
  });

  it('shows an error state for what cannot be loaded', async () => {
    await go('logs/no-such-request');
    await page.getByRole('alert').getByText("No request 'no-such-request' in the ledger").waitFor();
    await page.getByRole('button', { name: 'Try again' }).waitFor();
  });

  it('is readable in a narrow window', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await go('overview');
    await page.locator('[data-testid=charts]').waitFor();
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await shot('overview-narrow');
    await go('keys');
    await shot('keys-narrow');
    await page.setViewportSize({ width: 1280, height: 900 });
  });

  it('signs out, forgetting the key', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('Admin key').waitFor();
    expect(await page.evaluate(() => sessionStorage.getItem('llm-proxy.admin-key'))).toBeNull();
    await page.reload();
    await page.getByLabel('Admin key').waitFor();
  });

  it('ran no script it did not serve and broke no CSP rule', async () => {
    expect(await page.evaluate(() => (window as unknown as { __csp?: string[] }).__csp ?? [])).toEqual([]);
    expect(problems).toEqual([]);
  });
});
