// The container image without Docker: the Dockerfile's policy asserted on its parsed form, then its
// runtime stage reproduced — a clean folder holding only what the runtime stage copies (the deps
// stage's `npm ci --omit=dev`, the build stage's dist/), started with the CMD's exact command line
// as an unprivileged user with a read-only config — serving, writing state only under /app/data,
// answering its HEALTHCHECK, and stopping cleanly on SIGTERM.
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { freePort } from '../support/cli.js';
import { MockUpstream } from '../support/mock-openai.js';
import { argsOf, copies, envOf, healthcheckCommand, jsonArgs, stages } from './dockerfile.js';
import { codeEnvNames, repoPath } from './env-names.js';

const all = stages();
const runtime = all.at(-1)!;
const keyword = (k: string) => runtime.instructions.filter((i) => i.getKeyword() === k);

describe('Dockerfile policy', () => {
  test('multi-stage: build, production deps, and a slim Node 20 runtime stage', () => {
    expect(all.map((s) => s.name)).toEqual(['build', 'deps', 'runtime']);
    for (const stage of all) expect(stage.image).toMatch(/^node:20-[a-z]+-slim$/);
    const depsRun = all[1].instructions.filter((i) => i.getKeyword() === 'RUN').map(argsOf).join(' ');
    expect(depsRun).toContain('npm ci --omit=dev');
    expect(all[0].instructions.filter((i) => i.getKeyword() === 'RUN').map(argsOf).join(' ')).toContain('npm run build');
  });

  test('runtime stage: numeric non-root USER, exec-form CMD running node, HEALTHCHECK without curl, EXPOSE, OCI labels, /app/data volume', () => {
    const [user] = keyword('USER').map(argsOf);
    expect(user).toMatch(/^[1-9]\d*(:\d+)?$/);
    const [cmd] = keyword('CMD');
    expect(argsOf(cmd).trim().startsWith('[')).toBe(true);
    expect(jsonArgs(cmd)[0]).toBe('node');
    expect(jsonArgs(cmd)).toContain('dist/main.js');
    expect(keyword('ENTRYPOINT')).toEqual([]);
    const health = healthcheckCommand(runtime);
    expect(health?.[0]).toBe('node');
    expect(keyword('EXPOSE').map(argsOf)).toEqual(['8000']);
    expect(keyword('LABEL').map(argsOf).join(' ')).toContain('org.opencontainers.image.title');
    expect(keyword('VOLUME').map(argsOf)).toEqual(['["/app/data"]']);
    const env = envOf(runtime);
    expect(env).toMatchObject({ PROXY_API_CONFIG_FILE: '/app/config.yaml', PROXY_API_DATA_DIR: '/app/data' });
    const readable = codeEnvNames();
    for (const name of Object.keys(env).filter((n) => n.startsWith('PROXY_API_'))) expect(readable).toContain(name);
  });

  test('the runtime stage copies nothing from the build context but package.json and config.yaml', () => {
    const fromContext = copies(runtime).filter((c) => c.from === null).flatMap((c) => c.sources);
    expect(fromContext.sort()).toEqual(['config.yaml', 'package.json']);
  });

  test('.dockerignore keeps node_modules, tests, bench results and .env out of the context', () => {
    const ignored = readFileSync(repoPath('.dockerignore'), 'utf8').split('\n').map((l) => l.trim());
    for (const entry of ['node_modules', 'test', 'bench', '.env', 'dist', '.git']) expect(ignored).toContain(entry);
  });
});

