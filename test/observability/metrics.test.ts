/* eslint-disable @typescript-eslint/no-explicit-any -- JSON answers are read back loosely in assertions */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { AddressInfo } from 'node:net';
import { chatStream, MockUpstream } from '../support/mock-openai.js';
import { mockProvider, startProxy, type TestProxy } from '../support/proxy.js';

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Parses Prometheus text exposition format 0.0.4 into samples and the declared metric names. */
function parsePrometheus(text: string): { samples: Sample[]; declared: Map<string, string> } {
  const samples: Sample[] = [];
  const declared = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    const type = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (type) {
      declared.set(type[1], type[2]);
      continue;
    }
    if (line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)(?: \d+)?$/.exec(line);
    if (!match) throw new Error(`unparseable line: ${line}`);
    const labels: Record<string, string> = {};
    for (const pair of (match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[pair[1]] = pair[2];
    samples.push({ name: match[1], labels, value: Number(match[3]) });
  }
  return { samples, declared };
}

function value(samples: Sample[], name: string, labels: Record<string, string> = {}): number {
  return samples
    .filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
    .reduce((sum, s) => sum + s.value, 0);
}

let good: MockUpstream;
let flaky: MockUpstream;
let proxy: TestProxy;

const chat = (model: string, extra: Record<string, unknown> = {}) =>
  fetch(`${proxy.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hello there' }], ...extra }),
  });

beforeAll(async () => {
  good = await MockUpstream.start('good');
  flaky = await MockUpstream.start('flaky');
  proxy = await startProxy({
    metrics: { port: 0 },
    pricing: { 'house-model': { input_per_1k: 1, output_per_1k: 2 } },
    providers: [
      mockProvider('good', good.url, { models: ['gpt-4o', 'house-model'] }),
      mockProvider('flaky', flaky.url, { models: ['flaky-model'], max_retries: 1 }),
    ],
  });

  // Traffic: successes, a retried success, a stream without usage, an upstream 4xx, a proxy 404.
  expect((await chat('gpt-4o')).status).toBe(200);
  expect((await chat('house-model')).status).toBe(200);
  flaky.enqueue({ status: 500, body: { error: { message: 'boom' } } });
  expect((await chat('flaky-model')).status).toBe(200);
  flaky.enqueue({ status: 400, body: { error: { message: 'bad request', type: 'invalid_request_error' } } });
  expect((await chat('flaky-model')).status).toBe(400);
  good.enqueue({ stream: chatStream(['abcd', 'efgh', 'ijkl']), gapMs: 5 });
  const stream = await chat('gpt-4o', { stream: true });
  expect(stream.status).toBe(200);
  await stream.text();
  expect((await chat('no-such-model')).status).toBe(404);
});

afterAll(async () => {
  await proxy.close();
  await good.close();
  await flaky.close();
});

describe('Prometheus', () => {
  test('every documented metric is exposed with sane values after traffic', async () => {
    const res = await fetch(`${proxy.url}/metrics/prometheus`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain');
    const { samples, declared } = parsePrometheus(await res.text());
    const names = [
      'llm_proxy_requests_total', 'llm_proxy_errors_total', 'llm_proxy_tokens_total', 'llm_proxy_request_duration_seconds',
      'llm_proxy_time_to_first_token_seconds', 'llm_proxy_upstream_duration_seconds', 'llm_proxy_overhead_seconds',
      'llm_proxy_active_requests', 'llm_proxy_circuit_breaker_state', 'llm_proxy_provider_status', 'llm_proxy_retries_total',
      'llm_proxy_fallbacks_total', 'llm_proxy_cache_hits_total', 'llm_proxy_cache_misses_total', 'llm_proxy_rate_limited_total',
      'llm_proxy_condensations_total', 'llm_proxy_health_checks_total', 'llm_proxy_config_reloads_total', 'llm_proxy_cost_usd_total',
      'http_requests_total', 'http_request_duration_seconds', 'process_cpu_user_seconds_total', 'nodejs_heap_size_used_bytes',
    ];
    for (const name of names) expect(declared.has(name), name).toBe(true);

    const endpoint = '/v1/chat/completions';
    expect(value(samples, 'llm_proxy_requests_total', { provider: 'good', endpoint, status: '200' })).toBe(3);
    expect(value(samples, 'llm_proxy_requests_total', { provider: 'flaky', endpoint, status: '200' })).toBe(1);
    expect(value(samples, 'llm_proxy_requests_total', { provider: 'none', endpoint, status: '400' })).toBe(1);
    expect(value(samples, 'llm_proxy_requests_total', { provider: 'none', endpoint, status: '404' })).toBe(1);
    expect(value(samples, 'llm_proxy_errors_total', { provider: 'flaky', error_type: 'upstream_http' })).toBe(2);
    expect(value(samples, 'llm_proxy_errors_total', { error_type: 'model_not_found' })).toBe(1);
    expect(value(samples, 'llm_proxy_retries_total', { provider: 'flaky' })).toBe(1);
    expect(value(samples, 'llm_proxy_tokens_total', { provider: 'good', model: 'gpt-4o', operation: 'prompt' })).toBeGreaterThanOrEqual(9);
    // The stream carried no usage: its 12 characters of completion were counted as 3 tokens, on top of the JSON answer's 3.
    expect(value(samples, 'llm_proxy_tokens_total', { provider: 'good', model: 'gpt-4o', operation: 'completion' })).toBe(6);
    expect(value(samples, 'llm_proxy_cost_usd_total', { provider: 'good', model: 'house-model' })).toBeCloseTo((9 * 1 + 3 * 2) / 1000, 8);
    expect(value(samples, 'llm_proxy_time_to_first_token_seconds_count', { provider: 'good' })).toBe(1);
    expect(value(samples, 'llm_proxy_request_duration_seconds_count', { provider: 'good', endpoint })).toBe(3);
    expect(value(samples, 'llm_proxy_upstream_duration_seconds_count', { provider: 'flaky' })).toBe(3);
    expect(value(samples, 'llm_proxy_overhead_seconds_count')).toBeGreaterThanOrEqual(5);
    expect(value(samples, 'llm_proxy_overhead_seconds_sum')).toBeGreaterThan(0);
    expect(value(samples, 'llm_proxy_active_requests', { provider: 'good' })).toBe(0);
    expect(value(samples, 'llm_proxy_provider_status', { provider: 'good' })).toBe(1);
    expect(value(samples, 'http_requests_total', { method: 'POST', route: endpoint, status_code: '200' })).toBe(4);
    // Models outside the configuration and price tables collapse to `other`.
    expect(samples.filter((s) => s.name === 'llm_proxy_tokens_total').every((s) => ['gpt-4o', 'house-model', 'flaky-model'].includes(s.labels.model))).toBe(true);
  });

  test('GET /metrics answers Prometheus text to a scraper and JSON otherwise', async () => {
    const scrape = await fetch(`${proxy.url}/metrics`, { headers: { accept: 'application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5' } });
    expect(scrape.headers.get('content-type')).toContain('text/plain');
    expect(await scrape.text()).toContain('# TYPE llm_proxy_requests_total counter');
    const json = await fetch(`${proxy.url}/metrics`);
    expect(json.headers.get('content-type')).toContain('application/json');
  });

  test('metrics.port serves the same metrics on a listener of its own', async () => {
    const server = proxy.app.metricsServer!;
    const port = (server.address() as AddressInfo).port;
    expect(port).not.toBe(Number(new URL(proxy.url).port));
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics/prometheus`)).text();
    expect(parsePrometheus(text).declared.has('llm_proxy_requests_total')).toBe(true);
    const json = (await (await fetch(`http://127.0.0.1:${port}/metrics`)).json()) as { summary: { total_requests: number } };
    expect(json.summary.total_requests).toBeGreaterThanOrEqual(6);
  });
});

