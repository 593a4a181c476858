// How the bench brings a target to steady state before it measures it: a warm-up until it stops
// getting faster, and the same load, unmeasured, before each measured run.
import type { LoadWorker } from './load-driver.js';
import type { LoadJob, MaxResult } from './load-worker.js';
import type { LedgerProbe } from './proxy-probes.js';
import type { RateResult } from './rate-client.js';
import { log } from './targets.js';

/** Warm-up steps: a step must beat the best before it by this much to count as still warming. */
const WARM_GAIN = 1.03;
const WARM_MIN_STEPS = 3;
const WARM_MAX_STEPS = 20;
/** When the load on each target (by URL) last ended, or will end: a measured run follows its lead-in directly. */
const loadEnds = new Map<string, number>();

/**
 * Runs a max-throughput job for 1 s again and again until the target has
 * stopped getting faster: two steps in a row that do not beat the best so far by 3 %. V8 compiles a
 * large server's hot paths over tens of thousands of requests: llm-proxy served about a third of its
 * steady rate in its first 3 s of load (1,512 -> 3,600 -> 5,000 -> 5,300 req/s in 3-second runs), while
 * the minimal proxy is at speed within a second. A fixed short warm-up measured the big targets cold.
 * Returns each step's rate and the requests sent.
 */
export async function warmUp(worker: LoadWorker, job: LoadJob, minSteps = WARM_MIN_STEPS): Promise<{ steps: number[]; sent: number }> {
  const step = { ...job, durationMs: 1000 };
  const steps: number[] = [];
  let sent = 0;
  let best = 0;
  let flat = 0;
  while (steps.length < WARM_MAX_STEPS) {
    const result = await worker.run<MaxResult>(step);
    steps.push(result.rps);
    sent += result.sent;
    if (result.rps > best * WARM_GAIN) flat = 0;
    else flat++;
    best = Math.max(best, result.rps);
    if (steps.length >= minSteps && flat >= 2) break;
  }
  loadEnds.set(job.url, Date.now());
  return { steps, sent };
}

/**
 * Each measured run follows the same load, unmeasured, for at least this long. Between two of its runs
 * a target sits idle while the others are measured (12 s to several minutes), and llm-proxy came back
 * from such a pause slowly: after 90 s idle, 1,021 -> 1,166 -> 2,562 -> 3,342 req/s in its first four
 * 1-second steps. V8's memory reducer, which starts after 8 s without allocation
 * (--gc-memory-reducer-start-delay-ms), had run its full collections meanwhile, and 253 functions were
 * optimized again in the first 3 s of load (18 with --no-memory-reducer; --trace-opt). So a target idle
 * for longer than that is warmed again at full load, in 1 s steps until it stops getting faster, before
 * a run at a fixed rate as before a run at full load: the bench measures each target at steady state,
 * not its first seconds after a pause. README, "Benchmark", has what a pause costs a real client.
 */
export const LEAD_IN_SECONDS = 2;
const IDLE_COLD_MS = 8_000;

/**
 * The lead-in before a measured run, then its ledger rows written (so the run's rows are counted alone).
 * `connections`: those of the full-load steps before a fixed-rate run. Returns the full-load steps'
 * rates (none when a fixed-rate run's target was busy moments ago).
 */
export async function leadIn(worker: LoadWorker, job: LoadJob, probe: LedgerProbe | null, connections: number, coldAfterMs = IDLE_COLD_MS): Promise<number[]> {
  const cold = Date.now() - (loadEnds.get(job.url) ?? 0) > coldAfterMs;
  let sent = 0;
  let steps: number[] = [];
  if (job.kind === 'max' || cold) {
    const full: LoadJob = { kind: 'max', url: job.url, path: job.path, body: job.body, headers: job.headers, durationMs: 1000, connections: job.kind === 'max' ? job.connections : connections };
    const warmed = await warmUp(worker, full, LEAD_IN_SECONDS);
    ({ steps } = warmed);
    sent += warmed.sent;
  }
  if (job.kind === 'rate') sent += (await worker.run<RateResult>({ ...job, durationMs: LEAD_IN_SECONDS * 1000 })).sent;
  loadEnds.set(job.url, Date.now() + job.durationMs);
  if (probe) await probe.settle(probe.count() ?? 0, sent);
  return steps;
}

/** Warms one target on each of its jobs (logging the steps), then waits for its ledger rows to be written. */
export async function warmTarget(worker: LoadWorker, name: string, jobs: Map<string, LoadJob>, probe: LedgerProbe | null): Promise<void> {
  for (const [endpoint, job] of jobs) {
    const { steps } = await warmUp(worker, job);
    log(`  ${name} ${endpoint}: ${steps.map((rps) => Math.round(rps)).join(' → ')} req/s`);
  }
  // Its rows written before anything else is measured on the shared core.
  if (probe) await probe.settle(probe.count() ?? 0, Number.POSITIVE_INFINITY, 1000);
}
