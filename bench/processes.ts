// Child processes of the benchmark: each pinned to one core with taskset, started and awaited until it
// answers, its RSS sampled from /proc while it runs, and stopped by its own pid.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { createInterface } from 'node:readline';

export interface Pinned {
  name: string;
  child: ChildProcess;
  pid: number;
  /** Last lines of stderr, for error reports. */
  stderr: string[];
}

export interface StartCommand {
  /** Variables the start script sets before `node` (e.g. MALLOC_TRIM_THRESHOLD_). */
  env: Record<string, string>;
  /** Node's arguments after `node`: its flags, then the entry (`--import tsx src/main.ts`). */
  args: string[];
  /** Node's own flags among them (`--max-semi-space-size=8`, `--single-threaded-gc`): what comes before the entry. */
  flags: string[];
}

/**
 * `npm start` as package.json spells it (`[NAME=value ...] node <args>`), so the bench and the CLI
 * tests run the proxy with exactly the production settings.
 */
export function startCommand(packageJson: string): StartCommand {
  const { scripts } = JSON.parse(readFileSync(packageJson, 'utf8')) as { scripts: { start: string } };
  const words = scripts.start.trim().split(/\s+/);
  const env: Record<string, string> = {};
  while (words.length > 0 && /^[A-Z_][A-Z0-9_]*=/.test(words[0])) {
    const [name, ...value] = words.shift()!.split('=');
    env[name] = value.join('=');
  }
  // `exec` hands the shell's pid (and so signals) to node.
  if (words[0] === 'exec') words.shift();
  if (words.shift() !== 'node') throw new Error(`npm start does not run node: ${scripts.start}`);
  const entry = words.findIndex((word) => word === '--import' || !word.startsWith('--'));
  return { env, args: words, flags: words.slice(0, entry === -1 ? words.length : entry) };
}

/** Starts `node <args>` pinned to `core`; taskset execs node, so the pid is node's own. */
export function spawnPinned(name: string, core: number, args: string[], env: NodeJS.ProcessEnv = process.env, stdout: 'pipe' | 'ignore' = 'pipe'): Pinned {
  const child = spawn('taskset', ['-c', String(core), process.execPath, ...args], { env, stdio: ['pipe', stdout, 'pipe'] });
  if (child.pid === undefined) throw new Error(`${name}: could not start`);
  const stderr: string[] = [];
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (text: string) => {
    stderr.push(...text.split('\n').filter(Boolean));
    if (stderr.length > 40) stderr.splice(0, stderr.length - 40);
  });
  return { name, child, pid: child.pid, stderr };
}

/** Waits for the first JSON line a process prints on stdout (`{"port": N}` for the mock and the floor). */
export function firstJsonLine<T>(proc: Pinned, timeoutMs = 20_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: proc.child.stdout! });
    const timer = setTimeout(() => fail(new Error(`${proc.name} did not start in ${timeoutMs} ms:\n${proc.stderr.join('\n')}`)), timeoutMs);
    const onExit = (code: number | null) => fail(new Error(`${proc.name} exited with ${code}:\n${proc.stderr.join('\n')}`));
    const fail = (error: Error) => {
      clearTimeout(timer);
      lines.close();
      proc.child.off('exit', onExit);
      reject(error);
    };
    proc.child.once('exit', onExit);
    lines.once('line', (line) => {
      clearTimeout(timer);
      proc.child.off('exit', onExit);
      lines.close();
      try {
        resolve(JSON.parse(line) as T);
      } catch {
        reject(new Error(`${proc.name} printed ${line}`));
      }
    });
  });
}

/** Polls `url` until it answers 200. */
export async function waitForHttp(proc: Pinned, url: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (proc.child.exitCode !== null) throw new Error(`${proc.name} exited with ${proc.child.exitCode}:\n${proc.stderr.join('\n')}`);
    try {
      const res = await fetch(url);
      await res.arrayBuffer();
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${proc.name} did not answer ${url} in ${timeoutMs} ms:\n${proc.stderr.join('\n')}`);
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Resident set size in bytes from /proc/<pid>/status, or null once the process is gone. */
export function rssBytes(pid: number): number | null {
  try {
    const match = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : null;
  } catch {
    return null;
  }
}

/** Samples the RSS of each watched pid every `intervalMs`; `phase()` starts a new per-phase maximum. */
export class RssSampler {
  readonly overallMax = new Map<number, number>();
  private phaseMax = new Map<number, number>();
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly pids: number[], intervalMs = 200) {
    this.timer = setInterval(() => this.sample(), intervalMs);
    this.timer.unref();
    this.sample();
  }

  sample(): void {
    for (const pid of this.pids) {
      const rss = rssBytes(pid);
      if (rss === null) continue;
      if (rss > (this.overallMax.get(pid) ?? 0)) this.overallMax.set(pid, rss);
      if (rss > (this.phaseMax.get(pid) ?? 0)) this.phaseMax.set(pid, rss);
    }
  }

  /** Ends the current phase and returns its maximum per pid. */
  phase(): Map<number, number> {
    this.sample();
    const max = this.phaseMax;
    this.phaseMax = new Map();
    return max;
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

/** SIGTERM, then SIGKILL if the process has not exited within `graceMs`. */
export async function stop(proc: Pinned, graceMs = 5_000): Promise<void> {
  if (proc.child.exitCode !== null || proc.child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => proc.child.once('exit', () => resolve()));
  proc.child.kill('SIGTERM');
  const timer = setTimeout(() => proc.child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

const CLOCK_TICKS = 100; // USER_HZ on Linux

/** CPU time (in clock ticks) used by the whole machine and by the given pids, from /proc. */
export function cpuTicks(pids: readonly number[]): { busy: number; mine: number; at: number } {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0].trim().split(/\s+/).slice(1).map(Number);
  const idle = (fields[3] ?? 0) + (fields[4] ?? 0);
  const busy = fields.reduce((a, b) => a + b, 0) - idle;
  let mine = 0;
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      mine += Number(rest[11]) + Number(rest[12]); // utime, stime (fields 14 and 15)
    } catch {
      // gone
    }
  }
  return { busy, mine, at: performance.now() };
}

/** Cores' worth of CPU that processes other than `pids` used between two snapshots. */
export function foreignCores(before: ReturnType<typeof cpuTicks>, after: ReturnType<typeof cpuTicks>): number {
  const seconds = (after.at - before.at) / 1000;
  if (seconds <= 0) return 0;
  return Math.max(0, after.busy - before.busy - (after.mine - before.mine)) / CLOCK_TICKS / seconds;
}

/**
 * Waits until other processes use less than `maxCores` of CPU over a `windowMs` window, for at most
 * `timeoutMs`; a shared machine's background work would otherwise land in the figures. Returns the
 * last measured foreign load.
 */
export async function waitForQuiet(pids: readonly number[], maxCores: number, timeoutMs: number, windowMs = 500): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const before = cpuTicks(pids);
    await new Promise((r) => setTimeout(r, windowMs));
    const load = foreignCores(before, cpuTicks(pids));
    if (load < maxCores || Date.now() >= deadline) return load;
  }
}

/** `root` and every process below it (tsx starts an esbuild helper beside each node process). */
export function processTree(root: number): number[] {
  const parents = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      parents.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // exited meanwhile
    }
  }
  const tree = [root];
  for (let i = 0; i < tree.length; i++) {
    for (const [pid, ppid] of parents) if (ppid === tree[i]) tree.push(pid);
  }
  return tree;
}
