/* eslint-disable @typescript-eslint/no-explicit-any -- Prometheus and Grafana JSON are read loosely */
// monitoring/ checked for real: promtool checks and unit-tests the alert rules; a real Prometheus
// server on loopback scrapes a running proxy (a healthy provider, a failing one, streams, cache hits,
// rate-limited calls, Redis) and every dashboard query returns data, every rule evaluates cleanly,
// and the failing provider's alert goes pending; every metric name the assets use is in a real scrape.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { parse } from 'yaml';
import { serverPort } from '../../src/observability/metrics-server.js';
import { freePort } from '../support/cli.js';
import { chatCompletion, chatStream, MockUpstream } from '../support/mock-openai.js';
import { mockProvider, startProxy, type TestProxy } from '../support/proxy.js';
import { deletePrefix, REDIS_URL, uniquePrefix } from '../support/redis.js';
import { repoPath } from './env-names.js';

const RULES = repoPath('monitoring/alert_rules.yml');
const dashboard = JSON.parse(readFileSync(repoPath('monitoring/grafana/dashboards/llm-proxy.json'), 'utf8'));
const rules: any[] = parse(readFileSync(RULES, 'utf8')).groups.flatMap((g: any) => g.rules);
const panelQueries: Array<{ title: string; expr: string }> = dashboard.panels.flatMap((p: any) => (p.targets ?? []).map((t: any) => ({ title: p.title, expr: t.expr })));

/** Waits (outside a test, where expect.poll is not allowed) until `check` holds. */
async function until(check: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  for (const started = Date.now(); !(await check()); ) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function promtool(...args: string[]): string {
  try {
    return execFileSync('promtool', args, { encoding: 'utf8', cwd: repoPath('monitoring') });
  } catch (error) {
    const e = error as { code?: string; stdout?: string; stderr?: string };
    if (e.code === 'ENOENT') throw new Error("promtool not found: install Debian's prometheus package (.ci/run does)");
    throw new Error(`promtool ${args.join(' ')} failed:\n${e.stdout ?? ''}${e.stderr ?? ''}`);
  }
}

/** Metric names a PromQL expression reads (identifiers followed by a selector, a range or nothing). */
function metricNames(expr: string): string[] {
  const stripped = expr
    .replace(/\{[^}]*\}/g, '')
    .replace(/\b(by|without|on|ignoring)\s*\([^)]*\)/g, '')
    .replace(/\b(group_left|group_right)\b/g, '')
    .replace(/\b\d+(\.\d+)?(e-?\d+)?\b/g, '');
  const words = stripped.match(/[a-zA-Z_:][a-zA-Z0-9_:]*(?=\s*(\{|\[|\)|$|\s|==|>|<|!|\*|\/|\+|-))/g) ?? [];
  const functions = new Set(['sum', 'max', 'min', 'rate', 'scalar', 'vector', 'histogram_quantile', 'clamp_min', 'and', 'or', 'unless', 'le', 'bool']);
  return [...new Set(words.filter((w) => !functions.has(w) && !/^\d/.test(w)))];
}

describe('alert rules, with promtool', () => {
  test('promtool check rules passes', () => {
    expect(promtool('check', 'rules', RULES)).toContain('SUCCESS');
  });

  test('promtool test rules: every alert fires on its scenario and stays quiet otherwise', () => {
    expect(promtool('test', 'rules', 'alert_rules.test.yml')).toContain('SUCCESS');
    const tested = new Set([...readFileSync(repoPath('monitoring/alert_rules.test.yml'), 'utf8').matchAll(/alertname: (\w+)/g)].map((m) => m[1]));
    for (const rule of rules) expect(tested, rule.alert).toContain(rule.alert);
  });

  test('every rule has a for, a severity and a description that says what to do', () => {
    for (const rule of rules) {
      expect(rule.for, rule.alert).toMatch(/^\d+[smh]$/);
      expect(['info', 'warning', 'critical']).toContain(rule.labels.severity);
      expect(rule.annotations.description.length, rule.alert).toBeGreaterThan(60);
    }
  });
});

