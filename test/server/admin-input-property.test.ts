/* eslint-disable @typescript-eslint/no-explicit-any -- JSON answers are read back loosely */
// Property test: every admin route, driven with generated query strings, path parameters and bodies
// (repeated keys, arrays, objects, prototype names, NUL and other control characters, 10 kB strings,
// unicode), on SQLite and PostgreSQL, never answers 5xx, and every refusal has the documented shape.
// Regressions: repeated query parameters (`operator does not exist: text = record`), group_by=__proto__
// and NUL bytes on PostgreSQL all answered 500.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { testDatabase, type DialectName, type TestDatabase } from '../support/database.js';
import { MockUpstream } from '../support/mock-openai.js';
import { mockProvider, startProxy, type TestProxy } from '../support/proxy.js';

const ADMIN = 'sk-admin-property-test';
const CASES_PER_ROUTE = 24;

/** Every admin route, with the query and body fields it reads. */
const ROUTES: Array<{ method: string; path: string; query?: string[]; body?: string[] }> = [
  { method: 'GET', path: '/v1/keys', query: ['team_id', 'alias', 'status', 'limit', 'cursor'] },
  { method: 'POST', path: '/v1/keys', body: ['alias', 'team_id', 'expires_at', 'models', 'rpm', 'tpm', 'max_parallel', 'budget', 'store_bodies', 'metadata'] },
  { method: 'GET', path: '/v1/keys/:id' },
  { method: 'PATCH', path: '/v1/keys/:id', body: ['alias', 'team_id', 'models', 'budget', 'metadata'] },
  { method: 'POST', path: '/v1/keys/:id/rotate', body: ['grace_seconds'] },
  { method: 'POST', path: '/v1/keys/:id/revoke' },
  { method: 'GET', path: '/v1/keys/:id/usage', query: ['from', 'to'] },
  { method: 'GET', path: '/v1/teams', query: ['limit', 'cursor'] },
  { method: 'POST', path: '/v1/teams', body: ['name', 'models', 'rpm', 'budget', 'metadata'] },
  { method: 'GET', path: '/v1/teams/:id' },
  { method: 'PATCH', path: '/v1/teams/:id', body: ['name', 'models', 'budget', 'metadata'] },
  { method: 'GET', path: '/v1/logs', query: ['key_id', 'team_id', 'model', 'provider', 'status', 'from', 'to', 'cursor', 'limit'] },
  { method: 'GET', path: '/v1/logs/:id' },
  { method: 'GET', path: '/v1/logs/export', query: ['format', 'from', 'to', 'model', 'key_id', 'team_id', 'include_failed'] },
  { method: 'GET', path: '/v1/spend', query: ['group_by', 'from', 'to'] },
  { method: 'GET', path: '/v1/alerts', query: ['severity', 'status'] },
  { method: 'POST', path: '/v1/alerts/:id/acknowledge' },
  { method: 'GET', path: '/v1/rules' },
  { method: 'POST', path: '/v1/rules', body: ['name', 'metric_path', 'condition', 'threshold', 'severity', 'channels', 'webhook_url'] },
  { method: 'PUT', path: '/v1/rules/:id', body: ['metric_path', 'condition', 'threshold', 'enabled'] },
  { method: 'DELETE', path: '/v1/rules/:id' },
  { method: 'GET', path: '/v1/config/status' },
  { method: 'POST', path: '/v1/config/reload' },
  { method: 'GET', path: '/v1/providers/:id/models', query: ['refresh'] },
  { method: 'GET', path: '/v1/providers/:id/models/:id' },
  { method: 'GET', path: '/v1/providers/:id/model_selection' },
  { method: 'PUT', path: '/v1/providers/:id/model_selection', body: ['models', 'selected', 'mode'] },
  { method: 'POST', path: '/v1/providers/:id/models/refresh' },
  { method: 'GET', path: '/v1/console/timeseries', query: ['window'] },
  { method: 'POST', path: '/check', query: ['provider'], body: ['provider', 'providers'] },
  { method: 'POST', path: '/discover', query: ['provider'], body: ['provider', 'providers'] },
  { method: 'POST', path: '/cache/clear', body: ['pattern'] },
];