describe('JSON metrics and usage', () => {
  test('per-provider counts, rates and latency after successes and failures', async () => {
    const body = (await (await fetch(`${proxy.url}/metrics`)).json()) as Record<string, any>;
    const flakyStats = body.providers.flaky;
    // The 500 is the provider failing; the 400 is the client's mistake, relayed, and not held against it.
    expect(flakyStats).toMatchObject({ total_requests: 3, successful_requests: 2, failed_requests: 1 });
    expect(flakyStats.success_rate).toBeCloseTo(66.67, 1);
    expect(flakyStats.error_rate).toBeCloseTo(33.33, 1);
    expect(flakyStats.p95_response_time_ms).toBeGreaterThanOrEqual(flakyStats.p50_response_time_ms);
    expect(body.providers.good).toMatchObject({ total_requests: 3, successful_requests: 3, failed_requests: 0, success_rate: 100 });
    expect(body.providers.good.total_tokens).toBeGreaterThan(0);
    expect(body.providers.good.cost_usd).toBeGreaterThan(0);
    expect(body.summary).toMatchObject({ total_providers: 2, total_requests: 6, successful_requests: 4, failed_requests: 2 });
    expect(body.summary.average_success_rate).toBeCloseTo((100 + 200 / 3) / 2, 1);
    expect(body.usage.by_model['house-model']).toMatchObject({ requests: 1, prompt_tokens: 9, completion_tokens: 3, cost_usd: 0.015 });
    expect(body.usage.by_api_key.anonymous.requests).toBe(4);
    expect(body.system.memory_percent).toBeGreaterThan(0);
  });

  test('a JSON answer carries its cost in _proxy_info', async () => {
    const body = (await (await chat('house-model')).json()) as { _proxy_info: { cost_usd: number } };
    expect(body._proxy_info.cost_usd).toBeCloseTo(0.015, 8);
  });
});

