// The README's systemd install steps, run as written on Debian: in a container of the stand-in
// node:24-bookworm-slim base (root, host network), the README's block is run line by line — `sudo`
// dropped and the `systemctl` lines left out, there being no systemd in a container — from a copy of
// this checkout's files. Then the installed server is started as the unit would start it (its user, its
// environment, the state folder StateDirectory= makes) and must answer. Also checked: nothing but
// dist/, package files and production dependencies reached /opt/llm-proxy (no .env, no sources, no
// TypeScript). Skipped, with the reason printed, only where no Docker engine can exist.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { freePort } from '../support/cli.js';
import { dockerAsync, dockerEngine, ensureNodeBase, NODE_BASE, reportSkip } from './docker.js';
import { repoPath } from './env-names.js';

const engine = dockerEngine();
reportSkip('systemd-install.test.ts (the README install steps in a container)', engine);

/** The README's systemd block as a container runs it: without sudo, without the systemctl lines. */
export function installSteps(readme: string): string[] {
  const section = readme.slice(readme.indexOf('### systemd'));
  const block = section.slice(section.indexOf('```sh') + 5, section.indexOf('```', section.indexOf('```sh') + 5));
  return block
    .split('\n')
    .map((line) => line.replace(/^sudo /, '').replace(/&& sudo /g, '&& '))
    .filter((line) => line.trim() && !line.trim().startsWith('#') && !/\bsystemctl\b/.test(line));
}

describe.skipIf(!engine.ok)('the README systemd install steps, on Debian', () => {
  test('build, release folder, install: the installed server starts as the unit starts it', async () => {
    ensureNodeBase(24);
    const steps = installSteps(readFileSync(repoPath('README.md'), 'utf8'));
    expect(steps.some((s) => s.includes('npm ci --omit=dev'))).toBe(true);
    expect(steps.some((s) => s.startsWith('useradd'))).toBe(true);
    const unit = readFileSync(repoPath('deploy/systemd/llm-proxy.service'), 'utf8');
    const env = [...unit.matchAll(/^Environment=(\w+)=(.*)$/gm)].map(([, k, v]) => `${k}='${v}'`).join(' ');
    const execStart = /^ExecStart=(.*)$/m.exec(unit)![1];

    const dir = mkdtempSync(path.join(tmpdir(), 'llm-proxy-systemd-'));
    // This checkout's files as git sees them (tracked, and new ones not ignored): no node_modules, no .env.
    const files = execFileSync('git', ['ls-files', '-co', '--exclude-standard', '-z'], { cwd: repoPath() });
    execFileSync('tar', ['--null', '-T', '-', '-cf', path.join(dir, 'src.tar')], { cwd: repoPath(), input: files });
    const port = await freePort();
    // npm's download cache outlives the run, so a machine fetches each package once.
    const npmCache = '/var/cache/llm-proxy-test-npm';
    mkdirSync(npmCache, { recursive: true });
    const script = [
      'set -eu',
      // The README's "python3 make g++" for better-sqlite3 where its prebuilt binary cannot be fetched (as here).
      'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3 make g++ >/dev/null',
      'export npm_config_nodedir=/usr/local npm_config_cache=/npm-cache',
      'mkdir /build && tar -xf /in/src.tar -C /build && cd /build',
      ...steps,
      // What StateDirectory= makes before the unit starts.
      'install -d -o llm-proxy -g llm-proxy -m 750 /var/lib/llm-proxy',
      'test ! -e /opt/llm-proxy/.env && test ! -e /opt/llm-proxy/src && test ! -e /opt/llm-proxy/node_modules/typescript && test -e /opt/llm-proxy/dist/main.js',
      `su -s /bin/sh llm-proxy -c "cd /opt/llm-proxy && env ${env} PROXY_API_PORT=${port} ${execStart.replace('/usr/bin/node', 'node')}" > /tmp/proxy.log 2>&1 &`,
      `node -e "const go=async()=>{for(let i=0;i<100;i++){try{const r=await fetch('http://127.0.0.1:${port}/health/live');if(r.ok){console.log('LIVE',await r.text());process.exit(0)}}catch{}await new Promise(s=>setTimeout(s,200))}process.exit(1)};go()" || { cat /tmp/proxy.log; exit 1; }`,
      'ls /var/lib/llm-proxy',
    ].join('\n');
    writeFileSync(path.join(dir, 'install.sh'), script);
    const run = await dockerAsync(['run', '--rm', '--network', 'host', '-v', `${dir}:/in`, '-v', `${npmCache}:/npm-cache`, NODE_BASE, 'bash', '/in/install.sh'], 1_200_000);
    expect(run.status, `${run.stdout.slice(-3000)}\n${run.stderr.slice(-3000)}`).toBe(0);
    expect(run.stdout).toMatch(/LIVE .*"status":"alive"/);
    // The state folder was written by the server running as llm-proxy (its database).
    expect(run.stdout).toContain('llm-proxy.db');
  }, 1_500_000);
});
