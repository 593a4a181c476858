/* eslint-disable @typescript-eslint/no-explicit-any -- report JSON is read loosely */
// `npm run loadtest` end to end: the CLI (its own process) drives a real proxy in front of a mock
// upstream with tiny tiers; the reports exist and parse, the figures agree with what the mock saw,
// the exit code flips when the mock fails, bad configuration exits 2, and the HTML report renders its
// charts in headless Chromium.
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { artifactPath, launchBrowser } from '../support/browser.js';
import { chatStream, MockUpstream } from '../support/mock-openai.js';
import { mockProvider, startProxy, type TestProxy } from '../support/proxy.js';

let upstream: MockUpstream;
let proxy: TestProxy;
const dir = mkdtempSync(path.join(tmpdir(), 'llm-proxy-loadtest-'));
const configFile = path.join(dir, 'config.yaml');

beforeAll(async () => {
  upstream = await MockUpstream.start('loadtest');
  proxy = await startProxy({ hot_reload: { enabled: false }, providers: [mockProvider('mock', upstream.url, { max_retries: 0 })] });
  writeFileSync(
    configFile,
    [
      'providers: [{ name: x, type: openai_compatible, base_url: "http://127.0.0.1:9/v1", models: ["*"] }]',
      'load_testing:',
      '  tiers:',
      '    tiny: { users: 3, duration: 2s, ramp_up: 500ms, expected_rps: 2, scenarios: [chat_completion, model_discovery] }',
      '    streamy: { users: 2, duration: 1500ms, expected_rps: 1, scenarios: [chat_stream] }',
      '    zero: { users: 1, duration: 1s, scenarios: [nothing] }',
      '  scenarios:',
      '    chat_stream: { weight: 1, stream: true }',
      '    nothing: { weight: 0 }',
      '  config: { think_time: 50ms, timeout: 5 }',
      '',
    ].join('\n'),
  );
});
afterAll(async () => {
  await proxy.close();
  await upstream.close();
});

