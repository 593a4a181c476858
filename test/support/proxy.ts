// Starts the real app on 127.0.0.1:0 from a configuration document, as main.ts would, for tests.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config/load.js';
import { createGateway, type Gateway } from '../../src/gateway.js';
import type { Runtime } from '../../src/runtime.js';

export interface TestProxy {
  app: FastifyInstance;
  /** The parts the app was built around (router, cache, resilience, ...). */
  gateway: Gateway;
  runtime: Runtime;
  url: string;
  /** Path of the config file the proxy was loaded from. */
  configFile: string;
  close(): Promise<void>;
}

export function writeConfig(doc: unknown, name = 'config.json'): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'llm-proxy-test-'));
  const file = path.join(dir, name);
  writeFileSync(file, typeof doc === 'string' ? doc : JSON.stringify(doc, null, 2));
  return file;
}

/** A provider entry pointing at a mock upstream, with fast retries. */
export function mockProvider(name: string, baseUrl: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { name, type: 'openai_compatible', base_url: `${baseUrl}/v1`, models: ['*'], retry_delay: 0.001, max_retries: 1, timeout: 5, ...extra };
}

export async function startProxy(doc: Record<string, unknown>, env: Record<string, string | undefined> = {}): Promise<TestProxy> {
  return startProxyFromFile(writeConfig(doc), env);
}

/** The same, from a config file already written (its data_dir is relative to it). */
export async function startProxyFromFile(configFile: string, env: Record<string, string | undefined> = {}): Promise<TestProxy> {
  const fullEnv = { ...env };
  const loaded = loadConfig({ file: configFile, env: fullEnv });
  const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
  const gateway = await createGateway({ loaded, logger, env: fullEnv });
  const app = await buildApp(gateway);
  await app.listen({ host: '127.0.0.1', port: 0 });
  const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  return { app, gateway, runtime: gateway.runtime, url, configFile, close: () => app.close() };
}
