// The load generator process. run.ts starts it once, pinned to core 1 beside the mock, and sends it
// jobs as JSON lines on stdin; each answer is one JSON line on stdout. One long-lived process keeps
// the client's own code warm across scenarios.
//   {"id":1,"kind":"max",...}  → autocannon, as many requests as `connections` allow, for `durationMs`
//   {"id":2,"kind":"rate",...} → rate-client.ts, open-loop at `rate` req/s, TTFB and total latency
import autocannon from 'autocannon';
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';
import { runAtRate, type RateJob, type RateResult } from './rate-client.js';

export interface MaxJob {
  url: string;
  path: string;
  body: string;
  headers: Record<string, string>;
  durationMs: number;
  connections: number;
}

export interface MaxResult {
  /** Completed 2xx responses per second over the run. */
  rps: number;
  requests: number;
  /** Requests sent, answered or not (in flight at the end included). */
  sent: number;
  non2xx: number;
  errors: number;
  /** autocannon's latency percentiles (1 ms resolution), for context only. */
  latencyP50: number;
  latencyP99: number;
}

export type LoadJob = ({ kind: 'max' } & MaxJob) | ({ kind: 'rate' } & RateJob);
export type LoadAnswer = { id: number; ok: true; result: MaxResult | RateResult } | { id: number; ok: false; error: string };

export async function runMax(job: MaxJob): Promise<MaxResult> {
  const result = await autocannon({
    url: job.url + job.path,
    method: 'POST',
    headers: { 'content-type': 'application/json', ...job.headers },
    body: job.body,
    connections: job.connections,
    pipelining: 1,
    duration: job.durationMs / 1000,
    timeout: 10,
  });
  const good = result['2xx'];
  return {
    rps: good / result.duration,
    requests: good,
    sent: result.requests.sent,
    non2xx: result.non2xx,
    errors: result.errors,
    latencyP50: result.latency.p50,
    latencyP99: result.latency.p99,
  };
}

function main(): void {
  const lines = createInterface({ input: process.stdin });
  let queue = Promise.resolve();
  lines.on('line', (line) => {
    if (!line.trim()) return;
    const { id, ...job } = JSON.parse(line) as LoadJob & { id: number };
    queue = queue.then(async () => {
      let answer: LoadAnswer;
      try {
        const result = job.kind === 'max' ? await runMax(job) : await runAtRate(job);
        answer = { id, ok: true, result };
      } catch (error) {
        answer = { id, ok: false, error: (error as Error).stack ?? String(error) };
      }
      process.stdout.write(`${JSON.stringify(answer)}\n`);
    });
  });
  lines.on('close', () => void queue.then(() => process.exit(0)));
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) main();
