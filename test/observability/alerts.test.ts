/* eslint-disable @typescript-eslint/no-explicit-any -- JSON answers are read back loosely in assertions */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { MockUpstream } from '../support/mock-openai.js';
import { mockProvider, startProxy, type TestProxy } from '../support/proxy.js';

/** A webhook receiver on loopback: records JSON bodies; answers with the queued statuses, then 200. */
class Receiver {
  readonly bodies: Array<Record<string, any>> = [];
  statuses: number[] = [];
  private server!: Server;
  url = '';

  static async start(): Promise<Receiver> {
    const receiver = new Receiver();
    receiver.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        receiver.bodies.push(JSON.parse(Buffer.concat(chunks).toString('utf8')));
        res.writeHead(receiver.statuses.shift() ?? 200).end('ok');
      });
    });
    await new Promise<void>((resolve) => receiver.server.listen(0, '127.0.0.1', resolve));
    receiver.url = `http://127.0.0.1:${(receiver.server.address() as AddressInfo).port}/hook`;
    return receiver;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

let upstream: MockUpstream;
let receiver: Receiver;

beforeAll(async () => {
  upstream = await MockUpstream.start('flaky');
  receiver = await Receiver.start();
});

afterAll(async () => {
  await upstream.close();
  await receiver.close();
});

const json = async (res: Response) => ({ status: res.status, body: (await res.json()) as Record<string, any> });
const send = (proxy: TestProxy, method: string, url: string, body?: unknown) =>
  fetch(`${proxy.url}${url}`, { method, headers: body === undefined ? {} : { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) }).then(json);