/** A small seeded generator, so a failure names the case that reproduces it. */
function rng(seed: number) {
  let s = seed >>> 0;
  const next = () => ((s = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0) / 2 ** 32);
  return { next, pick: <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] };
}

const PROTO = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf', 'prototype'];
function hostileString(r: ReturnType<typeof rng>): string {
  return r.pick([
    () => r.pick(PROTO),
    () => `a\u0000b`,
    () => '\u0000',
    () => `x${String.fromCharCode(1 + Math.floor(r.next() * 31))}y\u007f`,
    () => 'z'.repeat(10 * 1024),
    () => 'é😀\u202eمرحبا',
    () => '',
    () => r.pick(['-1', '0', '1e309', 'NaN', '2026-13-45', '2026-01-01', '9'.repeat(40), 'true', 'null', '[]', '{}', "'; drop table x; --", '%00', '../..']),
  ])();
}
function hostileValue(r: ReturnType<typeof rng>, depth = 0): unknown {
  const kind = r.pick(['string', 'string', 'number', 'array', 'object', 'null', 'bool']);
  if (kind === 'string') return hostileString(r);
  if (kind === 'number') return r.pick([-1, 0, 1.5, 1e308, -0, 2 ** 53 + 1]);
  if (kind === 'null') return null;
  if (kind === 'bool') return r.next() < 0.5;
  if (depth > 2) return hostileString(r);
  if (kind === 'array') return Array.from({ length: 1 + Math.floor(r.next() * 3) }, () => hostileValue(r, depth + 1));
  return Object.fromEntries(Array.from({ length: 1 + Math.floor(r.next() * 3) }, () => [r.next() < 0.4 ? r.pick(PROTO) : hostileString(r).slice(0, 20), hostileValue(r, depth + 1)]));
}

function queryString(r: ReturnType<typeof rng>, fields: readonly string[]): string {
  const names = [...fields, ...PROTO, 'x'];
  const parts: string[] = [];
  for (let i = 0, n = 1 + Math.floor(r.next() * 4); i < n; i++) {
    const name = r.pick(names);
    const repeat = r.next() < 0.35 ? 2 : 1;
    for (let j = 0; j < repeat; j++) parts.push(`${encodeURIComponent(r.next() < 0.1 ? `${name}[]` : name)}=${encodeURIComponent(hostileString(r))}`);
  }
  return parts.join('&');
}

function body(r: ReturnType<typeof rng>, fields: readonly string[]): string | undefined {
  const shape = r.next();
  if (shape < 0.1) return undefined;
  if (shape < 0.2) return JSON.stringify(hostileValue(r));
  if (shape < 0.3) return `{"__proto__": {"admin": true}, "constructor": {"prototype": {"x": 1}}, "${r.pick(fields.length ? fields : ['x'])}": ${JSON.stringify(hostileString(r))}}`;
  const out: Record<string, unknown> = {};
  for (const field of fields) if (r.next() < 0.6) out[field] = hostileValue(r);
  return JSON.stringify(out);
}

