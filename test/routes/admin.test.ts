import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { MockUpstream } from '../support/mock-openai.js';
import { mockProvider, startProxy, type TestProxy } from '../support/proxy.js';

let upstream: MockUpstream;
let proxy: TestProxy;

beforeAll(async () => {
  upstream = await MockUpstream.start('alpha');
  proxy = await startProxy({
    hot_reload: { enabled: false },
    auth: { api_keys: ['client-key'], admin_keys: ['admin-key'] },
    alerting: { rules: [{ name: 'r1', metric_path: 'summary.average_success_rate', condition: '<', threshold: 50 }] },
    providers: [mockProvider('alpha', upstream.url, { models: ['gpt-4o'] })],
  });
});

afterAll(async () => {
  await proxy.close();
  await upstream.close();
});

const MANAGEMENT: Array<[string, string, unknown?]> = [
  ['POST', '/v1/config/reload'],
  ['GET', '/v1/config/status'],
  ['GET', '/v1/alerts'],
  ['POST', '/v1/alerts/some-id/acknowledge'],
  ['GET', '/v1/rules'],
  ['POST', '/v1/rules', { name: 'x', metric_path: 'summary.total_requests', condition: '>', threshold: 1 }],
  ['PUT', '/v1/rules/r1', { threshold: 10 }],
  ['DELETE', '/v1/rules/x'],
  ['GET', '/v1/providers/alpha/models'],
  ['GET', '/v1/providers/alpha/models/gpt-4o'],
  ['POST', '/v1/providers/alpha/models/refresh'],
  ['PUT', '/v1/providers/alpha/model_selection', { selected_model: 'gpt-4o' }],
];

const send = (method: string, url: string, key: string | null, body?: unknown) =>
  fetch(`${proxy.url}${url}`, {
    method,
    headers: { ...(key && { authorization: `Bearer ${key}` }), ...(body !== undefined && { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });

describe('management endpoints need an admin key', () => {
  test.each(MANAGEMENT)('%s %s: 401 without a key, 403 insufficient_permissions with a client key', async (method, url, body) => {
    expect((await send(method, url, null, body)).status).toBe(401);
    const res = await send(method, url, 'client-key', body);
    expect(res.status).toBe(403);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('insufficient_permissions');
  });

  test('an admin key is let through', async () => {
    for (const [method, url, body] of MANAGEMENT) {
      const res = await send(method, url, 'admin-key', body);
      expect([401, 403], `${method} ${url}`).not.toContain(res.status);
      expect(res.status, `${method} ${url}`).toBeLessThan(500);
    }
  });

  test('metrics are readable with a client key', async () => {
    expect((await send('GET', '/metrics', 'client-key')).status).toBe(200);
    expect((await send('GET', '/metrics/prometheus', 'client-key')).status).toBe(200);
  });
});
