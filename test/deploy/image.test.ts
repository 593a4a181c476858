// The container image, built and run for real: `docker build` on the stand-in Node 24 base (hermetic:
// nothing but the npm registry and Debian's packages), the migration as its Job would run it, then the
// image run read-only as its numeric user on the host network against a mock upstream and the machine's
// real Redis and PostgreSQL: chat, a stream, a virtual key kept in PostgreSQL, the console, the
// HEALTHCHECK turning healthy, and SIGTERM during a stream (drained, exit 0). Prints the build time, the
// image size and the idle memory. Skipped, with the reason printed, only where no Docker engine can exist.
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { freePort } from '../support/cli.js';
import { testDatabase, type TestDatabase } from '../support/database.js';
import { chatStream, MockUpstream } from '../support/mock-openai.js';
import { deletePrefix, keysUnder, REDIS_URL, uniquePrefix } from '../support/redis.js';
import { buildImage, docker, dockerAsync, dockerEngine, dockerTry, ensureNodeBase, memoryMiB, removeContainer, reportSkip, type Build } from './docker.js';
import { repoPath } from './env-names.js';

const engine = dockerEngine();
reportSkip('image.test.ts (the image built and run)', engine);

const TAG = 'llm-proxy:test';
const CLIENT = 'sk-image-client-5c1d8e0a7b3f';
const ADMIN = 'sk-image-admin-9e2f4a6c8d1b';
const pkg = JSON.parse(readFileSync(repoPath('package.json'), 'utf8')) as { version: string };

