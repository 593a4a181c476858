// The processes a bench run measures: llm-proxy started as `npm start` starts it (its config written
// to the work dir), the floor proxies transpiled like its dist/ build, a virtual-key variant, and the
// request bodies every target is sent.
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Redis } from 'ioredis';
import ts from 'typescript';
import { firstJsonLine, freePort, spawnPinned, startCommand, waitForHttp, type Pinned } from './processes.js';
import type { Endpoint } from './report.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const TSX = import.meta.resolve('tsx');
export const PROXY_CORE = 0;
export const CLIENT_KEY = 'bench-client-key';
/** `npm start`'s environment and Node flags, read from package.json so the two cannot drift apart. */
export const START = startCommand(path.join(ROOT, 'package.json'));

const CHAT = {
  model: 'bench-model',
  messages: [
    { role: 'system', content: 'You are a helpful assistant.' },
    { role: 'user', content: 'Say hello in one short sentence.' },
  ],
  temperature: 0.7,
  max_tokens: 64,
};

export const BODIES: Record<Endpoint, string> = {
  chat: JSON.stringify(CHAT),
  stream: JSON.stringify({ ...CHAT, stream: true }),
  embeddings: JSON.stringify({ model: 'bench-embedding', input: 'The quick brown fox jumps over the lazy dog.' }),
};
export const CACHE_BODY = BODIES.chat.replace('"temperature":0.7', '"temperature":0');
export const PATHS: Record<Endpoint, string> = { chat: '/v1/chat/completions', stream: '/v1/chat/completions', embeddings: '/v1/embeddings' };

export interface Target {
  name: string;
  url: string;
  proc?: Pinned;
  bodies?: Partial<Record<Endpoint, string>>;
  /** The client key it is called with (default: the config key). */
  key?: string;
  /** llm-proxy's SQLite ledger (its own data_dir in the work dir), counted after each run. */
  dbFile?: string;
}

export function log(message: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}

/**
 * Production logging: one JSON line per request at info, to stdout (logging.file unset), which the
 * bench points at /dev/null so the proxy pays for formatting and writing, not for storing. A log
 * file on this machine's shared disk put the file system's write work on the proxy's pinned core and
 * raised p50 at 500 req/s by tens of milliseconds, which measures the disk, not the proxy.
 */
export function proxyConfig(mockUrl: string, port: number, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    server: { host: '127.0.0.1', port },
    auth: { api_keys: [CLIENT_KEY] },
    logging: { level: 'info' },
    providers: [
      { name: 'mock', type: 'openai_compatible', base_url: `${mockUrl}/v1`, api_key_env: 'BENCH_UPSTREAM_KEY', models: ['*'], timeout: 30, max_retries: 0 },
    ],
    ...extra,
  };
}

/** The environment of the proxy under test: ours, minus anything that would override its config file. */
export function proxyEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.startsWith('PROXY_API_') && key !== 'ENVIRONMENT') env[key] = value;
  }
  return { ...env, ...START.env, NODE_ENV: 'production', BENCH_UPSTREAM_KEY: 'sk-bench-upstream-key' };
}

export interface TargetSettings {
  /** The work dir of this run (configs, the virtual key's database). */
  workDir: string;
  /** Where the proxy under test comes from: the working tree, or a commit exported by --ref. */
  source: string;
  runner: 'dist' | 'tsx';
  /** Set with --cpu-prof: llm-proxy writes its CPU profile there. */
  profileDir: string | null;
  /** Every process started, stopped by the run at its end. */
  children: Pinned[];
}

export class Targets {
  private readonly workDir: string;
  private readonly source: string;
  private readonly runner: 'dist' | 'tsx';
  private readonly profileDir: string | null;
  private readonly children: Pinned[];

  constructor(settings: TargetSettings) {
    ({ workDir: this.workDir, source: this.source, runner: this.runner, profileDir: this.profileDir, children: this.children } = settings);
  }

  async startLlmProxy(name: string, mockUrl: string, extra: Record<string, unknown> = {}): Promise<Target> {
    const port = await freePort();
    const configFile = path.join(this.workDir, `${name}.config.json`);
    // Each target its own state folder: its ledger rows are counted apart from the others'.
    const dataDir = typeof extra.data_dir === 'string' ? extra.data_dir : path.join(this.workDir, `${name}-data`);
    writeFileSync(configFile, JSON.stringify(proxyConfig(mockUrl, port, { data_dir: dataDir, ...extra }), null, 2));
    // The same environment and V8 flags as `npm start` (README, "Operating it": a small young
    // generation, an old one collected once it has grown by 25 %, glibc's trim threshold fixed).
    const entry = [...START.flags, ...(this.runner === 'dist' ? [path.join(this.source, 'dist/main.js')] : ['--import', TSX, path.join(this.source, 'src/main.ts')])];
    const profile = this.profileDir && name === 'llm-proxy' ? ['--cpu-prof', `--cpu-prof-dir=${this.profileDir}`] : [];
    const proc = spawnPinned(name, PROXY_CORE, [...profile, ...entry, '--config', configFile], proxyEnv(), 'ignore');
    this.children.push(proc);
    const url = `http://127.0.0.1:${port}`;
    await waitForHttp(proc, `${url}/health/live`);
    return { name, url, proc, dbFile: path.join(dataDir, 'llm-proxy.db') };
  }