describe('a real Prometheus scraping a running proxy', () => {
  let good: MockUpstream;
  let bad: MockUpstream;
  let proxy: TestProxy;
  let prometheus: ChildProcess;
  let promUrl = '';
  let scrape = '';
  const dir = mkdtempSync(path.join(tmpdir(), 'llm-proxy-prom-'));
  const prefix = uniquePrefix();

  const query = async (expr: string): Promise<any[]> => {
    const res = await fetch(`${promUrl}/api/v1/query?query=${encodeURIComponent(expr)}`);
    const body = (await res.json()) as any;
    if (body.status !== 'success') throw new Error(`${expr}: ${body.error}`);
    return body.data.result;
  };

  beforeAll(async () => {
    good = await MockUpstream.start('good');
    bad = await MockUpstream.start('bad');
    good.setScript((req) => (req.body?.stream ? { stream: chatStream(['Hello', ' there'], 'gpt-4o', true), gapMs: 5 } : { body: chatCompletion('Hello', 'gpt-4o', { usage: { prompt_tokens: 9, completion_tokens: 3, total_tokens: 12 } }) }));
    bad.setScript(() => ({ status: 500, body: { error: { message: 'boom', type: 'server_error' } } }));
    proxy = await startProxy({
      hot_reload: { enabled: false },
      metrics: { port: 0 },
      redis: { url: REDIS_URL, key_prefix: prefix },
      caching: { enabled: true },
      rate_limit: { enabled: true, routes: { '/v1/embeddings': '2/minute' } },
      circuit_breaker: { enabled: true, failure_threshold: 1000 },
      pricing: { 'gpt-4o': { input_per_1k: 1, output_per_1k: 2 } },
      // shared-model: bad first (one retry), then a fallback to good.
      providers: [
        mockProvider('good', good.url, { models: ['gpt-4o', 'text-embedding-3-small', 'shared-model'], priority: 2 }),
        mockProvider('bad', bad.url, { models: ['bad-model', 'shared-model'], max_retries: 1, priority: 1 }),
      ],
    });
    // The metrics listener starts in an onListen hook, just after listen() resolves.
    await until(() => proxy.app.metricsServer !== null);
    const metricsPort = serverPort(proxy.app.metricsServer!);
    const port = await freePort();
    writeFileSync(
      path.join(dir, 'prometheus.yml'),
      `global: { scrape_interval: 1s, evaluation_interval: 1s }\nrule_files: ["${RULES}"]\nscrape_configs:\n  - job_name: llm-proxy\n    metrics_path: /metrics/prometheus\n    static_configs: [{ targets: ["127.0.0.1:${metricsPort}"] }]\n`,
    );
    prometheus = spawn('prometheus', [`--config.file=${path.join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${path.join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`], { stdio: 'ignore' });
    prometheus.on('error', () => undefined);
    promUrl = `http://127.0.0.1:${port}`;
    await until(() => fetch(`${promUrl}/-/ready`).then((r) => r.ok, () => false), 20_000);
    // Prometheus applies discovered targets a few seconds after start; traffic counts once it scrapes.
    const scraping = async () => {
      const body = (await (await fetch(`${promUrl}/api/v1/targets`)).json()) as any;
      return body.data.activeTargets.some((t: any) => t.health === 'up');
    };
    await until(scraping, 30_000);

    const post = (url: string, body: unknown) => fetch(`${proxy.url}${url}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }).then((r) => r.text());
    for (let round = 0; round < 6; round++) {
      await Promise.all([
        post('/v1/chat/completions', { model: 'gpt-4o', messages: [{ role: 'user', content: `hi ${round}` }] }),
        post('/v1/chat/completions', { model: 'gpt-4o', temperature: 0, messages: [{ role: 'user', content: 'cached' }] }),
        post('/v1/chat/completions', { model: 'gpt-4o', stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content: 'stream' }] }),
        post('/v1/chat/completions', { model: 'bad-model', messages: [{ role: 'user', content: 'fail' }] }),
        post('/v1/chat/completions', { model: 'shared-model', messages: [{ role: 'user', content: 'fall back' }] }),
        post('/v1/embeddings', { model: 'text-embedding-3-small', input: 'x' }),
      ]);
      await new Promise((resolve) => setTimeout(resolve, 700));
    }
    await new Promise((resolve) => setTimeout(resolve, 2500)); // two more scrapes after the last request
    scrape = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics/prometheus`)).text();
  }, 90_000);

  afterAll(async () => {
    prometheus?.kill('SIGKILL');
    await proxy?.close();
    await good?.close();
    await bad?.close();
    await deletePrefix(prefix);
    rmSync(dir, { recursive: true, force: true });
  });

  test('every dashboard panel query returns data', async () => {
    const empty: string[] = [];
    for (const { title, expr } of panelQueries) {
      const concrete = expr.replaceAll('$__rate_interval', '30s').replaceAll('$provider', '.*').replaceAll('$model', '.*');
      const result = await query(concrete);
      if (result.length === 0) empty.push(`${title}: ${expr}`);
    }
    expect(empty).toEqual([]);
  });

  test('every rule evaluates without error, and the failing provider\'s alert becomes pending or firing', async () => {
    await expect
      .poll(
        async () => {
          const groups = ((await (await fetch(`${promUrl}/api/v1/rules`)).json()) as any).data.groups;
          const evaluated = groups.flatMap((g: any) => g.rules);
          expect(evaluated.map((r: any) => r.name).sort()).toEqual(rules.map((r) => r.alert).sort());
          for (const rule of evaluated) expect(rule.health, `${rule.name}: ${rule.lastError ?? ''}`).toBe('ok');
          const errorRatio = evaluated.find((r: any) => r.name === 'LLMProviderHighErrorRatio');
          return errorRatio.alerts.map((a: any) => `${a.labels.provider}:${a.state}`);
        },
        { timeout: 20_000, interval: 500 },
      )
      .toEqual(expect.arrayContaining([expect.stringMatching(/^bad:(pending|firing)$/)]));
    const alerts = ((await (await fetch(`${promUrl}/api/v1/alerts`)).json()) as any).data.alerts;
    expect(alerts.filter((a: any) => a.labels.provider === 'good')).toEqual([]);
    expect(alerts.map((a: any) => a.labels.alertname)).not.toContain('LLMProxyRedisDown');
  });

  test('every metric name used by the dashboard and the rules is in a real scrape', () => {
    const families = new Set([...scrape.matchAll(/^# TYPE (\S+) (\S+)/gm)].map((m) => m[1]));
    const exists = (name: string) => name === 'up' || families.has(name) || families.has(name.replace(/_(bucket|count|sum)$/, ''));
    const used = new Set([...panelQueries.map((q) => q.expr), ...rules.map((r) => r.expr)].flatMap(metricNames));
    expect(used.size).toBeGreaterThan(20);
    expect([...used].filter((name) => !exists(name))).toEqual([]);
  });

  test('every family the proxy exports is charted or listed as deliberately not charted', () => {
    const families = [...scrape.matchAll(/^# TYPE (\S+) (\S+)/gm)].map((m) => m[1]);
    const charted = new Set(panelQueries.flatMap((q) => metricNames(q.expr)).map((n) => n.replace(/_(bucket|count|sum)$/, '')));
    const listed = readFileSync(repoPath('monitoring/not-charted.txt'), 'utf8').split('\n').filter((l) => l && !l.startsWith('#')).map((l) => l.split(/\s+/)[0]);
    const excused = (name: string) => listed.some((entry) => (entry.endsWith('*') ? name.startsWith(entry.slice(0, -1)) : entry === name));
    expect(families.filter((f) => !charted.has(f) && !excused(f))).toEqual([]);
  });
});
