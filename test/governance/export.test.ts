/* eslint-disable @typescript-eslint/no-explicit-any -- JSON answers are read back loosely */
// Stored bodies and dataset export: a streamed tool-call conversation is reassembled, redacted like
// logs, capped, and exported in OpenAI's chat fine-tuning format exactly, through the streamed endpoint
// and the CLI; rows without bodies, failed or truncated ones are skipped and counted; empty ranges and
// bad parameters are refused; old rows are deleted by retention while the rollups stay.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { deleteExpired } from '../../src/governance/ledger/retention.js';
import { testDatabase, type TestDatabase } from '../support/database.js';
import { chatChunk, MockUpstream } from '../support/mock-openai.js';
import { mockProvider, startProxy, type TestProxy } from '../support/proxy.js';

const ADMIN = 'sk-admin-export';
const TOOLS = [{ type: 'function' as const, function: { name: 'get_weather', description: 'Weather for a city', parameters: { type: 'object', properties: { city: { type: 'string' } } } } }];

let upstream: MockUpstream;
let database: TestDatabase;
let proxy: TestProxy;
const admin = (url: string, body?: unknown) =>
  fetch(`${proxy.url}${url}`, { method: body === undefined ? 'GET' : 'POST', headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });

beforeAll(async () => {
  upstream = await MockUpstream.start('export');
  database = await testDatabase('sqlite');
  proxy = await startProxy({
    hot_reload: { enabled: false },
    auth: { admin_keys: [ADMIN] },
    database: database.config,
    request_logs: { flush_interval_ms: 20, max_body_kb: 2 },
    providers: [mockProvider('p', upstream.url)],
  });
});
afterAll(async () => {
  await proxy.close();
  await upstream.close();
  await database.drop();
});

async function logged(id: string): Promise<any> {
  let body: any;
  await expect.poll(async () => ((body = await (await admin(`/v1/logs/${id}`)).json()), body.request_id), { timeout: 5000 }).toBe(id);
  return body;
}

