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

/**
 * Runs a max-throughput job for 1 s again and again until the target has
 * stopped getting faster: two steps in a row that do not beat the best so far by 3 %. V8 compiles a
 * large server's hot paths over tens of thousands of requests: llm-proxy served about a third of its
 * steady rate in its first 3 s of load (1,512 -> 3,600 -> 5,000 -> 5,300 req/s in 3-second runs), while
 * the minimal proxy is at speed within a second. A fixed short warm-up measured the big targets cold.
 * Returns each step's rate.
 */
export async function warmUp(worker: LoadWorker, job: LoadJob): Promise<number[]> {
  const step = { ...job, durationMs: 1000 };
  const steps: number[] = [];
  let best = 0;
  let flat = 0;
  while (steps.length < WARM_MAX_STEPS) {
    const { rps } = await worker.run<MaxResult>(step);
    steps.push(rps);
    if (rps > best * WARM_GAIN) flat = 0;
    else flat++;
    best = Math.max(best, rps);
    if (steps.length >= WARM_MIN_STEPS && flat >= 2) break;
  }
  return steps;
}

/**
 * Each measured run follows the same load for this long, unmeasured. Between two of its runs a target
 * sits idle while the others are measured (tens of seconds), and llm-proxy came back from such a pause
 * slowly: after 45 s idle, 731 -> 1,129 -> 2,081 req/s in its first three 1-second runs against ~3,500
 * before it. V8's memory reducer had run five full collections meanwhile, and 253 functions were
 * optimized again in those 3 s (18 with --no-memory-reducer; --trace-opt).
 * The bench measures each target at steady state, not its first seconds after a pause.
 */
export const LEAD_IN_SECONDS = 2;

/** The lead-in before a measured run, then its ledger rows written (so the run's rows are counted alone). */
export async function leadIn(worker: LoadWorker, job: LoadJob, probe: LedgerProbe | null): Promise<void> {
  const lead = await worker.run<MaxResult | RateResult>({ ...job, durationMs: LEAD_IN_SECONDS * 1000 });
  if (probe) await probe.settle(probe.count() ?? 0, lead.sent);
}

/** Warms one target on each of its jobs (logging the steps), then waits for its ledger rows to be written. */
export async function warmTarget(worker: LoadWorker, name: string, jobs: Map<string, LoadJob>, probe: LedgerProbe | null): Promise<void> {
  for (const [endpoint, job] of jobs) {
    const steps = await warmUp(worker, job);
    log(`  ${name} ${endpoint}: ${steps.map((rps) => Math.round(rps)).join(' → ')} req/s`);
  }
  // Its rows written before anything else is measured on the shared core.
  if (probe) await probe.settle(probe.count() ?? 0, Number.POSITIVE_INFINITY, 1000);
}