describe('alert lifecycle', () => {
  test('a rule fires, notifies the webhook, is acknowledged, then resolves when the condition clears', async () => {
    const proxy = await startProxy({
      alerting: {
        enabled: true,
        interval: 0.05,
        webhook_url: receiver.url,
        webhook_retries: 2,
        rules: [{ name: 'flaky-errors', description: 'flaky fails', metric_path: 'providers.flaky.error_rate', condition: '>', threshold: 50, severity: 'critical', channels: ['log', 'webhook'], cooldown_minutes: 0 }],
      },
      providers: [mockProvider('flaky', upstream.url, { models: ['gpt-4o'], max_retries: 0 })],
    });
    try {
      // The first delivery fails: the webhook is retried.
      receiver.statuses = [500];
      upstream.enqueue({ status: 500, body: { error: { message: 'down' } } });
      const chat = () => fetch(`${proxy.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }] }) });
      expect((await chat()).status).toBeGreaterThanOrEqual(500);

      await expect.poll(() => receiver.bodies.length, { timeout: 5000, interval: 25 }).toBeGreaterThanOrEqual(2);
      const [failedDelivery, delivered] = receiver.bodies;
      expect(failedDelivery).toEqual(delivered);
      expect(delivered.text).toContain('[CRITICAL] flaky-errors');
      expect(delivered).toMatchObject({ rule: 'flaky-errors', severity: 'critical', status: 'active', value: 100, threshold: 50, metric_path: 'providers.flaky.error_rate' });

      const active = await send(proxy, 'GET', '/v1/alerts?status=active');
      expect(active.body.total).toBe(1);
      const alert = active.body.data[0];
      expect(alert).toMatchObject({ rule: 'flaky-errors', severity: 'critical', status: 'active', value: 100, resolved_at: null });
      expect((await send(proxy, 'GET', '/health')).body.alerts).toEqual({ enabled: true, active: 1, critical: 1, warning: 0 });
      expect((await send(proxy, 'GET', '/v1/alerts?severity=bogus')).status).toBe(400);

      const acked = await send(proxy, 'POST', `/v1/alerts/${alert.id}/acknowledge`);
      expect(acked.body).toMatchObject({ id: alert.id, status: 'acknowledged' });
      expect(acked.body.acknowledged_at).not.toBeNull();
      expect((await send(proxy, 'POST', '/v1/alerts/no-such-id/acknowledge')).status).toBe(404);

      // Two successes bring the error rate to 33%: the alert resolves by itself.
      expect((await chat()).status).toBe(200);
      expect((await chat()).status).toBe(200);
      await expect.poll(async () => (await send(proxy, 'GET', `/v1/alerts?status=resolved`)).body.total, { timeout: 5000, interval: 25 }).toBe(1);
      const resolved = (await send(proxy, 'GET', '/v1/alerts')).body.data[0];
      expect(resolved.resolved_at).not.toBeNull();
      await expect.poll(() => receiver.bodies.at(-1)?.status, { timeout: 5000, interval: 25 }).toBe('resolved');
      expect((await send(proxy, 'GET', '/health')).body.alerts).toEqual({ enabled: true, active: 0, critical: 0, warning: 0 });
    } finally {
      await proxy.close();
    }
  });
});

describe('rules API', () => {
  test('CRUD with validation, persisted atomically and loaded again after a restart', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'llm-proxy-rules-'));
    const rulesFile = path.join(dir, 'alert_rules.json');
    const doc = {
      hot_reload: { enabled: false },
      alerting: { rules_file: rulesFile, rules: [{ name: 'from-config', metric_path: 'summary.average_success_rate', condition: '<', threshold: 90 }] },
      providers: [mockProvider('flaky', upstream.url, { models: ['gpt-4o'] })],
    };
    let proxy = await startProxy(doc);
    try {
      const rule = { name: 'memory', description: 'memory high', metric_path: 'system.memory_percent', condition: '>=', threshold: 90, severity: 'warning', channels: ['log'] };
      const created = await send(proxy, 'POST', '/v1/rules', rule);
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({ ...rule, enabled: true, cooldown_minutes: 5, source: 'api' });

      const invalid = await send(proxy, 'POST', '/v1/rules', { ...rule, name: 'bad', condition: '~' });
      expect(invalid.status).toBe(400);
      expect(invalid.body.error).toMatchObject({ code: 'invalid_request', param: 'condition' });
      expect((await send(proxy, 'POST', '/v1/rules', { ...rule, threshold: 'high' })).status).toBe(400);
      expect((await send(proxy, 'POST', '/v1/rules', rule)).body.error.message).toContain('already exists');

      const updated = await send(proxy, 'PUT', '/v1/rules/memory', { threshold: 95, enabled: false });
      expect(updated.body).toMatchObject({ name: 'memory', threshold: 95, enabled: false, metric_path: 'system.memory_percent' });
      expect((await send(proxy, 'PUT', '/v1/rules/memory', { severity: 'loud' })).status).toBe(400);
      expect((await send(proxy, 'PUT', '/v1/rules/nope', { threshold: 1 })).status).toBe(404);
      expect((await send(proxy, 'DELETE', '/v1/rules/from-config')).status).toBe(400);

      const listed = (await send(proxy, 'GET', '/v1/rules')).body;
      expect(listed.data.map((r: { name: string; source: string }) => `${r.name}:${r.source}`)).toEqual(['from-config:config', 'memory:api']);
      expect(JSON.parse(readFileSync(rulesFile, 'utf8')).rules).toEqual([expect.objectContaining({ name: 'memory', threshold: 95 })]);

      await proxy.close();
      proxy = await startProxy(doc);
      const again = (await send(proxy, 'GET', '/v1/rules')).body;
      expect(again.data).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'memory', threshold: 95, enabled: false, source: 'api' })]));

      expect((await send(proxy, 'DELETE', '/v1/rules/memory')).body).toEqual({ deleted: true, name: 'memory' });
      expect(JSON.parse(readFileSync(rulesFile, 'utf8')).rules).toEqual([]);
      expect((await send(proxy, 'DELETE', '/v1/rules/memory')).status).toBe(404);
    } finally {
      await proxy.close();
    }
  });
});

describe('evaluation is on by default', () => {
  test('a fresh config: a rule created through the API whose condition holds fires within the interval', async () => {
    const proxy = await startProxy({ hot_reload: { enabled: false }, alerting: { interval: 0.2 }, providers: [mockProvider('flaky', upstream.url, { models: ['gpt-4o'] })] });
    try {
      const listed = (await send(proxy, 'GET', '/v1/rules')).body;
      expect(listed).toMatchObject({ alerting_enabled: true, interval: 0.2 });
      expect(listed.warning).toBeUndefined();
      const rule = { name: 'always', metric_path: 'system.memory_percent', condition: '>=', threshold: 0, severity: 'warning' };
      expect((await send(proxy, 'POST', '/v1/rules', rule)).status).toBe(201);
      await expect.poll(async () => (await send(proxy, 'GET', '/v1/alerts')).body.data.map((a: any) => a.rule), { timeout: 5000 }).toEqual(['always']);
      expect((await send(proxy, 'GET', '/health')).body.alerts).toEqual({ enabled: true, active: 1, critical: 0, warning: 1 });
    } finally {
      await proxy.close();
    }
  });

  test('alerting.enabled: false is said by GET /v1/rules and /health, and nothing fires', async () => {
    const proxy = await startProxy({ hot_reload: { enabled: false }, alerting: { enabled: false, interval: 0.1 }, providers: [mockProvider('flaky', upstream.url, { models: ['gpt-4o'] })] });
    try {
      const rule = { name: 'always', metric_path: 'system.memory_percent', condition: '>=', threshold: 0 };
      expect((await send(proxy, 'POST', '/v1/rules', rule)).status).toBe(201);
      const listed = (await send(proxy, 'GET', '/v1/rules')).body;
      expect(listed).toMatchObject({ alerting_enabled: false, warning: 'alerting.enabled is false: these rules are kept but not evaluated' });
      expect((await send(proxy, 'GET', '/health')).body.alerts).toEqual({ enabled: false, active: 0, critical: 0, warning: 0 });
      await new Promise((resolve) => setTimeout(resolve, 500)); // five intervals
      expect((await send(proxy, 'GET', '/v1/alerts')).body.data).toEqual([]);
    } finally {
      await proxy.close();
    }
  });
});