describe.each(['sqlite', 'postgres'] as DialectName[])('admin routes on %s', (dialect) => {
  let upstream: MockUpstream;
  let database: TestDatabase;
  let proxy: TestProxy;
  let realKey = '';
  let realTeam = '';

  beforeAll(async () => {
    upstream = await MockUpstream.start('property');
    database = await testDatabase(dialect);
    proxy = await startProxy({ hot_reload: { enabled: false }, auth: { admin_keys: [ADMIN] }, database: database.config, request_logs: { flush_interval_ms: 20 }, providers: [mockProvider('p', upstream.url)] });
    const call = (path: string, b: unknown) => fetch(`${proxy.url}${path}`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' }, body: JSON.stringify(b) }).then((x) => x.json() as Promise<any>);
    realTeam = (await call('/v1/teams', { name: `property-${dialect}` })).id;
    realKey = (await call('/v1/keys', { alias: 'property', team_id: realTeam })).id;
  });
  afterAll(async () => {
    await proxy.close();
    await upstream.close();
    await database.drop();
  });

  test.each([
    ['GET', '/v1/logs?key_id=a&key_id=b', 'key_id'],
    ['GET', '/v1/keys?team_id=a&team_id=b', 'team_id'],
    ['GET', '/v1/spend?group_by=__proto__', 'group_by'],
    ['GET', '/v1/spend?group_by=constructor', 'group_by'],
    ['GET', '/v1/spend?group_by=toString', 'group_by'],
    ['GET', '/v1/logs?model=a%00b', 'model'],
    ['POST', '/v1/keys', 'alias', { alias: 'a\u0000b' }],
    ['POST', '/v1/teams', 'name', { name: 'a\u0000b' }],
  ] as Array<[string, string, string, unknown?]>)('the reported cases: %s %s → 400 naming %s', async (method, path, param, payload) => {
    const res = await fetch(`${proxy.url}${path}`, { method, headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' }, body: payload === undefined ? undefined : JSON.stringify(payload) });
    expect(res.status).toBe(400);
    expect(((await res.json()) as any).error).toMatchObject({ type: 'invalid_request_error', code: 'invalid_request', param });
  });

  test('a URL over the header size limit and a path parameter over maxParamLength are refused in the error shape', async () => {
    for (const path of [`/v1/keys?alias=${'z'.repeat(20_000)}`, `/v1/keys/${'z'.repeat(500)}`]) {
      const res = await fetch(`${proxy.url}${path}`, { headers: { authorization: `Bearer ${ADMIN}` } });
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
      expect(((await res.json()) as any).error).toMatchObject({ code: 'invalid_request', type: 'invalid_request_error' });
    }
  });

  test.each(ROUTES.map((route) => [`${route.method} ${route.path}`, route] as const))('%s: never 5xx, refusals in the error shape', async (_, route) => {
    const failures: string[] = [];
    for (let seed = 1; seed <= CASES_PER_ROUTE; seed++) {
      const r = rng(seed * 7919 + route.path.length);
      let path = route.path;
      while (path.includes(':id')) path = path.replace(':id', encodeURIComponent(r.next() < 0.25 ? r.pick([realKey, realTeam, 'p']) : hostileString(r).slice(0, r.next() < 0.5 ? 90 : 10_240)));
      const qs = route.query || r.next() < 0.3 ? queryString(r, route.query ?? []) : '';
      const payload = route.method === 'GET' || route.method === 'DELETE' ? undefined : body(r, route.body ?? []);
      const url = `${proxy.url}${path}${qs ? `?${qs}` : ''}`;
      const res = await fetch(url, { method: route.method, headers: { authorization: `Bearer ${ADMIN}`, ...(payload !== undefined && { 'content-type': 'application/json' }) }, body: payload });
      const text = await res.text();
      const what = `seed ${seed}: ${route.method} ${url.slice(proxy.url.length, proxy.url.length + 200)} ${payload?.slice(0, 200) ?? ''} → ${res.status} ${text.slice(0, 300)}`;
      if (res.status >= 500) failures.push(what);
      else if (res.status >= 400) {
        let parsed: any;
        try {
          parsed = JSON.parse(text);
        } catch {
          parsed = null;
        }
        const e = parsed?.error;
        if (!(e && typeof e.message === 'string' && typeof e.type === 'string' && 'param' in e && 'code' in e)) failures.push(`not the error shape: ${what}`);
      }
    }
    expect(failures).toEqual([]);
  }, 60_000);
});
