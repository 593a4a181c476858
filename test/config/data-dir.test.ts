/* eslint-disable @typescript-eslint/no-explicit-any -- JSON answers are read back loosely in assertions */
// The one writable state folder: files the proxy writes land in data_dir (relative to the config file,
// or PROXY_API_DATA_DIR), and files at the old default paths are carried over.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config/load.js';
import { createGateway } from '../../src/gateway.js';
import { MockUpstream } from '../support/mock-openai.js';
import { mockProvider } from '../support/proxy.js';

let upstream: MockUpstream;
beforeAll(async () => {
  upstream = await MockUpstream.start('data-dir');
});
afterAll(async () => {
  await upstream.close();
});

const doc = (extra: Record<string, unknown> = {}) => ({
  hot_reload: { enabled: false },
  providers: [mockProvider('alpha', upstream.url, { models: ['gpt-4o', 'gpt-4o-mini'] })],
  ...extra,
});

/** Writes the config into its own folder and starts the real app from it. */
async function start(configDir: string, config: Record<string, unknown>, env: Record<string, string> = {}) {
  mkdirSync(configDir, { recursive: true });
  const file = path.join(configDir, 'config.json');
  writeFileSync(file, JSON.stringify(config));
  const lines: string[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(line) });
  const gateway = await createGateway({ loaded: loadConfig({ file, env }), logger, env });
  const { runtime } = gateway;
  const app = await buildApp(gateway);
  await app.ready();
  const call = async (method: string, url: string, body?: unknown) => {
    const res = await app.inject({ method: method as 'GET', url, payload: body as object });
    return { status: res.statusCode, body: res.json() as any };
  };
  return { app, runtime, call, lines };
}

const rule = { name: 'mem', metric_path: 'system.memory_percent', condition: '>=', threshold: 101 };

describe('data_dir', () => {
  test('model selections and API-created rules are written under data_dir, relative to the config file, and nothing beside the config', async () => {
    const root = mkdtempSync(path.join(tmpdir(), 'llm-proxy-data-'));
    const configDir = path.join(root, 'etc');
    const proxy = await start(configDir, doc({ data_dir: '../state' }));
    expect(proxy.runtime.dataDir).toBe(path.join(root, 'state'));
    expect((await proxy.call('PUT', '/v1/providers/alpha/model_selection', { selected_model: 'gpt-4o-mini' })).status).toBe(200);
    expect((await proxy.call('POST', '/v1/rules', rule)).status).toBe(201);
    await proxy.app.observability.selections.flushed();
    await proxy.app.close();
    expect(JSON.stringify(JSON.parse(readFileSync(path.join(root, 'state', 'model_selections.json'), 'utf8')))).toContain('gpt-4o-mini');
    expect(JSON.parse(readFileSync(path.join(root, 'state', 'alert_rules.json'), 'utf8')).rules).toEqual([expect.objectContaining({ name: 'mem' })]);
    expect(existsSync(path.join(configDir, 'config'))).toBe(false);
  });

  test('PROXY_API_DATA_DIR overrides the file; the default is ./data beside the config file', async () => {
    const root = mkdtempSync(path.join(tmpdir(), 'llm-proxy-data-'));
    const byDefault = await start(path.join(root, 'a'), doc());
    expect(byDefault.runtime.dataDir).toBe(path.join(root, 'a', 'data'));
    await byDefault.app.close();
    const fromEnv = await start(path.join(root, 'b'), doc({ data_dir: 'ignored' }), { PROXY_API_DATA_DIR: path.join(root, 'elsewhere') });
    expect(fromEnv.runtime.dataDir).toBe(path.join(root, 'elsewhere'));
    expect((await fromEnv.call('POST', '/v1/rules', rule)).status).toBe(201);
    await fromEnv.app.close();
    expect(existsSync(path.join(root, 'elsewhere', 'alert_rules.json'))).toBe(true);
  });

  test('files at the old default paths (config/…) are carried into data_dir once, with a log line', async () => {
    const root = mkdtempSync(path.join(tmpdir(), 'llm-proxy-data-'));
    mkdirSync(path.join(root, 'config'), { recursive: true });
    writeFileSync(path.join(root, 'config', 'alert_rules.json'), JSON.stringify({ rules: [{ ...rule, name: 'old-rule' }] }));
    const proxy = await start(root, doc());
    try {
      const names = (await proxy.call('GET', '/v1/rules')).body.data.map((r: { name: string }) => r.name);
      expect(names).toContain('old-rule');
      expect(existsSync(path.join(root, 'data', 'alert_rules.json'))).toBe(true);
      expect(proxy.lines.some((l) => l.includes('moved alert_rules.json into the state folder'))).toBe(true);
    } finally {
      await proxy.app.close();
    }
  });

  test('an explicit rules_file keeps its meaning (relative to the config file)', async () => {
    const root = mkdtempSync(path.join(tmpdir(), 'llm-proxy-data-'));
    const proxy = await start(root, doc({ alerting: { rules_file: 'rules/mine.json' } }));
    expect((await proxy.call('POST', '/v1/rules', rule)).status).toBe(201);
    await proxy.app.close();
    expect(existsSync(path.join(root, 'rules', 'mine.json'))).toBe(true);
    expect(existsSync(path.join(root, 'data', 'alert_rules.json'))).toBe(false);
  });
});
