/* eslint-disable @typescript-eslint/no-explicit-any -- Prometheus and Grafana JSON are read loosely */
// monitoring/ checked for real: promtool checks and unit-tests the alert rules; a real Prometheus
// server on loopback scrapes a running proxy (a healthy provider, a failing one, streams, cache hits,
// rate-limited calls, Redis, a guardrail) and every dashboard query returns data, every rule evaluates cleanly,
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
const alertRules = rules.filter((r) => r.alert);
const recorded = new Set(rules.filter((r) => r.record).map((r) => r.record as string));
const JOB = 'job="llm-proxy"';
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
  const functions = new Set(['sum', 'max', 'min', 'rate', 'scalar', 'vector', 'histogram_quantile', 'clamp_min', 'and', 'or', 'unless', 'le', 'bool', 'on', 'by']);
  return [...new Set(words.filter((w) => !functions.has(w) && !/^\d/.test(w)))];
}

describe('alert rules, with promtool', () => {
  test('promtool check rules passes', () => {
    expect(promtool('check', 'rules', RULES)).toContain('SUCCESS');
  });

  test('promtool test rules: every alert fires on its scenario and stays quiet otherwise', () => {
    expect(promtool('test', 'rules', 'alert_rules.test.yml')).toContain('SUCCESS');
    const tested = new Set([...readFileSync(repoPath('monitoring/alert_rules.test.yml'), 'utf8').matchAll(/alertname: (\w+)/g)].map((m) => m[1]));
    for (const rule of alertRules) expect(tested, rule.alert).toContain(rule.alert);
    // Among them: a multi-window burn-rate alert, and the event-loop alert ignoring another job's Node.js service.
    expect(tested).toContain('LLMProxyErrorBudgetBurnFast');
    expect(readFileSync(repoPath('monitoring/alert_rules.test.yml'), 'utf8')).toMatch(/nodejs_eventloop_lag_p99_seconds\{job="billing"/);
  });

  test('every alert has a for, a severity, a description that says what to do, and a runbook_url to its section of docs/runbooks.md', () => {
    const runbooks = readFileSync(repoPath('docs/runbooks.md'), 'utf8');
    for (const rule of alertRules) {
      expect(rule.for, rule.alert).toMatch(/^\d+[smh]$/);
      expect(['info', 'warning', 'critical']).toContain(rule.labels.severity);
      expect(rule.annotations.description.length, rule.alert).toBeGreaterThan(60);
      expect(rule.annotations.runbook_url, rule.alert).toMatch(new RegExp(`/docs/runbooks\\.md#${rule.alert.toLowerCase()}$`));
      expect(runbooks, rule.alert).toContain(`\n## ${rule.alert}\n`);
    }
  });

  test('the job selector: every raw series a rule reads selects job="llm-proxy" (and nothing else does); alerts aggregate by namespace and job', () => {
    for (const rule of rules) {
      for (const name of metricNames(rule.expr).filter((n) => !recorded.has(n))) {
        expect(rule.expr, `${rule.alert ?? rule.record}: ${name}`).toMatch(new RegExp(`\\b${name}\\{${JOB}`));
      }
      for (const by of rule.expr.matchAll(/\b(?:sum|max|min) by \(([^)]*)\)/g)) {
        const labels = by[1].split(',').map((l: string) => l.trim());
        if (!labels.includes('instance')) expect(labels, `${rule.alert ?? rule.record}`).toEqual(expect.arrayContaining(['namespace', 'job']));
      }
    }
    const jobs = new Set(rules.flatMap((r) => [...String(r.expr).matchAll(/job="([^"]+)"/g)].map((m) => m[1])));
    expect([...jobs]).toEqual(['llm-proxy']);
    expect(parse(readFileSync(repoPath('monitoring/prometheus.yml'), 'utf8')).scrape_configs[0].job_name).toBe('llm-proxy');
  });

  test('ratio alerts have a minimum-traffic guard', () => {
    for (const name of ['LLMProxyErrorBudgetBurnFast', 'LLMProxyErrorBudgetBurnSlow', 'LLMProviderHighErrorRatio', 'LLMProxyHighLatencyP95', 'LLMProxyRateLimitSpike']) {
      const rule = alertRules.find((r) => r.alert === name);
      expect(rule.expr, name).toMatch(/and (on \([^)]*\) )?\S*(requests|attempts):rate\w+ > [\d.]+$/);
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
      // Every request's text is checked for personal data; the rounds below send an email address.
      guardrails: { definitions: [{ name: 'pii', type: 'pii', action: 'mask' }], default: ['pii'] },
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
        post('/v1/chat/completions', { model: 'gpt-4o', messages: [{ role: 'user', content: `hi ${round}, I am ada@example.com` }] }),
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
      const concrete = expr.replaceAll('$__rate_interval', '30s').replaceAll('$provider', '.*').replaceAll('$model', '.*').replaceAll('$job', 'llm-proxy').replaceAll('$namespace', '.*').replaceAll('$instance', '.*');
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
          expect(evaluated.map((r: any) => r.name).sort()).toEqual(rules.map((r) => r.alert ?? r.record).sort());
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
    const used = new Set([...panelQueries.map((q) => q.expr), ...rules.map((r) => r.expr)].flatMap(metricNames).filter((n) => !recorded.has(n)));
    expect(used.size).toBeGreaterThan(20);
    expect([...used].filter((name) => !exists(name))).toEqual([]);
  });

  test('every dashboard query selects the job, namespace and instance variables; the dashboard defines them', () => {
    const variables = dashboard.templating.list.map((v: any) => v.name);
    expect(variables).toEqual(expect.arrayContaining(['job', 'namespace', 'instance']));
    for (const { title, expr } of panelQueries) {
      for (const name of metricNames(expr)) expect(expr, `${title}: ${name}`).toMatch(new RegExp(`\\b${name}\\{job=~"\\$job", namespace=~"\\$namespace", instance=~"\\$instance"`));
    }
  });

  test('every family the proxy exports is charted or listed as deliberately not charted', () => {
    const families = [...scrape.matchAll(/^# TYPE (\S+) (\S+)/gm)].map((m) => m[1]);
    const charted = new Set(panelQueries.flatMap((q) => metricNames(q.expr)).map((n) => n.replace(/_(bucket|count|sum)$/, '')));
    const listed = readFileSync(repoPath('monitoring/not-charted.txt'), 'utf8').split('\n').filter((l) => l && !l.startsWith('#')).map((l) => l.split(/\s+/)[0]);
    const excused = (name: string) => listed.some((entry) => (entry.endsWith('*') ? name.startsWith(entry.slice(0, -1)) : entry === name));
    expect(families.filter((f) => !charted.has(f) && !excused(f))).toEqual([]);
  });
});

describe('llm_proxy_redis_up on a single node', () => {
  test('absent without Redis (so LLMProxyRedisDown cannot fire there), 1 with Redis', async () => {
    const upstream = await MockUpstream.start('single');
    const prefix = uniquePrefix();
    const scrapeOf = async (doc: Record<string, unknown>) => {
      const proxy = await startProxy({ hot_reload: { enabled: false }, metrics: { port: 0 }, providers: [mockProvider('a', upstream.url)], ...doc });
      try {
        await until(() => proxy.app.metricsServer !== null);
        return await (await fetch(`http://127.0.0.1:${serverPort(proxy.app.metricsServer!)}/metrics/prometheus`)).text();
      } finally {
        await proxy.close();
      }
    };
    try {
      const single = await scrapeOf({});
      expect(single.match(/^llm_proxy_redis_up.*$/m)?.[0]).toBeUndefined();
      await expect.poll(async () => /^llm_proxy_redis_up\{store="redis"\} 1$/m.test(await scrapeOf({ redis: { url: REDIS_URL, key_prefix: prefix } })), { timeout: 10_000 }).toBe(true);
    } finally {
      await upstream.close();
      await deletePrefix(prefix);
    }
  });
});
