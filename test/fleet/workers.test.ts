/* eslint-disable @typescript-eslint/no-explicit-any -- JSON answers are read back loosely in assertions */
// `server.workers: 2` is one gateway: a scrape of /metrics adds up every worker's requests, a budget
// holds across both workers without Redis (the primary keeps the counters), and a Responses
// conversation continues on whichever worker takes the next turn. Every request goes on a new
// connection, so the primary's round-robin spreads them over both workers.
import { request } from 'node:http';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { freePort, startCli, type CliProcess } from '../support/cli.js';
import { MockUpstream } from '../support/mock-openai.js';
import { mockProvider, writeConfig } from '../support/proxy.js';
import { AnthropicUpstream } from '../support/scripted-model.js';

const ADMIN = 'sk-admin-workers-test-0123456789';
const KEY = 'sk-client-workers-test-0123456789';
let upstream: MockUpstream;
let claude: AnthropicUpstream;
let cli: CliProcess;
let port: number;

/** One request on a connection of its own (no keep-alive), so consecutive requests may meet different workers. */
function call(method: string, path: string, key: string, body?: unknown): Promise<{ status: number; text: string; json: () => any }> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = request({ host: '127.0.0.1', port, path, method, agent: false, headers: { authorization: `Bearer ${key}`, ...(payload && { 'content-type': 'application/json' }) } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text, json: () => JSON.parse(text) }));
    });
    req.on('error', reject);
    req.end(payload);
  });
}

beforeAll(async () => {
  upstream = await MockUpstream.start('workers');
  claude = await AnthropicUpstream.start();
  port = await freePort();
  const config = {
    data_dir: mkdtempSync(path.join(tmpdir(), 'llm-proxy-workers-')),
    server: { port, workers: 2 },
    auth: { api_keys: [KEY], admin_keys: [ADMIN] },
    hot_reload: { enabled: false },
    pricing: { 'gpt-4o': { input_per_1k: 0, output_per_1k: 1 } },
    providers: [mockProvider('a', upstream.url, { models: ['gpt-4o'] }), { name: 'claude', type: 'anthropic', base_url: claude.url, models: ['claude-*'], max_retries: 0, timeout: 5 }],
  };
  cli = await startCli(writeConfig(config));
  // Both workers listening (the CLI waited for the first).
  for (let waited = 0; cli.stdout.split('llm-proxy listening').length - 1 < 2; waited += 100) {
    if (waited > 40_000) throw new Error(`the second worker did not start: ${cli.stdout}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}, 90_000);

afterAll(async () => {
  cli?.child.kill('SIGKILL');
  await upstream.close();
  await claude.close();
});

test('after N requests spread over both workers, one scrape of /metrics sums to N, and the JSON snapshot and console series count N', async () => {
  const n = 40;
  for (let i = 0; i < n; i++) expect((await call('POST', '/v1/chat/completions', KEY, { model: 'gpt-4o', messages: [{ role: 'user', content: `hi ${i}` }] })).status).toBe(200);
  for (let scrape = 0; scrape < 4; scrape++) {
    const text = (await call('GET', '/metrics/prometheus', ADMIN)).text;
    const served = text
      .split('\n')
      .filter((line) => line.startsWith('llm_proxy_requests_total{') && line.includes('status="200"'))
      .reduce((sum, line) => sum + Number(line.split(' ').at(-1)), 0);
    expect(served).toBe(n);
  }
  // So do the JSON snapshot and the console's live series, whichever worker answers.
  for (let read = 0; read < 4; read++) {
    const snapshot = (await call('GET', '/metrics', ADMIN)).json();
    expect(snapshot.providers.a.total_requests).toBe(n);
    expect(snapshot.summary.total_requests).toBe(n);
  }
  // The console's live series cover both workers too, whichever one answers.
  for (let read = 0; read < 4; read++) {
    const series = (await call('GET', '/v1/console/timeseries?window=15m', ADMIN)).json();
    expect(series.totals.requests).toBe(n);
  }
});

test('a budget of 6 requests admits 6 across both workers, without Redis', async () => {
  const key = (await call('POST', '/v1/keys', ADMIN, { budget: { max_usd: 0.0185, period: 'total' } })).json();
  await new Promise((resolve) => setTimeout(resolve, 1200)); // the other worker syncs the new key from the database
  const statuses: number[] = [];
  for (let i = 0; i < 14; i++) {
    statuses.push((await call('POST', '/v1/chat/completions', key.key, { model: 'gpt-4o', max_tokens: 3, messages: [{ role: 'user', content: `q ${i}` }] })).status);
  }
  expect(statuses.filter((s) => s === 200)).toHaveLength(6);
  expect(statuses.slice(6).every((s) => s === 429)).toBe(true);
});

test('a Responses conversation continues on the other worker: turn 2 by previous_response_id, then GET and DELETE', async () => {
  const first = (await call('POST', '/v1/responses', KEY, { model: 'claude-sonnet-4-5', input: 'my name is Ada' })).json();
  expect(first.output[0].content[0].text).toBe('You said: my name is Ada');
  for (let turn = 0; turn < 3; turn++) {
    const next = await call('POST', '/v1/responses', KEY, { model: 'claude-sonnet-4-5', previous_response_id: first.id, input: `what is my name? ${turn}` });
    expect(next.status, next.text).toBe(200);
    expect(JSON.stringify(claude.requests.at(-1)!.body)).toContain('my name is Ada');
  }
  for (let i = 0; i < 2; i++) expect((await call('GET', `/v1/responses/${first.id}`, KEY)).status).toBe(200);
  expect((await call('DELETE', `/v1/responses/${first.id}`, KEY)).status).toBe(200);
  for (let i = 0; i < 2; i++) expect((await call('GET', `/v1/responses/${first.id}`, KEY)).status).toBe(404);
});

test('/v1/fleet lists both workers of the host, from either of them', async () => {
  for (let read = 0; read < 2; read++) {
    const fleet = (await call('GET', '/v1/fleet', ADMIN)).json();
    expect(fleet).toMatchObject({ registry: 'database', split: false });
    expect(fleet.data.map((i: any) => i.worker).sort()).toEqual([0, 1]);
    expect(new Set(fleet.data.map((i: any) => i.pid)).size).toBe(2);
  }
});