  /**
   * A floor proxy (bench/<name>.ts) runs as plain JavaScript like the dist/ build of llm-proxy, not
   * through tsx, whose loader thread would add its own memory and start-up work. It is written under
   * node_modules/.cache so that its `undici` and `fastify` imports resolve to the project's copies.
   */
  transpileFloor(name: string): string {
    const dir = path.join(ROOT, 'node_modules/.cache/llm-proxy-bench');
    mkdirSync(dir, { recursive: true });
    const text = readFileSync(path.join(ROOT, `bench/${name}.ts`), 'utf8');
    const { outputText } = ts.transpileModule(text, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } });
    // llm-proxy's own modules come from the build being measured, as llm-proxy itself does.
    const built = `${pathToFileURL(path.join(this.source, 'dist')).href}/`;
    // Bench modules it imports are transpiled beside it.
    const sibling = /from '\.\/([\w-]+)\.js'/g;
    for (const [, other] of outputText.matchAll(sibling)) this.transpileFloor(other);
    const file = path.join(dir, `${name}.mjs`);
    writeFileSync(file, outputText.replaceAll("from '../src/", `from '${built}`).replace(sibling, "from './$1.mjs'"));
    return file;
  }

  /** Starts the floor proxy bench/<file>.ts on the proxy core as `name`; it prints its port as its first line. */
  async startFloor(file: string, name: string, mockUrl: string): Promise<{ proc: Pinned; url: string }> {
    const entry = this.runner === 'dist' ? [this.transpileFloor(file)] : ['--import', TSX, path.join(ROOT, `bench/${file}.ts`)];
    const proc = spawnPinned(name, PROXY_CORE, [...entry, mockUrl]);
    this.children.push(proc);
    return { proc, url: `http://127.0.0.1:${(await firstJsonLine<{ port: number }>(proc)).port}` };
  }

  /**
   * llm-proxy called with a virtual key that has a budget and an rpm limit, both far above what the run
   * spends: every request reserves and settles its budget, counts its rpm and writes a ledger row (SQLite
   * in the work dir), none is refused. Compared with the config key on the same build.
   */
  async virtualKeyTarget(mockUrl: string): Promise<Target> {
    const admin = 'bench-admin-key-0';
    const target = await this.startLlmProxy('llm-proxy+virtual-key', mockUrl, {
      auth: { api_keys: [CLIENT_KEY], admin_keys: [admin] },
      data_dir: path.join(this.workDir, 'virtual-key-data'),
      pricing: { 'bench-model': { input_per_1k: 0.001, output_per_1k: 0.002 } },
    });
    const res = await fetch(`${target.url}/v1/keys`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${admin}` },
      body: JSON.stringify({ alias: 'bench', rpm: 1_000_000_000, budget: { max_usd: 1_000_000_000, period: 'total' } }),
    });
    if (res.status !== 201) throw new Error(`could not create the bench's virtual key: ${res.status} ${await res.text()}`);
    target.key = ((await res.json()) as { key: string }).key;
    return target;
  }
}

/** Exports src/ and the TypeScript settings of a commit into the work dir, sharing node_modules. */
export function exportRef(root: string, workDir: string, ref: string): string {
  const dir = path.join(workDir, 'source');
  mkdirSync(dir);
  const tar = execFileSync('git', ['archive', '--format=tar', ref, 'src', 'tsconfig.json', 'tsconfig.build.json', 'package.json'], { cwd: root, maxBuffer: 256 * 1024 * 1024 });
  execFileSync('tar', ['-x', '-C', dir], { input: tar });
  symlinkSync(path.join(root, 'node_modules'), path.join(dir, 'node_modules'));
  log(`benchmarking ${ref} (${execFileSync('git', ['rev-parse', '--short', ref], { cwd: root, encoding: 'utf8' }).trim()}) exported to ${dir}`);
  return dir;
}

export function build(source: string): void {
  log(`building ${path.relative(ROOT, path.join(source, 'dist')) || 'dist'}/ (npm run build = tsc -p tsconfig.build.json)`);
  const result = spawnSync(process.execPath, [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], { cwd: source, encoding: 'utf8' });
  if (result.status !== 0) log(`tsc reported problems (output still emitted):\n${result.stdout}${result.stderr}`);
  if (!existsSync(path.join(source, 'dist/main.js'))) throw new Error('dist/main.js was not built');
  // npm run build's second half: the console's browser files, which the server reads at start.
  const web = path.join(source, 'src/console/web');
  if (existsSync(web)) cpSync(web, path.join(source, 'dist/console/web'), { recursive: true });
}

/** Checks that a cache-enabled proxy really answers the repeated request from its cache. */
export async function cacheHits(target: Target): Promise<string | null> {
  const send = () => fetch(`${target.url}${PATHS.chat}`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${CLIENT_KEY}` }, body: CACHE_BODY });
  await (await send()).arrayBuffer();
  const res = await send();
  const body = await res.text();
  const header = [...res.headers.entries()].find(([k, v]) => /cache/i.test(k) && /hit/i.test(v));
  if (header) return `${header[0]}: ${header[1]}`;
  return /"cache[^"]*"\s*:\s*("hit"|true)/i.test(body) ? 'cache hit flagged in _proxy_info' : null;
}

/** Deletes the keys a Redis-limited run left under its unique prefix. */
export async function cleanRedis(url: string, prefix: string): Promise<void> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await redis.del(...keys);
    } while (cursor !== '0');
  } catch (error) {
    log(`could not clean Redis keys ${prefix}*: ${(error as Error).message}`);
  } finally {
    redis.disconnect();
  }
}
