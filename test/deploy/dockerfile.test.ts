// The Dockerfile's policy on its parsed form: a hermetic build stage (native modules compiled from the
// npm registry's sources with Debian's tool chain and the base image's Node headers), Node 24 LTS, a
// runtime stage with production dependencies only, a numeric user, node as PID 1, OCI labels. The
// image itself is built and run in image.test.ts.
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { argsOf, copies, envOf, healthcheckCommand, jsonArgs, stages } from './dockerfile.js';
import { codeEnvNames, repoPath } from './env-names.js';

const all = stages();
const byName = (name: string) => all.find((s) => s.name === name)!;
const runtime = all.at(-1)!;
const keyword = (stage: typeof runtime, k: string) => stage.instructions.filter((i) => i.getKeyword() === k);
const runs = (name: string) => keyword(byName(name), 'RUN').map(argsOf).join(' ');

describe('Dockerfile policy', () => {
  test('stages: deps (tool chain, npm ci), build (tsc), prod-deps (pruned), a Node 24 slim runtime', () => {
    expect(all.map((s) => s.name)).toEqual(['deps', 'build', 'prod-deps', 'runtime']);
    expect(byName('deps').image).toMatch(/^node:24-[a-z]+-slim$/);
    expect(runtime.image).toBe(byName('deps').image);
    expect(byName('build').image).toBe('deps');
    expect(byName('prod-deps').image).toBe('deps');
    expect(runs('deps')).toContain('npm ci');
    expect(runs('build')).toContain('npm run build');
    expect(runs('prod-deps')).toContain('npm prune --omit=dev');
  });

  test('hermetic: python3, make and g++ from Debian, nodedir at the image\'s headers, no prebuilt download', () => {
    const apt = runs('deps');
    for (const pkg of ['python3', 'make', 'g++']) expect(apt).toMatch(new RegExp(`apt-get install[^&]*\\s${pkg.replace('+', '\\+')}(\\s|$)`));
    const env = envOf(byName('deps'));
    expect(env.npm_config_nodedir).toBe('/usr/local');
    expect(env.npm_config_build_from_source).toBe('true');
    // The native module is loaded in the build, so a skipped install script fails the build, not the container.
    expect(apt).toContain("require('better-sqlite3')");
  });

  test('package.json allowScripts covers every dependency with an install script (npm 12 blocks the rest)', () => {
    const pkg = JSON.parse(readFileSync(repoPath('package.json'), 'utf8')) as { allowScripts?: Record<string, boolean> };
    const lock = JSON.parse(readFileSync(repoPath('package-lock.json'), 'utf8')) as { packages: Record<string, { hasInstallScript?: boolean }> };
    const scripted = Object.entries(lock.packages)
      .filter(([, p]) => p.hasInstallScript)
      .map(([where]) => where.split('node_modules/').at(-1)!);
    expect(scripted).toContain('better-sqlite3');
    for (const name of scripted) expect(pkg.allowScripts?.[name], name).toBe(true);
  });

  test('runtime stage: numeric non-root USER, exec-form CMD running node, HEALTHCHECK without curl, EXPOSE, OCI labels, no VOLUME', () => {
    const [user] = keyword(runtime, 'USER').map(argsOf);
    expect(user).toMatch(/^[1-9]\d*(:\d+)?$/);
    const [cmd] = keyword(runtime, 'CMD');
    expect(argsOf(cmd).trim().startsWith('[')).toBe(true);
    expect(jsonArgs(cmd)[0]).toBe('node');
    expect(jsonArgs(cmd)).toContain('dist/main.js');
    expect(keyword(runtime, 'ENTRYPOINT')).toEqual([]);
    expect(healthcheckCommand(runtime)?.[0]).toBe('node');
    expect(keyword(runtime, 'EXPOSE').map(argsOf)).toEqual(['8000']);
    const labels = keyword(runtime, 'LABEL').map(argsOf).join(' ');
    for (const label of ['title', 'source', 'revision', 'version']) expect(labels).toContain(`org.opencontainers.image.${label}=`);
    for (const arg of ['VERSION', 'REVISION', 'SOURCE']) expect(keyword(runtime, 'ARG').map(argsOf).join(' ')).toContain(arg);
    expect(keyword(runtime, 'VOLUME')).toEqual([]);
    const env = envOf(runtime);
    expect(env).toMatchObject({ PROXY_API_CONFIG_FILE: '/app/config.yaml', PROXY_API_DATA_DIR: '/app/data' });
    const readable = codeEnvNames();
    for (const name of Object.keys(env).filter((n) => n.startsWith('PROXY_API_'))) expect(readable).toContain(name);
  });

  test('the runtime stage copies nothing from the build context but package.json and config.yaml', () => {
    const fromContext = copies(runtime).filter((c) => c.from === null).flatMap((c) => c.sources);
    expect(fromContext.sort()).toEqual(['config.yaml', 'package.json']);
    expect(copies(runtime).filter((c) => c.from !== null).map((c) => c.from).sort()).toEqual(['build', 'prod-deps']);
  });

  test('.dockerignore keeps node_modules, tests, bench results and .env out of the context', () => {
    const ignored = readFileSync(repoPath('.dockerignore'), 'utf8').split('\n').map((l) => l.trim());
    for (const entry of ['node_modules', 'test', 'bench', '.env', 'dist', '.git']) expect(ignored).toContain(entry);
  });
});
