// The Compose file's fleet profile brought up for real: its redis, postgres, migrate, proxy-a and proxy-b
// services, through a test-only override that swaps the third-party images for stand-ins built from
// Debian's packages (nothing can be pulled here), puts every service on the host network (the engine
// has no bridge) on free ports, and points the proxies at a mock upstream. A virtual key made through
// one replica serves on the other, and its budget holds across both. Skipped, with the reason printed,
// only where no Docker engine can exist.
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { stringify } from 'yaml';
import { freePort } from '../support/cli.js';
import { MockUpstream } from '../support/mock-openai.js';
import { buildImage, dockerEngine, ensureDebianImage, ensureNodeBase, reportSkip } from './docker.js';
import { repoPath } from './env-names.js';

const engine = dockerEngine();
reportSkip('compose.test.ts (the Compose fleet brought up)', engine);

const IMAGE = 'llm-proxy:test';
const REDIS = 'llm-proxy-test/redis:standin';
const POSTGRES = 'llm-proxy-test/postgres:standin';
const ADMIN = 'sk-compose-admin-3f9a1c7e5b2d';
const CLIENT = 'sk-compose-client-8d2e6b4a0c1f';
const pkg = JSON.parse(readFileSync(repoPath('package.json'), 'utf8')) as { version: string };

/** Runs a command without blocking the event loop (the mock upstream lives in this process). */
function run(command: string, args: string[], timeout = 600_000): Promise<{ status: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: repoPath(), timeout });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('close', (status) => resolve({ status, output }));
  });
}