describe.skipIf(!engine.ok)('the image, built and run', () => {
  const name = `llm-proxy-image-${process.pid}`;
  const dir = mkdtempSync(path.join(tmpdir(), 'llm-proxy-image-'));
  const configFile = path.join(dir, 'config.yaml');
  const prefix = uniquePrefix();
  const revision = (() => {
    try {
      return execFileSync('git', ['rev-parse', 'HEAD'], { cwd: repoPath(), encoding: 'utf8' }).trim();
    } catch {
      return 'unknown';
    }
  })();
  let build: Build;
  let upstream: MockUpstream;
  let db: TestDatabase;
  let base = '';
  let port = 0;
  /** The container's flags as an operator (or Kubernetes' securityContext) would give them. */
  const runFlags = () => [
    '--network', 'host', '--read-only', '--user', '10001:10001',
    '--tmpfs', '/tmp:rw,size=16m', '--tmpfs', '/app/data:rw,size=16m,uid=10001,gid=10001',
    '-v', `${configFile}:/app/config.yaml:ro`, '-e', `PROXY_API_PORT=${port}`,
  ];
  const chat = (body: Record<string, unknown>, key = CLIENT) =>
    fetch(`${base}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }], ...body }),
    });

  beforeAll(async () => {
    ensureNodeBase(24);
    build = await buildImage(TAG, { VERSION: pkg.version, REVISION: revision });
    upstream = await MockUpstream.start('image');
    db = await testDatabase('postgres');
    port = await freePort();
    base = `http://127.0.0.1:${port}`;
    chmodSync(dir, 0o755);
    writeFileSync(
      configFile,
      JSON.stringify({
        server: { port, shutdown_delay_s: 1 },
        hot_reload: { enabled: false },
        auth: { admin_keys: [ADMIN] },
        providers: [{ name: 'up', type: 'openai_compatible', base_url: `${upstream.url}/v1`, models: ['*'] }],
        database: { ...db.config, migrate: false },
        redis: { url: REDIS_URL, key_prefix: prefix },
      }),
    );
    chmodSync(configFile, 0o444);
    // The Kubernetes Job's command, once, before any proxy starts (the proxy only checks the schema).
    const migrate = dockerTry(['run', '--rm', ...runFlags(), TAG, 'npm', 'run', '--silent', 'migrate'], 120_000);
    if (migrate.status !== 0) throw new Error(`npm run migrate failed in the image:\n${migrate.stderr}\n${migrate.stdout}`);
    expect(migrate.stdout).toMatch(/schema up to date/);
    removeContainer(name);
    docker(['run', '-d', '--name', name, ...runFlags(), '-e', `PROXY_API_PROXY_API_KEYS=${CLIENT}`, TAG]);
    for (let waited = 0; ; waited += 200) {
      if (await fetch(`${base}/health/ready`).then((r) => r.ok, () => false)) break;
      const state = dockerTry(['inspect', '-f', '{{.State.Status}}', name]).stdout;
      if (waited > 30_000 || state !== 'running') throw new Error(`the container did not start (${state}):\n${dockerTry(['logs', name]).stderr}${dockerTry(['logs', name]).stdout}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }, 1_200_000);

  afterAll(async () => {
    removeContainer(name);
    await upstream?.close();
    await db?.drop();
    await deletePrefix(prefix);
    rmSync(dir, { recursive: true, force: true });
  });

  test('built from the stand-in base on Node 24, labelled with source, revision and version', () => {
    const size = Number(docker(['image', 'inspect', '-f', '{{.Size}}', TAG])) / 2 ** 20;
    console.log(`[image] built in ${build.seconds.toFixed(0)} s (${build.cached}/${build.steps} steps from the layer cache), ${size.toFixed(0)} MiB`);
    expect(docker(['run', '--rm', '--network', 'host', TAG, 'node', '--version'])).toMatch(/^v24\./);
    const labels = JSON.parse(docker(['image', 'inspect', '-f', '{{json .Config.Labels}}', TAG])) as Record<string, string>;
    expect(labels).toMatchObject({ 'org.opencontainers.image.version': pkg.version, 'org.opencontainers.image.revision': revision });
    expect(labels['org.opencontainers.image.source']).toMatch(/^https:\/\//);
  });

  test('runs read-only as its numeric user with node as PID 1; the image holds no dev dependency', () => {
    expect(docker(['inspect', '-f', '{{.HostConfig.ReadonlyRootfs}}', name])).toBe('true');
    expect(docker(['exec', name, 'id', '-u'])).toBe('10001');
    expect(docker(['exec', name, 'cat', '/proc/1/cmdline']).split('\0').filter(Boolean)).toEqual(['node', '--max-semi-space-size=8', '--heap-growing-percent=25', '--single-threaded-gc', 'dist/main.js']);
    expect(dockerTry(['exec', name, 'touch', '/app/written']).status).not.toBe(0);
    const modules = docker(['exec', name, 'ls', '/app/node_modules']).split('\n');
    for (const dev of ['tsx', 'typescript', 'vitest', 'esbuild']) expect(modules).not.toContain(dev);
    expect(docker(['exec', name, 'npm', 'run', '--silent', 'migrate', '--', '--help'])).toContain('Usage: npm run migrate');
  });

  test('serves chat and a stream through the mock upstream', async () => {
    const res = await chat({});
    expect(res.status, await res.clone().text()).toBe(200);
    expect(res.headers.get('x-proxy-provider')).toBe('up');
    expect((await fetch(`${base}/v1/models`)).status).toBe(401);
    const stream = await chat({ stream: true });
    expect(stream.headers.get('content-type')).toContain('text/event-stream');
    expect((await stream.text()).trimEnd().endsWith('data: [DONE]')).toBe(true);
  });

  test('a virtual key made through the admin API lives in PostgreSQL and serves; the fleet entry is in Redis', async () => {
    const made = await fetch(`${base}/v1/keys`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' }, body: JSON.stringify({ alias: 'image' }) });
    expect(made.status).toBe(201);
    const { key } = (await made.json()) as { key: string };
    expect((await chat({}, key)).status).toBe(200);
    const client = new pg.Client({ connectionString: db.config.url });
    await client.connect();
    const { rows } = await client.query(`SELECT alias FROM "${db.config.schema}".virtual_keys`);
    await client.end();
    expect(rows.map((r: { alias: string }) => r.alias)).toEqual(['image']);
    expect((await keysUnder(prefix)).length).toBeGreaterThan(0);
  });

  test('serves the operator console and its vendor files', async () => {
    const index = await fetch(`${base}/ui/`);
    expect(index.status).toBe(200);
    const assets = [...(await index.text()).matchAll(/(?:href|src)="(assets\/[^"]+)"/g)].map((m) => m[1]);
    expect(assets.some((a) => a.endsWith('/vendor/uPlot.iife.min.js'))).toBe(true);
    for (const asset of assets) expect((await fetch(`${base}/ui/${asset}`)).status, asset).toBe(200);
  });

  test('its HEALTHCHECK turns healthy; idle memory reported', async () => {
    await expect.poll(() => dockerTry(['inspect', '-f', '{{.State.Health.Status}}', name]).stdout, { timeout: 45_000, interval: 1000 }).toBe('healthy');
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const idle = memoryMiB(name);
    console.log(`[image] idle memory after a few requests: ${idle.toFixed(1)} MiB`);
    expect(idle).toBeLessThan(256);
  }, 60_000);

  test('SIGTERM during a stream: the stream completes, the container exits 0 on its own', async () => {
    const words = Array.from({ length: 12 }, (_, i) => `w${i} `);
    upstream.enqueue({ stream: chatStream(words), gapMs: 150 });
    const res = await chat({ stream: true, messages: [{ role: 'user', content: 'long' }] });
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let text = decoder.decode((await reader.read()).value);
    const signalled = performance.now();
    expect((await dockerAsync(['kill', '--signal', 'TERM', name])).status).toBe(0);
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) text += decoder.decode(chunk.value);
    expect(text.trimEnd().endsWith('data: [DONE]')).toBe(true);
    for (const word of words) expect(text).toContain(word);
    const exit = (await dockerAsync(['wait', name], 40_000)).stdout;
    const logs = dockerTry(['logs', name]);
    expect(exit, logs.stdout.split('\n').slice(-8).join('\n')).toBe('0');
    console.log(`[image] SIGTERM to exit with a stream in flight: ${((performance.now() - signalled) / 1000).toFixed(1)} s`);
    expect(logs.stdout + logs.stderr).toContain('"msg":"stopped"');
  }, 60_000);
});
