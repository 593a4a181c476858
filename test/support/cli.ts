// Starts the real CLI exactly as `npm start` does (package.json's start script: its environment,
// Node's flags, tsx, src/main.ts) on a free loopback port and waits until it says it is listening;
// tests read its stdout (the JSON log) and send it signals.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { startCommand } from '../../bench/processes.js';

export function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export interface CliProcess {
  child: ChildProcess;
  /** Everything printed so far. */
  readonly stdout: string;
  readonly stderr: string;
}

/** `started` says when it is up (default: it logged that it listens, on stdout). */
export async function startCli(configFile: string, env: Record<string, string | undefined> = {}, started?: () => boolean): Promise<CliProcess> {
  const start = startCommand(new URL('../../package.json', import.meta.url).pathname);
  const child = spawn(process.execPath, [...start.args, '--config', configFile], {
    env: { ...process.env, ...start.env, PROXY_API_LOG_LEVEL: 'info', PROXY_API_PROXY_API_KEYS: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const out = { stdout: '', stderr: '' };
  child.stdout!.on('data', (d: Buffer) => (out.stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out.stderr += d.toString()));
  const up = started ?? (() => out.stdout.includes('llm-proxy listening'));
  for (let waited = 0; !up(); waited += 50) {
    // Generous: a busy machine running the whole suite at once can take a while to start tsx.
    if (waited > 40_000 || child.exitCode !== null) throw new Error(`proxy did not start: ${out.stderr}${out.stdout}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    child,
    get stdout() {
      return out.stdout;
    },
    get stderr() {
      return out.stderr;
    },
  };
}