describe('bodies and export', () => {
  let key: any;
  beforeAll(async () => {
    key = await (await admin('/v1/keys', { alias: 'dataset', store_bodies: true })).json();
  });

  test('a streamed tool-call conversation is stored reassembled and exported in the fine-tuning format exactly', async () => {
    upstream.enqueue({
      stream: [
        `data: ${chatChunk({ role: 'assistant', content: null, tool_calls: [{ index: 0, id: 'call_abc', type: 'function', function: { name: 'get_weather', arguments: '' } }] })}\n\n`,
        `data: ${chatChunk({ tool_calls: [{ index: 0, function: { arguments: '{"city":' } }] })}\n\n`,
        `data: ${chatChunk({ tool_calls: [{ index: 0, function: { arguments: '"Paris"}' } }] })}\n\n`,
        `data: ${chatChunk({}, 'tool_calls')}\n\n`,
        'data: [DONE]\n\n',
      ],
      gapMs: 5,
    });
    const client = new OpenAI({ baseURL: `${proxy.url}/v1`, apiKey: key.key, maxRetries: 0, defaultHeaders: { 'x-request-id': 'export-tools' } });
    const messages = [{ role: 'system' as const, content: 'You are terse.' }, { role: 'user' as const, content: 'Weather in Paris?' }];
    const stream = await client.chat.completions.create({ model: 'gpt-4o', stream: true, tools: TOOLS, messages });
    for await (const chunk of stream) void chunk;

    const row = await logged('export-tools');
    expect(row.request_body).toMatchObject({ model: 'gpt-4o', stream: true, messages, tools: TOOLS });
    expect(row.response_body.choices[0]).toMatchObject({ finish_reason: 'tool_calls', message: { role: 'assistant', tool_calls: [{ id: 'call_abc', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }] } });

    const res = await admin(`/v1/logs/export?format=openai-chat&key_id=${key.id}`);
    expect(res.headers.get('content-type')).toContain('application/x-ndjson');
    const lines = (await res.text()).trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toEqual([
      {
        messages: [
          { role: 'system', content: 'You are terse.' },
          { role: 'user', content: 'Weather in Paris?' },
          { role: 'assistant', tool_calls: [{ id: 'call_abc', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }] },
        ],
        tools: TOOLS,
      },
    ]);
  });

  test('bodies go through the logs\' redaction and are capped', async () => {
    const headers = { authorization: `Bearer ${key.key}`, 'content-type': 'application/json' };
    await fetch(`${proxy.url}/v1/chat/completions`, { method: 'POST', headers: { ...headers, 'x-request-id': 'export-secret' }, body: JSON.stringify({ model: 'gpt-4o', api_key: 'sk-leaked-secret', messages: [{ role: 'user', content: 'hi' }] }) });
    const secret = await logged('export-secret');
    expect(secret.request_body.api_key).toBe('[REDACTED]');
    expect(JSON.stringify(secret)).not.toContain('sk-leaked-secret');
    expect(secret.response_body.choices[0].message.content).toContain('Hello');

    await fetch(`${proxy.url}/v1/chat/completions`, { method: 'POST', headers: { ...headers, 'x-request-id': 'export-big' }, body: JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content: 'x'.repeat(5000) }] }) });
    const big = await logged('export-big');
    expect(big.request_body).toMatchObject({ truncated: true, original_bytes: expect.any(Number) });
    expect(big.request_body.prefix.length).toBe(2048);
  });

  test('rows without bodies, failed and truncated ones are skipped; jsonl exports every row', async () => {
    const other = await (await admin('/v1/keys', { alias: 'no-bodies' })).json();
    await fetch(`${proxy.url}/v1/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${other.key}`, 'content-type': 'application/json', 'x-request-id': 'export-plain' }, body: JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] }) });
    expect((await logged('export-plain')).request_body).toBeNull();
    upstream.enqueue({ status: 400, body: { error: { message: 'bad', type: 'invalid_request_error' } } });
    await fetch(`${proxy.url}/v1/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${key.key}`, 'content-type': 'application/json', 'x-request-id': 'export-failed' }, body: JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] }) });
    await logged('export-failed');

    const chat = (await (await admin('/v1/logs/export?format=openai-chat')).text()).trim().split('\n');
    expect(chat).toHaveLength(2); // the tool call and the redacted one; not the plain, failed or truncated rows
    const all = (await (await admin('/v1/logs/export?format=jsonl&include_failed=true')).text()).trim().split('\n').map((l) => JSON.parse(l));
    expect(all.map((r) => r.request_id).sort()).toEqual(['export-big', 'export-failed', 'export-plain', 'export-secret', 'export-tools']);
  });

  test('the CLI writes the same lines with a summary; an empty range or a bad flag exits 2', async () => {
    const out = path.join(tmpdir(), `llm-proxy-export-${process.pid}.jsonl`);
    const run = (...args: string[]) =>
      new Promise<{ code: number; stderr: string }>((resolve) =>
        execFile(process.execPath, ['--import', 'tsx', 'src/governance/export/cli.ts', '--config', proxy.configFile, ...args], (error, _stdout, stderr) => resolve({ code: error ? Number((error as { code?: number }).code) : 0, stderr })),
      );
    const ok = await run('--out', out, '--format', 'openai-chat');
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stderr).toMatch(/2 lines written to .* from 5 rows; skipped: .*1 failed request.*/);
    expect(ok.stderr).toContain('1 no stored bodies');
    expect(ok.stderr).toContain('1 bodies truncated');
    const exported = readFileSync(out, 'utf8').trim().split('\n');
    expect(exported).toEqual((await (await admin('/v1/logs/export?format=openai-chat')).text()).trim().split('\n'));
    expect((await run('--from', '2001-01-01', '--to', '2001-01-02')).stderr).toMatch(/no logged requests between/);
    expect((await run('--format', 'csv')).code).toBe(2);
    expect((await run('--from', 'last-week')).code).toBe(2);
  });

  test('the endpoint refuses an empty range (404) and bad parameters (400 with param)', async () => {
    const empty = await admin('/v1/logs/export?from=2001-01-01&to=2001-01-02');
    expect(empty.status).toBe(404);
    expect(((await admin('/v1/logs/export?format=csv').then((r) => r.json())) as any).error.param).toBe('format');
    expect(((await admin('/v1/logs/export?from=2026-02-01&to=2026-01-01').then((r) => r.json())) as any).error.param).toBe('from');
  });

  test('retention deletes rows past retention_days in batches; the daily rollups stay', async () => {
    const old = { id: 'export-ancient-row', request_id: 'export-ancient', created_at: '2020-01-01T00:00:00.000Z', key_id: null, key_alias: null, team_id: null, route: '/v1/chat/completions', model: 'ancient-model', provider: 'p', status: 200, error_code: null, attempts: 1, input_tokens: 1, output_tokens: 1, cached_tokens: 0, reasoning_tokens: 0, cost_usd: 1, latency_ms: 1, ttft_ms: null, cache_hit: 0, stream: 0, request_body: null, response_body: null, settled_by: null, guardrails: null };
    proxy.app.ledger.push(old);
    await proxy.app.ledger.flush();
    expect(await deleteExpired(proxy.app.database, 30)).toBe(1);
    expect((await admin('/v1/logs/export-ancient')).status).toBe(404);
    const spend = (await (await admin('/v1/spend?group_by=model&from=2020-01-01&to=2020-01-01')).json()) as any;
    expect(spend.data).toEqual([expect.objectContaining({ group: 'ancient-model', requests: 1 })]);
    expect(await deleteExpired(proxy.app.database, 0)).toBe(0);
  });
});