describe('the runtime stage, reproduced without Docker', () => {
  const UID = Number(keyword('USER').map(argsOf)[0].split(':')[0]);
  const root = mkdtempSync(path.join(tmpdir(), 'llm-proxy-image-'));
  const app = path.join(root, 'app');
  let upstream: MockUpstream;
  let proxy: ChildProcess;
  let base = '';
  let env: Record<string, string> = {};
  const output: string[] = [];
  const listing = (dir: string): string[] =>
    readdirSync(dir, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => path.join(e.parentPath, e.name))
      .filter((f) => !f.startsWith(path.join(app, 'data')))
      .map((f) => `${f}:${statSync(f).mtimeMs}`)
      .sort();
  let before: string[] = [];

  beforeAll(async () => {
    upstream = await MockUpstream.start('image');
    chmodSync(root, 0o755);
    // deps stage: its COPYs, then its RUN with a throw-away npm cache.
    const deps = path.join(root, 'deps');
    mkdirSync(deps);
    for (const c of copies(all[1])) for (const source of c.sources) cpSync(repoPath(source), path.join(deps, path.basename(source)));
    execFileSync('npm', ['ci', '--omit=dev', '--no-audit', '--no-fund'], { cwd: deps, env: { ...process.env, npm_config_cache: path.join(root, 'npm-cache') }, stdio: 'ignore' });
    // build stage: its `npm run build` (tsc -p tsconfig.build.json, then the console's browser files
    // copied beside their module) into a folder of its own.
    const built = path.join(root, 'build-dist');
    execFileSync(process.execPath, [repoPath('node_modules/typescript/bin/tsc'), '-p', repoPath('tsconfig.build.json'), '--outDir', built], { stdio: 'ignore' });
    expect(JSON.parse(readFileSync(repoPath('package.json'), 'utf8')).scripts.build).toContain("cpSync('src/console/web', 'dist/console/web'");
    cpSync(repoPath('src/console/web'), path.join(built, 'console', 'web'), { recursive: true });
    // runtime stage: exactly its COPYs.
    mkdirSync(app);
    for (const c of copies(runtime)) {
      const target = path.join(app, c.target.replace(/^\.\//, '').replace(/^\/app\/?/, ''));
      if (c.from === 'deps') cpSync(path.join(deps, 'node_modules'), target, { recursive: true });
      else if (c.from === 'build') cpSync(built, target, { recursive: true });
      else cpSync(repoPath(c.sources[0]), target);
    }
    // The config as an operator mounts it: read-only, root-owned, pointing at a provider.
    writeFileSync(
      path.join(app, 'config.yaml'),
      `server: { port: 8000 }\nhot_reload: { enabled: false }\nauth: { admin_keys: [sk-image-admin] }\nproviders:\n  - { name: up, type: openai_compatible, base_url: "${upstream.url}/v1", models: ["*"] }\n`,
    );
    chmodSync(path.join(app, 'config.yaml'), 0o444);
    // RUN mkdir -p /app/data && chown 10001:10001 /app/data
    mkdirSync(path.join(app, 'data'));
    chownSync(path.join(app, 'data'), UID, UID);
    before = listing(app);

    const port = await freePort();
    const imageEnv = envOf(runtime);
    env = {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      ...imageEnv,
      PROXY_API_CONFIG_FILE: path.join(app, 'config.yaml'),
      PROXY_API_DATA_DIR: path.join(app, 'data'),
      // Loopback only in tests (the image listens on 0.0.0.0, which needs client keys: given here too).
      PROXY_API_HOST: '127.0.0.1',
      PROXY_API_PORT: String(port),
      PROXY_API_PROXY_API_KEYS: 'sk-image-test',
    };
    const [command, ...args] = jsonArgs(keyword('CMD')[0]);
    expect(command).toBe('node');
    proxy = spawn(process.execPath, args, { cwd: app, uid: UID, gid: UID, env, stdio: ['ignore', 'pipe', 'pipe'] });
    proxy.stdout!.on('data', (d: Buffer) => output.push(d.toString()));
    proxy.stderr!.on('data', (d: Buffer) => output.push(d.toString()));
    base = `http://127.0.0.1:${port}`;
    for (let waited = 0; ; waited += 100) {
      const ok = await fetch(`${base}/health/ready`).then((r) => r.ok, () => false);
      if (ok) break;
      if (waited > 20_000 || proxy.exitCode !== null) throw new Error(`the image's command did not start: ${output.join('')}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }, 420_000);

  afterAll(async () => {
    if (proxy && proxy.exitCode === null) proxy.kill('SIGKILL');
    await upstream?.close();
    rmSync(root, { recursive: true, force: true });
  });

  test('it has no TypeScript runtime and no dev dependencies', () => {
    const modules = readdirSync(path.join(app, 'node_modules'));
    for (const dev of ['tsx', 'typescript', 'vitest', 'openai', 'eslint']) expect(modules).not.toContain(dev);
    expect(modules).toContain('fastify');
    expect(readdirSync(path.join(app, 'dist'))).toContain('main.js');
  });

  test('serves /health/ready and a chat request as the unprivileged user', async () => {
    expect((await fetch(`${base}/health/ready`)).status).toBe(200);
    const res = await fetch(`${base}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: 'Bearer sk-image-test', 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(res.status).toBe(200);
    expect(spawnSync('ps', ['-o', 'uid=', '-p', String(proxy.pid)], { encoding: 'utf8' }).stdout.trim()).toBe(String(UID));
  });

  test('serves the operator console from dist/ and the production dependencies', async () => {
    const index = await fetch(`${base}/ui/`);
    expect(index.status).toBe(200);
    const assets = [...(await index.text()).matchAll(/(?:href|src)="(assets\/[^"]+)"/g)].map((m) => m[1]);
    expect(assets.some((a) => a.endsWith('/vendor/uPlot.iife.min.js'))).toBe(true);
    for (const asset of assets) expect((await fetch(`${base}/ui/${asset}`)).status, asset).toBe(200);
  });

  test('writes its state only under the state folder', async () => {
    const auth = { authorization: 'Bearer sk-image-admin', 'content-type': 'application/json' };
    expect((await fetch(`${base}/v1/rules`, { method: 'POST', headers: auth, body: JSON.stringify({ name: 'r', metric_path: 'system.memory_percent', condition: '>', threshold: 101 }) })).status).toBe(201);
    expect((await fetch(`${base}/v1/providers/up/model_selection`, { method: 'PUT', headers: auth, body: JSON.stringify({ selected_model: 'gpt-4o' }) })).status).toBe(200);
    await expect.poll(() => readdirSync(path.join(app, 'data')).sort()).toEqual(expect.arrayContaining(['alert_rules.json', 'llm-proxy.db', 'model_selections.json']));
    expect(listing(app)).toEqual(before);
  });

  test("the HEALTHCHECK command succeeds against it (and fails when nothing listens)", () => {
    const [command, ...args] = healthcheckCommand(runtime)!;
    expect(command).toBe('node');
    expect(spawnSync(process.execPath, args, { uid: UID, gid: UID, env, timeout: 10_000 }).status).toBe(0);
    expect(spawnSync(process.execPath, args, { uid: UID, gid: UID, env: { ...env, PROXY_API_PORT: '1' }, timeout: 10_000 }).status).toBe(1);
  });

  test('SIGTERM reaches node (PID of the CMD) and it exits 0', async () => {
    const exited = new Promise<number | null>((resolve) => proxy.once('exit', (code) => resolve(code)));
    proxy.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(output.join('')).toContain('"msg":"stopped"');
  });
});