function loadtest(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', 'src/loadtest/cli.ts', '--config', configFile, '--url', proxy.url, ...args], { timeout: 60_000 }, (error, stdout, stderr) =>
      resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

const reportsIn = (out: string) => readdirSync(out).sort();

describe('npm run loadtest', () => {
  let out: string;
  let report: any;

  beforeAll(async () => {
    upstream.reset();
    upstream.setScript(() => ({ delayMs: 20 }));
    out = path.join(dir, 'tiny');
    const run = await loadtest('--tier', 'tiny', '--output-dir', out);
    expect(run.code, run.stderr + run.stdout).toBe(0);
    expect(run.stdout).toContain('PASSED');
    report = JSON.parse(readFileSync(path.join(out, reportsIn(out).find((f) => f.endsWith('.json'))!), 'utf8'));
  }, 60_000);

  test('writes JSON, HTML and CSV (per second and per request) reports that parse', () => {
    const files = reportsIn(out);
    expect(files.filter((f) => f.endsWith('.json'))).toHaveLength(1);
    expect(files.filter((f) => f.endsWith('.html'))).toHaveLength(1);
    const series = readFileSync(path.join(out, files.find((f) => f.endsWith('-timeseries.csv'))!), 'utf8').trim().split('\n');
    expect(series[0]).toBe('second,users,requests,errors,p50_ms,p95_ms');
    expect(series).toHaveLength(1 + 2);
    const requests = readFileSync(path.join(out, files.find((f) => f.endsWith('-requests.csv'))!), 'utf8').trim().split('\n');
    expect(requests).toHaveLength(1 + report.summary.requests);
    expect(series.slice(1).reduce((sum, line) => sum + Number(line.split(',')[2]), 0)).toBe(report.summary.requests);
  });

  test('the figures agree with what the mock upstream saw', () => {
    const chats = report.summary.scenarios.chat_completion.requests;
    expect(chats).toBeGreaterThan(5);
    expect(upstream.calls('/v1/chat/completions')).toHaveLength(chats);
    expect(report.summary.scenarios.model_discovery.requests + chats).toBe(report.summary.requests);
    expect(report.summary.scenarios.chat_completion.rps).toBeCloseTo(chats / 2, 1);
    // Every chat waited the mock's 20 ms.
    expect(report.summary.scenarios.chat_completion.latency_ms.p50).toBeGreaterThanOrEqual(20);
    expect(report.summary.errors).toBe(0);
    expect(report.requests).toHaveLength(report.summary.requests);
    expect(report.plan).toMatchObject({ tier: 'tiny', users: 3, duration_s: 2, ramp_up_s: 0.5, expected_rps: 2 });
  });

  test('the HTML report opens offline and draws its charts in Chromium', async () => {
    const browser = await launchBrowser();
    try {
      const page = await browser.newPage({ viewport: { width: 900, height: 1200 } });
      const requests: string[] = [];
      page.on('request', (r) => requests.push(r.url()));
      await page.goto(`file://${path.join(out, reportsIn(out).find((f) => f.endsWith('.html'))!)}`);
      expect(await page.locator('h1').textContent()).toBe('Load test: tier tiny');
      expect(await page.locator('.pass').textContent()).toBe('PASSED');
      const charts = page.locator('figure svg');
      expect(await charts.count()).toBe(3);
      const points = await page.locator('polyline.series').evaluateAll((lines) => lines.map((l) => (l.getAttribute('points') ?? '').split(' ').length));
      expect(points.length).toBeGreaterThanOrEqual(5);
      expect(points.every((n) => n === 2)).toBe(true);
      expect(await page.locator('table').nth(1).locator('tr').count()).toBe(3);
      expect(requests.filter((u) => !u.startsWith('file://'))).toEqual([]);
      await page.screenshot({ path: artifactPath('loadtest', 'report.png'), fullPage: true });
    } finally {
      await browser.close();
    }
  });

  test('a streamed scenario measures time to first token', async () => {
    upstream.setScript((req) => (req.body?.stream ? { stream: chatStream(['a', 'b', 'c'], 'gpt-4o', true), gapMs: 10 } : undefined));
    const run = await loadtest('--tier', 'streamy', '--output-dir', path.join(dir, 'streamy'));
    expect(run.code, run.stdout).toBe(0);
    const json = JSON.parse(readFileSync(path.join(dir, 'streamy', reportsIn(path.join(dir, 'streamy')).find((f) => f.endsWith('.json'))!), 'utf8'));
    expect(json.summary.ttft_ms.p50).toBeGreaterThan(0);
    expect(json.summary.ttft_ms.p50).toBeLessThanOrEqual(json.summary.latency_ms.p50);
    expect(run.stdout).toContain('time to first token');
  });

  test('exit 1 with the reason when the upstream fails, or the expected rate is not sustained', async () => {
    upstream.setScript(() => ({ status: 500, body: { error: { message: 'down', type: 'server_error' } } }));
    const failing = await loadtest('--tier', 'tiny', '--duration', '1s', '--output-dir', path.join(dir, 'failing'));
    expect(failing.code).toBe(1);
    expect(failing.stdout).toMatch(/FAILED: .*error rate \d+\.\d\d % is above the allowed 1\.00 %/);
    expect(failing.stdout).toMatch(/error http_5\d\d/);

    upstream.setScript(null);
    const slow = await loadtest('--tier', 'tiny', '--duration', '1s', '--expected-rps', '100000', '--output-dir', path.join(dir, 'slow'));
    expect(slow.code).toBe(1);
    expect(slow.stdout).toMatch(/FAILED: sustained [\d.]+ req\/s after ramp-up, below the expected 100000 req\/s/);
  });

  test('bad configuration or arguments: a clear message and exit 2', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['--tier', 'galactic'], /Unknown tier 'galactic'/],
      [['--tier', 'zero'], /weights of tier 'zero' scenarios \(nothing\) add up to 0/],
      [['--tier', 'tiny', '--duration', 'forever'], /--duration: 'forever' is not a duration/],
      [['--tier', 'tiny', '--users', 'many'], /--users must be a number/],
      [['--tier', 'tiny', '--bogus'], /Unknown option '--bogus'/],
      [['--tier', 'tiny', '--max-error-rate', '5'], /--max-error-rate must be between 0 and 1/],
    ];
    for (const [args, message] of cases) {
      const run = await loadtest(...args);
      expect(run.code, args.join(' ')).toBe(2);
      expect(run.stderr).toMatch(message);
    }
  });
});
