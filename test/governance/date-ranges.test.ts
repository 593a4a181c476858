/* eslint-disable @typescript-eslint/no-explicit-any -- JSON answers are read back loosely */
// One rule for ranges: a date-only `to` includes that whole day in /v1/logs, /v1/logs/export,
// /v1/spend, a key's usage and the export-dataset CLI (regression: `to=` was an instant in /v1/logs and
// `export-dataset --to 2026-12-31` dropped the 31st, while /v1/spend counted the whole day).
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { rangeBound } from '../../src/governance/ledger/dates.js';
import { testDatabase, type TestDatabase } from '../support/database.js';
import { MockUpstream } from '../support/mock-openai.js';
import { mockProvider, startProxy, type TestProxy } from '../support/proxy.js';

const ADMIN = 'sk-admin-date-ranges';
let upstream: MockUpstream;
let database: TestDatabase;
let proxy: TestProxy;
const admin = (url: string) => fetch(`${proxy.url}${url}`, { headers: { authorization: `Bearer ${ADMIN}` } });

beforeAll(async () => {
  upstream = await MockUpstream.start('dates');
  database = await testDatabase('sqlite');
  proxy = await startProxy({ hot_reload: { enabled: false }, auth: { admin_keys: [ADMIN] }, database: database.config, providers: [mockProvider('p', upstream.url)] });
  // Late on the last day of the range, and just after it.
  for (const [id, at] of [['late', '2026-12-31T23:30:00.000Z'], ['next', '2027-01-01T00:00:00.000Z']]) {
    proxy.app.ledger.push({ id: `row-${id}`, request_id: `dates-${id}`, created_at: at, key_id: 'key_dates', key_alias: null, team_id: null, route: '/v1/chat/completions', model: 'dates-model', provider: 'p', status: 200, error_code: null, attempts: 1, input_tokens: 1, output_tokens: 1, cached_tokens: 0, reasoning_tokens: 0, cost_usd: 1, latency_ms: 1, ttft_ms: null, cache_hit: 0, stream: 0, request_body: null, response_body: null, settled_by: null, guardrails: null });
  }
  await proxy.app.ledger.flush();
});
afterAll(async () => {
  await proxy.close();
  await upstream.close();
  await database.drop();
});

test('rangeBound: a date-only to is the last millisecond of that day; from and date-times are as given', () => {
  expect(rangeBound('2026-12-31', 'to')).toBe('2026-12-31T23:59:59.999Z');
  expect(rangeBound('2026-12-31', 'from')).toBe('2026-12-31T00:00:00.000Z');
  expect(rangeBound('2026-12-31T12:00:00Z', 'to')).toBe('2026-12-31T12:00:00.000Z');
  expect(rangeBound('yesterday', 'to')).toBeNull();
});

test('/v1/logs, /v1/logs/export and /v1/spend include the whole last day and nothing after', async () => {
  const logs = (await (await admin('/v1/logs?from=2026-12-31&to=2026-12-31')).json()) as any;
  expect(logs.data.map((r: any) => r.request_id)).toEqual(['dates-late']);
  const exported = await (await admin('/v1/logs/export?from=2026-12-31&to=2026-12-31&format=jsonl')).text();
  expect(exported.trim().split('\n').map((l) => JSON.parse(l).request_id)).toEqual(['dates-late']);
  const spend = (await (await admin('/v1/spend?group_by=model&from=2026-12-31&to=2026-12-31')).json()) as any;
  expect(spend.data).toEqual([expect.objectContaining({ group: 'dates-model', requests: 1 })]);
});

test('export-dataset --to 2026-12-31 includes the 31st', async () => {
  const out = path.join(tmpdir(), `dates-${process.pid}.jsonl`);
  const code = await new Promise<number>((resolve) =>
    execFile(process.execPath, ['--import', 'tsx', 'src/governance/export/cli.ts', '--config', proxy.configFile, '--from', '2026-12-31', '--to', '2026-12-31', '--format', 'jsonl', '--out', out], (error) => resolve(error ? Number((error as { code?: number }).code) : 0)),
  );
  expect(code).toBe(0);
  expect(readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l).request_id)).toEqual(['dates-late']);
}, 30_000);
