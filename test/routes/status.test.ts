import { readFileSync, writeFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { MockUpstream } from '../support/mock-openai.js';
import { mockProvider, startProxy, type TestProxy } from '../support/proxy.js';

const ADMIN = { authorization: 'Bearer admin-key' };
const CLIENT = { authorization: 'Bearer client-key' };

let a: MockUpstream;
let b: MockUpstream;
let proxy: TestProxy;

function doc(providers: Array<Record<string, unknown>>): Record<string, unknown> {
  return { auth: { api_keys: ['client-key'], admin_keys: ['admin-key'] }, providers };
}

async function call(method: string, path: string, headers: Record<string, string> = ADMIN, body?: unknown) {
  const res = await fetch(`${proxy.url}${path}`, {
    method,
    headers: body === undefined ? headers : { ...headers, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}

beforeAll(async () => {
  a = await MockUpstream.start('a');
  b = await MockUpstream.start('b');
});

afterEach(async () => {
  await proxy?.close();
  a.reset();
  b.reset();
});

afterAll(async () => {
  await a.close();
  await b.close();
});

describe('GET /status and /status/:name', () => {
  test('summary lists every provider with status, last check, latency and breaker', async () => {
    proxy = await startProxy(doc([mockProvider('a', a.url), mockProvider('b', b.url, { enabled: false })]));
    await call('POST', '/check');
    const { status, body } = await call('GET', '/status', CLIENT);
    expect(status).toBe(200);
    expect(body).toMatchObject({ status: 'healthy', health_score: 100, ready: true, counts: { total: 2, enabled: 1, healthy: 1, disabled: 1 } });
    const [pa, pb] = body.providers;
    expect(pa).toMatchObject({ name: 'a', enabled: true, status: 'healthy', circuit_breaker: { state: 'closed', failures: 0 } });
    expect(pa.last_check).toMatchObject({ ok: true, provider: 'a' });
    expect(pa.latency_ms).toBeGreaterThanOrEqual(0);
    expect(pb).toMatchObject({ name: 'b', enabled: false, status: 'disabled' });
  });

  test('detail of one provider: status, checks, latency, breaker with settings, recent errors, models', async () => {
    proxy = await startProxy({ ...doc([mockProvider('a', a.url, { models: ['gpt-4o', 'gpt-4o-mini'], max_retries: 0 })]), circuit_breaker: { providers: { a: { failure_threshold: 7 } } } });
    a.enqueue({ status: 503, body: { error: { message: 'overloaded right now' } } });
    const failed = await fetch(`${proxy.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { ...CLIENT, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(failed.status).toBe(503);
    const { status, body } = await call('GET', '/status/a', CLIENT);
    expect(status).toBe(200);
    expect(body).toMatchObject({ name: 'a', type: 'openai_compatible', enabled: true, models: ['gpt-4o', 'gpt-4o-mini'], last_check: null });
    expect(body.circuit_breaker).toMatchObject({ state: 'closed', failures: 1, settings: { failure_threshold: 7, recovery_timeout: 60 } });
    expect(body.circuit_breaker.last_failure).toContain('overloaded right now');
    expect(body.recent_errors).toEqual([expect.objectContaining({ source: 'request', status: 503, message: expect.stringContaining('overloaded right now') })]);
    expect(body.traffic).toMatchObject({ requests: 1, failures: 1 });
  });

  test('an unknown provider is a 404 in the error shape', async () => {
    proxy = await startProxy(doc([mockProvider('a', a.url)]));
    const { status, body } = await call('GET', '/status/nope', CLIENT);
    expect(status).toBe(404);
    expect(body.error).toMatchObject({ code: 'not_found', param: 'name', message: "Provider 'nope' is not configured" });
    expect((await call('POST', '/check?provider=nope')).status).toBe(404);
  });
});

describe('POST /check', () => {
  test('needs an admin key', async () => {
    proxy = await startProxy(doc([mockProvider('a', a.url)]));
    const denied = await call('POST', '/check', CLIENT);
    expect(denied.status).toBe(403);
    expect(denied.body.error.code).toBe('insufficient_permissions');
    expect(a.calls('/v1/models')).toHaveLength(0);
  });

  test('runs every enabled provider check now, or one provider', async () => {
    proxy = await startProxy(doc([mockProvider('a', a.url), mockProvider('b', b.url), mockProvider('off', b.url, { enabled: false })]));
    b.enqueue({ status: 500, body: { error: { message: 'b is down' } } });
    const all = await call('POST', '/check');
    expect(all.status).toBe(200);
    const byName = Object.fromEntries(all.body.results.map((r: { provider: string }) => [r.provider, r]));
    expect(byName.a).toMatchObject({ ok: true, status: 'healthy', error: null });
    expect(byName.b).toMatchObject({ ok: false, status: 'degraded' });
    expect(byName.b.error).toContain('b is down');
    expect(all.body.skipped).toEqual([{ provider: 'off', reason: 'enabled: false' }]);
    expect(all.body.health_score).toBe(75);

    const one = await call('POST', '/check', ADMIN, { provider: 'b' });
    expect(one.body.results).toHaveLength(1);
    expect(one.body.results[0]).toMatchObject({ provider: 'b', ok: true, status: 'healthy' });
    expect(a.calls('/v1/models')).toHaveLength(1);
    expect(b.calls('/v1/models')).toHaveLength(2);
    // Each check is counted in the metrics.
    const metrics = await (await fetch(`${proxy.url}/metrics/prometheus`, { headers: ADMIN })).text();
    expect(metrics).toContain('llm_proxy_health_checks_total{provider="b",result="failure"} 1');
    expect(metrics).toContain('llm_proxy_health_checks_total{provider="b",result="success"} 1');
  });
});

describe('POST /discover', () => {
  test('reports what changed in the providers, applies it (unless dry_run), and rejects an invalid source', async () => {
    proxy = await startProxy(doc([mockProvider('a', a.url), mockProvider('b', b.url)]));
    const next = doc([mockProvider('a', a.url, { priority: 5 }), mockProvider('c', b.url, { models: ['only-c'] })]);
    writeFileSync(proxy.configFile, JSON.stringify(next));

    const dry = await call('POST', '/discover?dry_run=true');
    expect(dry.status).toBe(200);
    expect(dry.body).toMatchObject({ applied: false, dry_run: true, added: ['c'], removed: ['b'], changed: [{ name: 'a', fields: ['priority'] }], unchanged: [] });
    expect(proxy.runtime.provider('c')).toBeUndefined();

    const applied = await call('POST', '/discover');
    expect(applied.body).toMatchObject({ applied: true, added: ['c'], removed: ['b'] });
    expect(applied.body.providers.map((p: { name: string }) => p.name)).toEqual(['a', 'c']);
    const served = await fetch(`${proxy.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { ...CLIENT, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'only-c', messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(served.headers.get('x-proxy-provider')).toBe('c');

    const again = await call('POST', '/discover');
    expect(again.body).toMatchObject({ applied: false, added: [], removed: [], changed: [], unchanged: ['a', 'c'] });

    writeFileSync(proxy.configFile, readFileSync(proxy.configFile, 'utf8').replace('"priority":5', '"priority":"high"'));
    const invalid = await call('POST', '/discover');
    expect(invalid.status).toBe(400);
    expect(invalid.body.error.message).toContain('providers[0].priority');
    expect(proxy.runtime.config.providers.map((p) => p.name)).toEqual(['a', 'c']);
    expect((await call('POST', '/discover', CLIENT)).status).toBe(403);
  });
});

describe('POST /cache/clear', () => {
  test('clears health-check results and every registered cache; one cache by name; unknown name is a 404', async () => {
    proxy = await startProxy(doc([mockProvider('a', a.url)]));
    await call('POST', '/check');
    expect((await call('GET', '/status/a', CLIENT)).body.last_check).not.toBeNull();
    const cleared = await call('POST', '/cache/clear');
    expect(cleared.status).toBe(200);
    expect(cleared.body.cleared).toEqual(expect.arrayContaining(['health_checks', 'responses']));
    expect((await call('GET', '/status/a', CLIENT)).body.last_check).toBeNull();

    const one = await call('POST', '/cache/clear', ADMIN, { cache: 'health_checks' });
    expect(one.body.cleared).toEqual(['health_checks']);
    const unknown = await call('POST', '/cache/clear?cache=nope');
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe('not_found');
    expect((await call('POST', '/cache/clear', CLIENT)).status).toBe(403);
  });
});