describe('cache and rate-limit counters', () => {
  test('cache hits and misses are counted and the cache stats appear in JSON metrics', async () => {
    const upstream = await MockUpstream.start('cached');
    const cached = await startProxy({
      hot_reload: { enabled: false },
      caching: { enabled: true },
      rate_limit: { enabled: true, requests_per_window: 4, burst_limit: 100 },
      providers: [mockProvider('cached', upstream.url, { models: ['gpt-4o'] })],
    });
    try {
      const ask = () =>
        fetch(`${cached.url}/v1/chat/completions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ model: 'gpt-4o', temperature: 0, messages: [{ role: 'user', content: 'same question' }] }),
        });
      expect((await ask()).headers.get('x-proxy-cache')).toBe('MISS');
      expect((await ask()).headers.get('x-proxy-cache')).toBe('HIT');
      const body = (await (await fetch(`${cached.url}/metrics`)).json()) as Record<string, any>;
      expect(body.cache).toMatchObject({ enabled: true, hits: 1, misses: 1 });
      // Past the window's budget the proxy refuses with 429.
      let refused = 0;
      for (let i = 0; i < 6 && refused === 0; i++) if ((await ask()).status === 429) refused++;
      expect(refused).toBe(1);
      // Read in-process: the scrape endpoint itself is subject to the same global limit.
      const { samples } = parsePrometheus(await cached.app.observability.metrics.prometheus());
      expect(value(samples, 'llm_proxy_cache_hits_total')).toBeGreaterThanOrEqual(1);
      expect(value(samples, 'llm_proxy_cache_misses_total')).toBe(1);
      expect(value(samples, 'llm_proxy_rate_limited_total')).toBe(1);
      expect(upstream.calls('/v1/chat/completions')).toHaveLength(1);
    } finally {
      await cached.close();
      await upstream.close();
    }
  });
});
