// A real Docker engine for the image and compose tests, started through ../shared/tools/local-docker.sh
// (dockerd with host networking; base images built locally as stand-ins, since nothing can be pulled).
// A test skips, with the reason printed, only where no engine can exist: no `docker info` answer and
// no script to start one, or a machine where Debian's docker.io cannot be installed.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { repoPath } from './env-names.js';

export const LOCAL_DOCKER = repoPath('../shared/tools/local-docker.sh');
export const NODE_BASE = 'node:24-bookworm-slim';

export type Engine = { ok: true } | { ok: false; reason: string };

let engine: Engine | null = null;

/** Starts the engine once per process (synchronously, so a describe can skip on the answer). */
export function dockerEngine(): Engine {
  if (engine) return engine;
  if (spawnSync('docker', ['info'], { stdio: 'ignore' }).status === 0) return (engine = { ok: true });
  if (!existsSync(LOCAL_DOCKER)) {
    return (engine = { ok: false, reason: `no Docker engine answers and ${LOCAL_DOCKER} (which starts one) is missing` });
  }
  const up = spawnSync(LOCAL_DOCKER, ['up'], { encoding: 'utf8', timeout: 600_000 });
  if (up.status === 0) return (engine = { ok: true });
  // The only failure that means "no engine can exist here": dockerd is missing and cannot be installed.
  if (/could not be installed/.test(up.stderr)) return (engine = { ok: false, reason: up.stderr.trim() });
  throw new Error(`${LOCAL_DOCKER} up failed (status ${up.status}):\n${up.stderr}${up.stdout}`);
}

/** Prints why a Docker test is skipped, once per file. */
export function reportSkip(what: string, e: Engine): void {
  if (!e.ok) console.warn(`[skipped] ${what}: ${e.reason}`);
}

export function docker(args: string[], options: { timeout?: number; input?: string } = {}): string {
  return execFileSync('docker', args, { encoding: 'utf8', timeout: options.timeout ?? 60_000, input: options.input, stdio: ['pipe', 'pipe', 'pipe'] }).trim();
}

/** Runs docker without throwing: status and both outputs. */
export function dockerTry(args: string[], timeout = 60_000): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync('docker', args, { encoding: 'utf8', timeout });
  return { status: r.status, stdout: r.stdout.trim(), stderr: r.stderr.trim() };
}

/**
 * Runs docker without blocking the event loop: a test whose mock upstream lives in this process must
 * use this while the container still talks to it (a synchronous `docker wait` would starve the mock).
 */
export function dockerAsync(args: string[], timeout = 60_000): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn('docker', args, { timeout });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (status) => resolve({ status, stdout: stdout.trim(), stderr: stderr.trim() }));
  });
}

export function imageExists(tag: string): boolean {
  return spawnSync('docker', ['image', 'inspect', tag], { stdio: 'ignore' }).status === 0;
}

/** A stand-in base image, built once per machine (a few minutes the first time). */
export function ensureNodeBase(major = 24): void {
  if (imageExists(`node:${major}-bookworm-slim`)) return;
  execFileSync(LOCAL_DOCKER, ['node-image', String(major)], { stdio: 'ignore', timeout: 900_000 });
}

export function ensureDebianImage(tag: string, packages: string[]): void {
  if (imageExists(tag)) return;
  execFileSync(LOCAL_DOCKER, ['debian-image', tag, ...packages], { stdio: 'ignore', timeout: 900_000 });
}

export interface Build {
  seconds: number;
  /** Steps answered from the layer cache, of all steps. */
  cached: number;
  steps: number;
}

/**
 * `docker build --network host` of the repository (asynchronous, so the test process stays
 * responsive). The previous image under `tag` is removed once replaced, so repeated runs keep one
 * image and the layer cache, not a pile of dangling images.
 */
export async function buildImage(tag: string, buildArgs: Record<string, string> = {}): Promise<Build> {
  // One build at a time across test files (the image and compose tests run in parallel forks): the
  // second finds every layer in the cache instead of compiling the same dependencies beside the first.
  const lock = path.join(tmpdir(), 'llm-proxy-docker-build.lock');
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      const held = statSync(lock, { throwIfNoEntry: false });
      if (held && Date.now() - held.mtimeMs > 30 * 60_000) rmSync(lock, { recursive: true, force: true }); // a crashed holder
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  }
  try {
    return await buildUnlocked(tag, buildArgs);
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

async function buildUnlocked(tag: string, buildArgs: Record<string, string>): Promise<Build> {
  const previous = dockerTry(['image', 'inspect', '-f', '{{.Id}}', tag]).stdout;
  const args = ['build', '--network', 'host', '-t', tag, ...Object.entries(buildArgs).flatMap(([k, v]) => ['--build-arg', `${k}=${v}`]), repoPath()];
  const started = performance.now();
  const output = await new Promise<string>((resolve, reject) => {
    const child = spawn('docker', args, { env: { ...process.env, DOCKER_BUILDKIT: '0' } });
    let text = '';
    child.stdout.on('data', (d: Buffer) => (text += d.toString()));
    child.stderr.on('data', (d: Buffer) => (text += d.toString()));
    child.on('exit', (code) => (code === 0 ? resolve(text) : reject(new Error(`docker build failed (${code}):\n${text.slice(-4000)}`))));
  });
  const current = dockerTry(['image', 'inspect', '-f', '{{.Id}}', tag]).stdout;
  if (previous && previous !== current) dockerTry(['rmi', previous]);
  return {
    seconds: (performance.now() - started) / 1000,
    cached: (output.match(/Using cache/g) ?? []).length,
    steps: (output.match(/^Step \d+\/\d+/gm) ?? []).length,
  };
}

/** Removes a container whatever its state. */
export function removeContainer(name: string): void {
  dockerTry(['rm', '-f', '-v', name]);
}

/** Memory a running container uses now, in MiB (cgroup usage as `docker stats` reports it). */
export function memoryMiB(name: string): number {
  const usage = docker(['stats', '--no-stream', '--format', '{{.MemUsage}}', name]).split('/')[0].trim();
  const match = /^([\d.]+)\s*([KMG]i?B)$/.exec(usage);
  if (!match) throw new Error(`unexpected docker stats output: ${usage}`);
  const factor = { KiB: 1 / 1024, KB: 1 / 1024, MiB: 1, MB: 1, GiB: 1024, GB: 1024 }[match[2]] ?? 1;
  return Number(match[1]) * factor;
}
