// Drives the load worker process (bench/load-worker.ts) over its stdin/stdout, and runs each job the
// way the bench trusts it: after waiting for the machine to go quiet, repeated when others were busy.
import type { LoadAnswer, LoadJob, MaxResult } from './load-worker.js';
import { cpuTicks, foreignCores, waitForQuiet, type Pinned } from './processes.js';
import type { RateResult } from './rate-client.js';
import type { Sample } from './report.js';

/** Shared machines: wait for other processes to use less than QUIET_CORES before each run. */
const QUIET_CORES = 0.1;
const QUIET_WAIT_MS = 10_000;
/** A run during which others used this much CPU is repeated (up to MAX_TRIES) and flagged. */
export const NOISY_CORES = 0.25;
const MAX_TRIES = 3;

export class LoadWorker {
  private nextId = 1;
  private readonly waiting = new Map<number, (answer: LoadAnswer) => void>();
  private buffer = '';

  constructor(readonly proc: Pinned) {
    proc.child.stdout!.setEncoding('utf8');
    proc.child.stdout!.on('data', (text: string) => {
      this.buffer += text;
      let nl: number;
      while ((nl = this.buffer.indexOf('\n')) >= 0) {
        const line = this.buffer.slice(0, nl);
        this.buffer = this.buffer.slice(nl + 1);
        if (!line.trim()) continue;
        const answer = JSON.parse(line) as LoadAnswer;
        this.waiting.get(answer.id)?.(answer);
        this.waiting.delete(answer.id);
      }
    });
    proc.child.once('exit', (code) => {
      for (const resolve of this.waiting.values()) resolve({ id: 0, ok: false, error: `load worker exited with ${code}: ${proc.stderr.join('\n')}` });
    });
  }

  async run<T extends MaxResult | RateResult>(job: LoadJob): Promise<T> {
    const id = this.nextId++;
    const answer = await new Promise<LoadAnswer>((resolve) => {
      this.waiting.set(id, resolve);
      this.proc.child.stdin!.write(`${JSON.stringify({ id, ...job })}\n`);
    });
    if (!answer.ok) throw new Error(answer.error);
    return answer.result as T;
  }
}

/**
 * Runs one job, after waiting (a little) for other processes on this machine to go quiet; a run
 * during which they used a noticeable share of the CPU is repeated, and the quietest try is kept.
 */
export type Measured = Pick<Sample, 'max' | 'rate' | 'foreignCores' | 'tries' | 'cpuUsPerRequest'> & {
  /** Requests sent over every try (a repeated run sends its requests again). */
  sentAllTries: number;
};

export async function measure(worker: LoadWorker, job: LoadJob, mine: number[], targetPid: number | undefined, waitQuiet: boolean): Promise<Measured> {
  let best: Measured | null = null;
  let sentAllTries = 0;
  for (let tries = 1; tries <= (waitQuiet ? MAX_TRIES : 1); tries++) {
    if (waitQuiet) await waitForQuiet(mine, QUIET_CORES, QUIET_WAIT_MS, 250);
    const before = cpuTicks(mine);
    const targetBefore = targetPid ? cpuTicks([targetPid]).mine : 0;
    const result = await worker.run<MaxResult | RateResult>(job);
    const targetTicks = targetPid ? cpuTicks([targetPid]).mine - targetBefore : 0;
    const foreign = foreignCores(before, cpuTicks(mine));
    const served = job.kind === 'max' ? (result as MaxResult).requests : (result as RateResult).ok;
    sentAllTries += job.kind === 'max' ? (result as MaxResult).sent : (result as RateResult).sent;
    const sample: Measured = {
      ...(job.kind === 'max' ? { max: result as MaxResult } : { rate: result as RateResult }),
      foreignCores: foreign,
      tries,
      // CPU the process under test spent per answered request: what one core can serve, less noisy than req/s.
      cpuUsPerRequest: targetPid && served > 0 ? (targetTicks * 10_000) / served : null,
      sentAllTries: 0,
    };
    if (!best || foreign < best.foreignCores) best = sample;
    if (foreign < NOISY_CORES) break;
  }
  return { ...best!, sentAllTries };
}

export function rotate<T>(list: readonly T[], by: number): T[] {
  const n = list.length;
  return list.map((_, i) => list[(i + by) % n]);
}

export function fmtRate(r: RateResult): string {
  const f = (v: number | null) => (v === null || !Number.isFinite(v) ? '–' : v.toFixed(3));
  return `p50 ${f(r.total.p50)} / ttfb ${f(r.ttfb.p50)} / p99 ${f(r.total.p99)} ms, ${r.achievedRate.toFixed(0)} req/s${r.non2xx + r.errors ? `, ${r.non2xx} non-2xx, ${r.errors} errors` : ''}`;
}
