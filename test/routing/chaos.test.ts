import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config/load.js';
import { configSchema } from '../../src/config/schema.js';
import { createGateway, type Gateway } from '../../src/gateway.js';
import type { Runtime } from '../../src/runtime.js';
import { MockUpstream } from '../support/mock-openai.js';
import { mockProvider, writeConfig } from '../support/proxy.js';

interface LoggedProxy {
  app: FastifyInstance;
  gateway: Gateway;
  runtime: Runtime;
  url: string;
  lines: Array<Record<string, unknown>>;
}

let a: MockUpstream;
let b: MockUpstream;
let proxy: LoggedProxy | null = null;

/** The real app, with its log lines collected (startProxy's logger is silent). */
async function start(doc: Record<string, unknown>): Promise<LoggedProxy> {
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  const loaded = loadConfig({ file: writeConfig(doc), env: {} });
  const gateway = await createGateway({ loaded, logger: pino({ level: 'warn' }, sink), env: {} });
  const app = await buildApp(gateway);
  await app.listen({ host: '127.0.0.1', port: 0 });
  return { app, gateway, runtime: gateway.runtime, url: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`, lines };
}

async function post(path = '/v1/chat/completions', body: Record<string, unknown> = { model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] }): Promise<Response> {
  return fetch(`${proxy!.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
}

/** `total` requests, `parallel` at a time. */
async function many(total: number, parallel: number): Promise<number[]> {
  const statuses: number[] = [];
  for (let done = 0; done < total; done += parallel) {
    const batch = await Promise.all(Array.from({ length: Math.min(parallel, total - done) }, () => post()));
    for (const res of batch) {
      statuses.push(res.status);
      await res.arrayBuffer();
    }
  }
  return statuses;
}

const injected = () => proxy!.lines.filter((l) => typeof l.chaos_fault === 'string');

beforeAll(async () => {
  a = await MockUpstream.start('a');
  b = await MockUpstream.start('b');
});

afterEach(async () => {
  await proxy?.app.close();
  proxy = null;
  a.reset();
  b.reset();
});

afterAll(async () => {
  await a.close();
  await b.close();
});

describe('chaos engineering', () => {
  test('faults are off by default and validated by the schema', () => {
    const config = configSchema.parse({ providers: [] });
    expect(config.chaos_engineering).toEqual({ enabled: false, excluded_endpoints: [], faults: [] });
    const bad = configSchema.safeParse({ providers: [], chaos_engineering: { faults: [{ type: 'meteor', probability: 2 }] } });
    expect(bad.success).toBe(false);
    const good = configSchema.parse({ providers: [], chaos_engineering: { faults: [{ type: 'error', probability: 0.5 }] } });
    expect(good.chaos_engineering.faults[0]).toMatchObject({ type: 'error', probability: 0.5, target: '*', error_code: 500, enabled: true });
  });

  test('an error fault hits at its configured rate (within statistical tolerance), each one logged', async () => {
    proxy = await start({
      circuit_breaker: { enabled: false },
      chaos_engineering: { enabled: true, faults: [{ type: 'error', probability: 0.3, error_code: 503 }] },
      providers: [mockProvider('a', a.url, { max_retries: 0 })],
    });
    const total = 300;
    const statuses = await many(total, 25);
    const failed = statuses.filter((s) => s !== 200).length;
    // Binomial(300, 0.3): mean 90, sd ≈ 7.9; ±4 sd keeps this from flaking.
    expect(failed).toBeGreaterThan(90 - 32);
    expect(failed).toBeLessThan(90 + 32);
    expect(new Set(statuses.filter((s) => s !== 200))).toEqual(new Set([503]));
    // Injected faults never reach the upstream; every one is logged.
    expect(a.calls('/v1/chat/completions')).toHaveLength(total - failed);
    expect(injected()).toHaveLength(failed);
    expect(injected()[0]).toMatchObject({ chaos_fault: 'error', provider: 'a', endpoint: '/v1/chat/completions' });
  });

  test('with 30% errors on one of two providers, 200 requests all succeed (retries, fallback, breakers hold)', async () => {
    proxy = await start({
      chaos_engineering: { enabled: true, faults: [{ type: 'error', probability: 0.3, target: 'a' }] },
      providers: [mockProvider('a', a.url, { max_retries: 1 }), mockProvider('b', b.url, { max_retries: 1 })],
    });
    const statuses = await many(200, 20);
    expect(statuses.filter((s) => s !== 200)).toEqual([]);
    expect(injected().length).toBeGreaterThan(0);
    expect(injected().every((l) => l.provider === 'a')).toBe(true);
  });

  test('network_failure, rate_limit and timeout faults fail like their real counterparts', async () => {
    proxy = await start({
      chaos_engineering: {
        enabled: true,
        faults: [
          { type: 'network_failure', probability: 1, target: 'a' },
          { type: 'rate_limit', probability: 1, target: 'b', retry_after: 0 },
        ],
      },
      providers: [mockProvider('a', a.url, { max_retries: 0, models: ['model-a'] }), mockProvider('b', b.url, { max_retries: 1, models: ['model-b'] })],
    });
    const reset = await post('/v1/chat/completions', { model: 'model-a', messages: [{ role: 'user', content: 'hi' }] });
    expect(reset.status).toBe(503);
    expect((await reset.json()).error.message).toContain('connection was reset (injected fault)');
    const limited = await post('/v1/chat/completions', { model: 'model-b', messages: [{ role: 'user', content: 'hi' }] });
    expect(limited.status).toBe(503);
    expect((await limited.json()).error.message).toContain('rate limit exceeded (injected fault)');
    expect(a.calls()).toHaveLength(0);
    expect(b.calls()).toHaveLength(0);
    expect(injected().map((l) => l.chaos_fault)).toEqual(['network_failure', 'rate_limit', 'rate_limit']);
    expect(proxy.gateway.resilience.chaos.injected).toMatchObject({ network_failure: 1, rate_limit: 2 });
    await proxy.app.close();

    proxy = await start({
      chaos_engineering: { enabled: true, faults: [{ type: 'timeout', probability: 1 }] },
      providers: [mockProvider('a', a.url, { max_retries: 0, timeout: 0.1 })],
    });
    const timedOut = await post();
    expect(timedOut.status).toBe(504);
    expect((await timedOut.json()).error.code).toBe('upstream_timeout');
  });

  test('a delay fault holds the attempt, then lets it through', async () => {
    proxy = await start({
      chaos_engineering: { enabled: true, faults: [{ type: 'delay', probability: 1, duration_ms: 150 }] },
      providers: [mockProvider('a', a.url, { max_retries: 0 })],
    });
    const started = performance.now();
    const res = await post();
    expect(res.status).toBe(200);
    expect(performance.now() - started).toBeGreaterThanOrEqual(140);
    expect(a.calls('/v1/chat/completions')).toHaveLength(1);
    expect(injected()).toEqual([expect.objectContaining({ chaos_fault: 'delay', provider: 'a' })]);
  });

  test('excluded_endpoints and untargeted providers are left alone', async () => {
    proxy = await start({
      chaos_engineering: { enabled: true, excluded_endpoints: ['/v1/embeddings'], faults: [{ type: 'error', probability: 1, target: 'a*' }] },
      providers: [mockProvider('a', a.url, { max_retries: 0, models: ['gpt-4o', 'text-embedding-3-small'] }), mockProvider('other', b.url, { models: ['model-b'] })],
    });
    const embed = await post('/v1/embeddings', { model: 'text-embedding-3-small', input: 'hi' });
    expect(embed.status).toBe(200);
    expect((await post()).status).toBe(503);
    expect((await post('/v1/chat/completions', { model: 'model-b', messages: [{ role: 'user', content: 'hi' }] })).status).toBe(200);
    expect(injected()).toHaveLength(1);
  });

  test('faults count against the circuit breaker like real failures', async () => {
    proxy = await start({
      circuit_breaker: { failure_threshold: 3, volume_threshold: 3, recovery_timeout: 60 },
      chaos_engineering: { enabled: true, faults: [{ type: 'error', probability: 1, target: 'a' }] },
      providers: [mockProvider('a', a.url, { max_retries: 0 }), mockProvider('b', b.url, { priority: 2 })],
    });
    for (let i = 0; i < 3; i++) expect((await post()).status).toBe(200);
    expect(proxy.gateway.resilience.breakers.state('a')).toBe('open');
    await post();
    // Open: skipped without an attempt, so no further fault is injected.
    expect(injected()).toHaveLength(3);
    // One log line for the transition, none for the requests it then turned away.
    const transitions = proxy.lines.filter((l) => l.breaker_state !== undefined);
    expect(transitions).toEqual([expect.objectContaining({ provider: 'a', breaker_state: 'open', failures: 3 })]);
    expect(proxy.gateway.resilience.breakers.describe('a').transitions).toBe(1);
  });
});
