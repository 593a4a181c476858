/* eslint-disable @typescript-eslint/no-explicit-any -- JSON answers are read back loosely */
// Quick start without provider keys: `npm run mock-upstream` on a port of one's choosing
// (MOCK_UPSTREAM_PORT), then `ENVIRONMENT=mock npm start` with the shipped config.yaml: every route
// the proxy proxies answers (completions and images included: regression, they were 404), and an
// upstream's 404 does not count as the provider failing.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { freePort, startCli, type CliProcess } from './support/cli.js';
import { MockUpstream } from './support/mock-openai.js';
import { mockProvider, startProxy } from './support/proxy.js';

let mock: ChildProcess;
let proxy: CliProcess;
let url = '';

beforeAll(async () => {
  const mockPort = await freePort();
  mock = spawn('npm', ['run', '--silent', 'mock-upstream'], { env: { ...process.env, MOCK_UPSTREAM_PORT: String(mockPort) }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  mock.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  for (let waited = 0; !out.includes(`"port":${mockPort}`); waited += 100) {
    if (waited > 20_000) throw new Error(`mock upstream did not start: ${out}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const port = await freePort();
  proxy = await startCli(path.resolve('config.yaml'), { ENVIRONMENT: 'mock', MOCK_UPSTREAM_PORT: String(mockPort), PROXY_API_PORT: String(port), PROXY_API_DATA_DIR: mkdtempSync(path.join(tmpdir(), 'mock-quickstart-')) });
  url = `http://127.0.0.1:${port}`;
}, 60_000);
afterAll(() => {
  proxy?.child.kill('SIGTERM');
  mock?.kill('SIGTERM');
});

const post = (route: string, body: unknown) => fetch(`${url}${route}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

test('every proxied route answers through the mock', async () => {
  const messages = [{ role: 'user', content: 'hi' }];
  const checks: Array<[string, Promise<Response>]> = [
    ['chat', post('/v1/chat/completions', { model: 'gpt-4o-mini', messages })],
    ['chat stream', post('/v1/chat/completions', { model: 'gpt-4o-mini', messages, stream: true })],
    ['completions', post('/v1/completions', { model: 'gpt-3.5-turbo-instruct', prompt: 'hi' })],
    ['completions stream', post('/v1/completions', { model: 'gpt-3.5-turbo-instruct', prompt: 'hi', stream: true })],
    ['embeddings', post('/v1/embeddings', { model: 'text-embedding-3-small', input: 'hi' })],
    ['images', post('/v1/images/generations', { model: 'dall-e-3', prompt: 'a cat' })],
    ['images b64', post('/v1/images/generations', { model: 'dall-e-3', prompt: 'a cat', response_format: 'b64_json' })],
    ['responses', post('/v1/responses', { model: 'gpt-4o-mini', input: 'hi' })],
    ['messages', post('/v1/messages', { model: 'claude-sonnet-4-5', max_tokens: 50, messages })],
    ['models', fetch(`${url}/v1/models`)],
  ];
  for (const [name, pending] of checks) {
    const res = await pending;
    const text = await res.text();
    expect(res.status, `${name}: ${text.slice(0, 300)}`).toBe(200);
  }
  const image = (await (await post('/v1/images/generations', { model: 'dall-e-3', prompt: 'a cat', response_format: 'b64_json' })).json()) as any;
  expect(image.data[0].b64_json).toMatch(/^iVBOR/);
  const completion = await (await post('/v1/completions', { model: 'x', prompt: 'hi', stream: true })).text();
  expect(completion.trim().endsWith('data: [DONE]')).toBe(true);
}, 30_000);

test("an upstream's 404 is relayed, and not counted as the provider failing", async () => {
  const upstream = await MockUpstream.start('not-found');
  const inProcess = await startProxy({ hot_reload: { enabled: false }, providers: [mockProvider('m', upstream.url, { max_retries: 0 })] });
  try {
    for (let i = 0; i < 6; i++) upstream.enqueue({ status: 404, body: { error: { message: 'The model does not exist', type: 'invalid_request_error', code: 'model_not_found' } } });
    for (let i = 0; i < 6; i++) expect((await fetch(`${inProcess.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'nope', messages: [{ role: 'user', content: 'hi' }] }) })).status).toBe(404);
    const metrics = (await (await fetch(`${inProcess.url}/metrics`)).json()) as any;
    expect(metrics.providers.m).toMatchObject({ failed_requests: 0, error_rate: 0 });
    const status = (await (await fetch(`${inProcess.url}/status/m`)).json()) as any;
    expect(JSON.stringify(status)).not.toMatch(/"(status|health)":"(unhealthy|degraded)"/);
  } finally {
    await inProcess.close();
    await upstream.close();
  }
});
