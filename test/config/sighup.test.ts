// The real CLI process: SIGHUP reloads the configuration; request log lines carry cost and trace id.
import { writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { freePort, startCli, type CliProcess } from '../support/cli.js';
import { MockUpstream } from '../support/mock-openai.js';
import { mockProvider, writeConfig } from '../support/proxy.js';

let alpha: MockUpstream;
let beta: MockUpstream;
let collector: Server;
let cli: CliProcess;
let base: string;
let configFile: string;
let doc: (providers: unknown[]) => Record<string, unknown>;

beforeAll(async () => {
  alpha = await MockUpstream.start('alpha');
  beta = await MockUpstream.start('beta');
  collector = createHttpServer((req, res) => req.resume().on('end', () => res.writeHead(200).end('{}')));
  await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
  const collectorUrl = `http://127.0.0.1:${(collector.address() as { port: number }).port}`;
  const port = await freePort();
  doc = (providers) => ({
    server: { port },
    hot_reload: { enabled: false },
    logging: { level: 'info' },
    telemetry: { enabled: true, otlp: { endpoint: collectorUrl } },
    providers,
  });
  configFile = writeConfig(doc([mockProvider('alpha', alpha.url, { models: ['gpt-4o'] })]));
  cli = await startCli(configFile);
  base = `http://127.0.0.1:${port}`;
}, 30_000);

afterAll(async () => {
  if (cli.child.exitCode === null) cli.child.kill('SIGKILL');
  await alpha.close();
  await beta.close();
  collector.closeAllConnections();
  await new Promise((resolve) => collector.close(resolve));
});

const chat = (model: string, id: string) =>
  fetch(`${base}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-request-id': id },
    body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }] }),
  });

test('the request log line carries cost_usd and trace_id', async () => {
  expect((await chat('gpt-4o', 'cost-line-1')).status).toBe(200);
  await expect.poll(() => cli.stdout.includes('"request_id":"cost-line-1"'), { timeout: 5000 }).toBe(true);
  const line = cli.stdout.split('\n').find((l) => l.includes('"request_id":"cost-line-1"') && l.includes('"msg":"request"'))!;
  const entry = JSON.parse(line) as { cost_usd: number; trace_id: string; provider: string };
  expect(entry.provider).toBe('alpha');
  expect(entry.cost_usd).toBeCloseTo((9 * 0.0025 + 3 * 0.01) / 1000, 10);
  expect(entry.trace_id).toMatch(/^[0-9a-f]{32}$/);
});

test('SIGHUP reloads the configuration; an invalid file keeps the old one serving', async () => {
  expect((await chat('beta-model', 'before-hup')).status).toBe(404);
  writeFileSync(configFile, JSON.stringify(doc([mockProvider('alpha', alpha.url, { models: ['gpt-4o'] }), mockProvider('beta', beta.url, { models: ['beta-model'] })])));
  cli.child.kill('SIGHUP');
  await expect.poll(() => cli.stdout.includes('configuration reloaded'), { timeout: 5000 }).toBe(true);
  const res = await chat('beta-model', 'after-hup');
  expect(res.status).toBe(200);
  expect(res.headers.get('x-proxy-provider')).toBe('beta');

  writeFileSync(configFile, '{ not json');
  cli.child.kill('SIGHUP');
  await expect.poll(() => cli.stdout.includes('configuration reload rejected'), { timeout: 5000 }).toBe(true);
  expect((await chat('beta-model', 'after-bad-hup')).status).toBe(200);
  expect(cli.child.exitCode).toBeNull();
});
