// Runs a plan: virtual users started linearly over the ramp-up, each in a closed loop (send, wait for
// the answer, think, repeat) until the duration is over, scenarios picked by weight from the seeded
// random source. Reports progress once a second.
import { pickScenario, seededRandom, type Plan } from './plan.js';
import { runScenario, type Target } from './scenarios.js';
import { percentiles, type Sample } from './stats.js';

export interface Progress {
  elapsedMs: number;
  users: number;
  requests: number;
  /** Requests per second over the last five seconds. */
  rps: number;
  errorRate: number;
  p50: number;
  p95: number;
}

export interface RunResult {
  samples: Sample[];
  startedAt: Date;
  usersAt: (ms: number) => number;
}

export function usersAt(plan: Pick<Plan, 'users' | 'rampUpMs'>): (ms: number) => number {
  return (ms) => (plan.rampUpMs <= 0 ? plan.users : Math.min(plan.users, Math.floor((ms / plan.rampUpMs) * plan.users) + 1));
}

export async function runLoad(plan: Plan, target: Omit<Target, 'timeoutMs'>, onProgress?: (progress: Progress) => void): Promise<RunResult> {
  const random = seededRandom(plan.seed);
  const samples: Sample[] = [];
  const startedAt = new Date();
  const t0 = performance.now();
  const now = () => performance.now() - t0;
  const active = usersAt(plan);
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  const user = async (index: number) => {
    await sleep((plan.rampUpMs * index) / plan.users);
    while (now() < plan.durationMs) {
      const scenario = pickScenario(plan.scenarios, random);
      samples.push(await runScenario(scenario.name, scenario.settings, { ...target, timeoutMs: plan.timeoutMs }, now(), random));
      const left = plan.durationMs - now();
      if (left <= 0) break;
      await sleep(Math.min(plan.thinkTimeMs, left));
    }
  };

  const ticker = onProgress
    ? setInterval(() => {
        const elapsed = now();
        const recent = samples.filter((s) => s.at >= elapsed - 5000);
        const window = Math.min(5000, elapsed) / 1000;
        const latency = percentiles(recent.map((s) => s.latencyMs));
        onProgress({
          elapsedMs: elapsed,
          users: active(Math.min(elapsed, plan.durationMs)),
          requests: samples.length,
          rps: window > 0 ? recent.length / window : 0,
          errorRate: samples.length ? samples.filter((s) => !s.ok).length / samples.length : 0,
          p50: latency.p50,
          p95: latency.p95,
        });
      }, 1000)
    : null;
  try {
    await Promise.all(Array.from({ length: plan.users }, (_, i) => user(i)));
  } finally {
    if (ticker) clearInterval(ticker);
  }
  samples.sort((a, b) => a.at - b.at);
  return { samples, startedAt, usersAt: active };
}
