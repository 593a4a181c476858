/* eslint-disable @typescript-eslint/no-explicit-any -- JSON answers are read back loosely in assertions */
// npm run backup under traffic, npm run restore into a new state folder: the restored proxy serves the
// same virtual keys, and its spend agrees with the ledger rows the backup holds.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { MockUpstream } from '../support/mock-openai.js';
import { mockProvider, startProxyFromFile, writeConfig, type TestProxy } from '../support/proxy.js';

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, '../..');
const ADMIN = 'sk-admin-backup-test-0123456789';
const cli = (script: string, ...args: string[]) => run(process.execPath, ['--import', 'tsx', `src/backup/${script}`, ...args], { cwd: root });
let upstream: MockUpstream;
const open: TestProxy[] = [];

beforeAll(async () => {
  upstream = await MockUpstream.start('backup');
});
afterAll(async () => {
  for (const proxy of open) await proxy.close();
  await upstream.close();
});

const doc = () => ({ hot_reload: { enabled: false }, auth: { admin_keys: [ADMIN] }, request_logs: { flush_interval_ms: 20 }, pricing: { 'gpt-4o': { input_per_1k: 1, output_per_1k: 1 } }, providers: [mockProvider('a', upstream.url)] });

async function chat(proxy: TestProxy, key: string): Promise<number> {
  const res = await fetch(`${proxy.url}/v1/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] }) });
  await res.arrayBuffer();
  return res.status;
}

async function admin(proxy: TestProxy, url: string, body?: unknown): Promise<any> {
  const res = await fetch(`${proxy.url}${url}`, { method: body ? 'POST' : 'GET', headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' }, body: body ? JSON.stringify(body) : undefined });
  return res.json();
}

test('a backup taken under traffic restores to a proxy that serves the same keys and spend', async () => {
  const source = await startProxyFromFile(writeConfig(doc()));
  open.push(source);
  const key = await admin(source, '/v1/keys', { alias: 'kept', budget: { max_usd: 100, period: 'total' } });
  for (let i = 0; i < 10; i++) expect(await chat(source, key.key)).toBe(200);
  await source.app.ledger.flush();

  // Traffic keeps flowing while the backup is taken.
  let sending = true;
  const traffic = (async () => {
    while (sending) await chat(source, key.key);
  })();
  const archive = path.join(mkdtempSync(path.join(tmpdir(), 'llm-proxy-archive-')), 'backup.tar.gz');
  const made = await cli('backup-cli.ts', '--config', source.configFile, '--out', archive);
  sending = false;
  await traffic;
  expect(made.stdout).toContain('llm-proxy.db');
  expect(existsSync(archive)).toBe(true);

  const target = writeConfig(doc());
  const restored = await cli('restore-cli.ts', '--from', archive, '--config', target);
  expect(restored.stdout).toMatch(/restored llm-proxy\.db/);
  expect(readdirSync(path.join(path.dirname(target), 'data', 'restored-config'))).toHaveLength(1);
  // A second restore over it is refused without --force.
  await expect(cli('restore-cli.ts', '--from', archive, '--config', target)).rejects.toMatchObject({ stderr: expect.stringMatching(/would be replaced/) });

  const copy = await startProxyFromFile(target);
  open.push(copy);
  expect(await chat(copy, key.key)).toBe(200);
  await copy.app.ledger.flush();
  const usage = (await admin(copy, `/v1/keys/${key.id}`)).budget_usage;
  const rows = await copy.app.database.kysely.selectFrom('request_logs').select((eb) => [eb.fn.countAll<number>().as('n'), eb.fn.sum<number>('cost_usd').as('usd')]).where('key_id', '=', key.id).executeTakeFirstOrThrow();
  expect(Number(rows.n)).toBeGreaterThanOrEqual(11);
  expect(usage.spent_usd).toBeCloseTo(Number(rows.usd), 8);
}, 60_000);

test('npm run backup and restore answer --help', async () => {
  expect((await cli('backup-cli.ts', '--help')).stdout).toMatch(/Usage: npm run backup/);
  expect((await cli('restore-cli.ts', '--help')).stdout).toMatch(/Usage: npm run restore/);
});

test('restore refuses what it cannot use, saying why: no --from, a missing archive, a file that is not a backup', async () => {
  const target = writeConfig(doc());
  await expect(cli('restore-cli.ts', '--config', target)).rejects.toMatchObject({ code: 1, stderr: expect.stringMatching(/--from <archive> is required/) });
  await expect(cli('restore-cli.ts', '--from', '/nonexistent/backup.tar.gz', '--config', target)).rejects.toMatchObject({ code: 1, stderr: expect.stringMatching(/^restore: .*nonexistent/) });
  const junk = path.join(mkdtempSync(path.join(tmpdir(), 'llm-proxy-junk-')), 'junk.tar.gz');
  writeFileSync(junk, 'this is not an archive');
  await expect(cli('restore-cli.ts', '--from', junk, '--config', target)).rejects.toMatchObject({ code: 1, stderr: expect.stringMatching(/^restore: /) });
  expect(existsSync(path.join(path.dirname(target), 'data', 'llm-proxy.db'))).toBe(false);
});