describe.skipIf(!engine.ok)('the Compose fleet profile, run for real', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'llm-proxy-compose-run-'));
  const project = `llmproxytest${process.pid}`;
  let upstream: MockUpstream;
  let compose: string[] = [];
  const ports = { redis: 0, postgres: 0, a: 0, b: 0 };
  const url = (replica: 'a' | 'b') => `http://127.0.0.1:${ports[replica]}`;
  // max_tokens bounds the worst case a budget reserves (3 completion tokens at most).
  const chat = (replica: 'a' | 'b', key: string) =>
    fetch(`${url(replica)}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4o', max_tokens: 3, messages: [{ role: 'user', content: 'hi' }] }),
    });

  beforeAll(async () => {
    ensureNodeBase(24);
    ensureDebianImage(REDIS, ['redis-server']);
    ensureDebianImage(POSTGRES, ['postgresql']);
    await buildImage(IMAGE, { VERSION: pkg.version });
    upstream = await MockUpstream.start('compose');
    for (const name of Object.keys(ports) as Array<keyof typeof ports>) ports[name] = await freePort();
    chmodSync(dir, 0o755);
    const file = (name: string, text: string) => {
      writeFileSync(path.join(dir, name), text);
      chmodSync(path.join(dir, name), 0o644);
      return path.join(dir, name);
    };
    const config = file(
      'config.yaml',
      stringify({
        hot_reload: { enabled: false },
        providers: [{ name: 'up', type: 'openai_compatible', base_url: `${upstream.url}/v1`, models: ['*'] }],
        pricing: { 'gpt-4o': { input_per_1k: 1, output_per_1k: 2 } },
      }),
    );
    // The repository's fleet overlay, except the metrics port: two replicas share the host's network here.
    const overlay = file('config.fleet.yaml', stringify({ metrics: { port: null }, database: { migrate: false } }));
    const proxyEnv = file('proxy.env', `PROXY_API_ADMIN_KEYS=${ADMIN}\nPROXY_API_PROXY_API_KEYS=${CLIENT}\n`);
    const interpolation = file('compose.env', `GRAFANA_ADMIN_PASSWORD=unused-here\nPOSTGRES_PASSWORD=unused-trust\nENV_FILE=${proxyEnv}\n`);
    const database = `postgres://llm_proxy@127.0.0.1:${ports.postgres}/postgres`;
    const proxy = (port: number) => ({
      image: IMAGE,
      network_mode: 'host',
      environment: { REDIS_URL: `redis://127.0.0.1:${ports.redis}`, DATABASE_URL: database, PROXY_API_PORT: String(port) },
      volumes: [`${config}:/app/config.yaml:ro`, `${overlay}:/app/config.fleet.yaml:ro`],
    });
    // JSON (valid YAML) so docker-compose's YAML 1.1 reads "no" as a string, not false.
    const override = file(
      'override.yml',
      JSON.stringify({
        services: {
          redis: {
            image: REDIS,
            network_mode: 'host',
            command: ['redis-server', '--port', String(ports.redis), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
            healthcheck: { test: ['CMD', 'redis-cli', '-p', String(ports.redis), 'ping'], interval: '1s', retries: 60 },
          },
          postgres: {
            image: POSTGRES,
            network_mode: 'host',
            user: 'postgres',
            entrypoint: [
              'bash',
              '-c',
              `/usr/lib/postgresql/15/bin/initdb -D /tmp/pg -U llm_proxy --auth=trust >/dev/null && exec /usr/lib/postgresql/15/bin/postgres -D /tmp/pg -p ${ports.postgres} -k /tmp -c listen_addresses=127.0.0.1`,
            ],
            healthcheck: { test: ['CMD', 'pg_isready', '-h', '127.0.0.1', '-p', String(ports.postgres), '-U', 'llm_proxy', '-d', 'postgres'], interval: '1s', retries: 60 },
          },
          migrate: proxy(ports.a),
          'proxy-a': proxy(ports.a),
          'proxy-b': proxy(ports.b),
        },
      }),
    );
    compose = ['--project-name', project, '--project-directory', repoPath(), '--env-file', interpolation, '-f', repoPath('docker-compose.yml'), '-f', override, '--profile', 'fleet'];
    const started = performance.now();
    const up = await run('docker-compose', [...compose, 'up', '-d', '--no-build', 'proxy-a', 'proxy-b']);
    if (up.status !== 0) throw new Error(`docker-compose up failed:\n${up.output}\n${(await run('docker-compose', [...compose, 'logs', '--no-color', '--tail', '30'])).output}`);
    for (const replica of ['a', 'b'] as const) {
      for (let waited = 0; !(await fetch(`${url(replica)}/health/ready`).then((r) => r.ok, () => false)); waited += 250) {
        if (waited > 60_000) throw new Error(`proxy-${replica} did not become ready:\n${(await run('docker-compose', [...compose, 'logs', '--no-color', '--tail', '30'])).output}`);
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    }
    console.log(`[compose] redis, postgres, migrate, proxy-a and proxy-b up in ${((performance.now() - started) / 1000).toFixed(0)} s`);
  }, 1_500_000);

  afterAll(async () => {
    if (compose.length) await run('docker-compose', [...compose, 'down', '-v', '--remove-orphans', '--timeout', '5'], 120_000);
    await upstream?.close();
    rmSync(dir, { recursive: true, force: true });
  }, 180_000);

  test('the migrate service ran once and exited 0 before the replicas started', async () => {
    const ps = await run('docker-compose', [...compose, 'ps', '-a']);
    expect(ps.output).toMatch(/migrate.*Exit 0/);
    const logs = await run('docker-compose', [...compose, 'logs', '--no-color', 'migrate']);
    expect(logs.output).toMatch(/schema up to date/);
  });

  test('a key made through proxy-a serves on proxy-b', async () => {
    const made = await fetch(`${url('a')}/v1/keys`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' }, body: JSON.stringify({ alias: 'compose' }) });
    expect(made.status).toBe(201);
    const { key } = (await made.json()) as { key: string };
    const madeAt = performance.now();
    await expect.poll(async () => (await chat('b', key)).status, { timeout: 10_000, interval: 100 }).toBe(200);
    console.log(`[compose] a key made on proxy-a served on proxy-b after ${((performance.now() - madeAt) / 1000).toFixed(1)} s`);
    expect((await chat('a', key)).status).toBe(200);
  });

  test('a budget holds across both replicas: together they admit what one replica admits, then both refuse', async () => {
    // $0.05 a day; each answer costs $0.015 (9 prompt tokens at $1/1k, 3 completion tokens at $2/1k).
    const budgeted = async () => {
      const made = await fetch(`${url('b')}/v1/keys`, {
        method: 'POST',
        headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
        body: JSON.stringify({ budget: { max_usd: 0.05, period: 'daily' } }),
      });
      expect(made.status).toBe(201);
      const { key } = (await made.json()) as { key: string };
      // Known on both replicas first (an authenticated GET, which spends nothing).
      for (const replica of ['a', 'b'] as const) {
        await expect.poll(() => fetch(`${url(replica)}/v1/models`, { headers: { authorization: `Bearer ${key}` } }).then((r) => r.status), { timeout: 10_000, interval: 100 }).toBe(200);
      }
      return key;
    };
    /** Requests on the given replicas in turn until one is refused: how many were admitted, and where the refusal came. */
    const spend = async (key: string, replicas: Array<'a' | 'b'>) => {
      for (let i = 0; i < 12; i++) {
        const replica = replicas[i % replicas.length];
        const res = await chat(replica, key);
        if (res.status !== 200) {
          expect(res.status, await res.text()).toBe(429);
          return { admitted: i, refusedOn: replica };
        }
      }
      throw new Error('the budget never refused');
    };
    const single = await spend(await budgeted(), ['a']);
    const key = await budgeted();
    const fleet = await spend(key, ['a', 'b']);
    console.log(`[compose] a $0.05 budget admits ${single.admitted} requests on one replica, ${fleet.admitted} across two`);
    expect(single.admitted).toBeGreaterThanOrEqual(2);
    expect(fleet.admitted).toBe(single.admitted);
    expect((await chat(fleet.refusedOn === 'a' ? 'b' : 'a', key)).status).toBe(429);
  });
});
