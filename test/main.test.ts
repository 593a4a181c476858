// The real CLI process: start-up from a config file, one log line per request with secrets
// redacted, and SIGTERM draining in-flight requests (keep-alive connections included) before exiting 0.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { freePort, startCli, type CliProcess } from './support/cli.js';
import { MockUpstream } from './support/mock-openai.js';
import { mockProvider, writeConfig } from './support/proxy.js';

let mock: MockUpstream;
let cli: CliProcess;
let base: string;

beforeAll(async () => {
  mock = await MockUpstream.start('upstream');
  const port = await freePort();
  const configFile = writeConfig({
    server: { port, shutdown_grace_s: 10, request_timeout: 10 },
    auth: { api_keys: ['sk-client-secret'] },
    logging: { level: 'info' },
    providers: [mockProvider('upstream', mock.url, { api_key_env: 'UPSTREAM_KEY' })],
  });
  cli = await startCli(configFile, { UPSTREAM_KEY: 'sk-upstream-secret' });
  base = `http://127.0.0.1:${port}`;
}, 30_000);

afterAll(async () => {
  if (cli.child.exitCode === null) cli.child.kill('SIGKILL');
  await mock.close();
});

test('one JSON log line per request, with model, provider, status, attempts and tokens; no secrets', async () => {
  const seenBefore = cli.stdout.length;
  const output = () => cli.stdout.slice(seenBefore);
  const res = await fetch(`${base}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: 'Bearer sk-client-secret', 'content-type': 'application/json', 'x-request-id': 'log-test-1' },
    body: JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] }),
  });
  expect(res.status).toBe(200);
  await expect.poll(() => output().includes('log-test-1'), { timeout: 5000 }).toBe(true);
  const line = output().split('\n').find((l) => l.includes('log-test-1'))!;
  const entry = JSON.parse(line);
  expect(entry).toMatchObject({
    msg: 'request',
    request_id: 'log-test-1',
    method: 'POST',
    route: '/v1/chat/completions',
    model: 'gpt-4o',
    provider: 'upstream',
    status: 200,
    attempts: 1,
    tokens: { prompt: 9, completion: 3, total: 12 },
  });
  expect(typeof entry.duration_ms).toBe('number');
  expect(output()).not.toContain('sk-client-secret');
  expect(output()).not.toContain('sk-upstream-secret');
});

test('SIGTERM finishes the in-flight request, then exits 0', async () => {
  mock.enqueue({ delayMs: 800 });
  const pending = fetch(`${base}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: 'Bearer sk-client-secret', 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content: 'slow' }] }),
  });
  await expect.poll(() => mock.requests.some((r) => r.raw.includes('slow'))).toBe(true);
  const exited = new Promise<number | null>((resolve) => cli.child.once('exit', (code) => resolve(code)));
  cli.child.kill('SIGTERM');
  const res = await pending;
  const text = await res.text();
  expect(res.status, text).toBe(200);
  expect(JSON.parse(text).choices[0].message.content).toBe('Hello from upstream');
  // Its keep-alive connection is not reused: it closes after the answer, so shutdown need not wait.
  expect(res.headers.get('connection')).toBe('close');
  expect(await exited).toBe(0);
  // A clean stop, not the grace period's forced exit.
  expect(cli.stdout).toContain('"msg":"stopped"');
  expect(cli.stdout).not.toContain('shutdown grace period over');
  expect(cli.stderr).not.toMatch(/Fatal/);
  // New connections are refused once it is gone.
  await expect(fetch(`${base}/health/live`)).rejects.toThrow();
});
