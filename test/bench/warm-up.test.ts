// The bench's lead-in before a measured run: a run at full load always follows steps at full load until
// the target stops getting faster; a run at a fixed rate follows 2 s at that rate, and before it the
// same full-load steps when the target has been idle long enough for V8's memory reducer to have run.
// A real load worker process drives a real mock upstream; the mock counts what it was sent.
import { spawn } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LoadWorker } from '../../bench/load-driver.js';
import type { LoadJob } from '../../bench/load-worker.js';
import { createMockUpstream } from '../../bench/mock-upstream.js';
import { LEAD_IN_SECONDS, leadIn } from '../../bench/warm-up.js';

const ROOT = path.resolve(import.meta.dirname, '../..');

describe('bench lead-in', () => {
  let mock: Server;
  let url: string;
  let worker: LoadWorker;
  let received = 0;

  beforeAll(async () => {
    mock = createMockUpstream();
    mock.on('request', () => received++);
    await new Promise<void>((resolve) => mock.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(mock.address() as AddressInfo).port}`;
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'bench/load-worker.ts')], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
    worker = new LoadWorker({ name: 'load', child, pid: child.pid!, stderr: [] });
  });

  afterAll(async () => {
    worker.proc.child.kill();
    await new Promise((resolve) => mock.close(resolve));
  });

  const rateJob = (rate: number): LoadJob => ({
    kind: 'rate',
    url,
    path: '/v1/chat/completions',
    body: JSON.stringify({ model: 'bench-model', messages: [{ role: 'user', content: 'hi' }] }),
    headers: {},
    rate,
    durationMs: 500,
  });
  /** The lead-in's full-load steps, and the requests the mock received during it. */
  const counted = async (run: () => Promise<number[]>) => {
    const before = received;
    const steps = await run();
    return { steps, requests: received - before };
  };

  it('warms a target never loaded at full load before a fixed-rate run, then only leads in at the rate while it stays busy', async () => {
    const rate = 50;
    // Never loaded: full-load steps (at least three 1-second steps, far above 50/s), then 2 s at 50/s.
    const cold = await counted(() => leadIn(worker, rateJob(rate), null, 4));
    // Loaded moments ago: 2 s at 50/s only.
    const warm = await counted(() => leadIn(worker, rateJob(rate), null, 4));
    expect(cold.steps.length).toBeGreaterThanOrEqual(3);
    expect(warm.steps).toEqual([]);
    expect(warm.requests).toBeGreaterThanOrEqual(rate * LEAD_IN_SECONDS * 0.9);
    expect(warm.requests).toBeLessThanOrEqual(rate * LEAD_IN_SECONDS * 1.1);
    expect(cold.requests).toBeGreaterThan(warm.requests * 3);
  }, 60_000);

  it('warms again at full load once the target has been idle for longer than the threshold', async () => {
    const job = rateJob(40);
    await leadIn(worker, job, null, 4, 300);
    // The measured run (500 ms) would have ended by now; then 400 ms of idle, over the 300 ms threshold.
    await new Promise((resolve) => setTimeout(resolve, 900));
    const again = await counted(() => leadIn(worker, job, null, 4, 300));
    expect(again.steps.length).toBeGreaterThanOrEqual(3);
    expect(again.requests).toBeGreaterThan(40 * LEAD_IN_SECONDS * 3);
  }, 60_000);

  it('leads a full-load run in with full-load steps, however recently the target was loaded', async () => {
    const job: LoadJob = { kind: 'max', url, path: '/v1/embeddings', body: JSON.stringify({ model: 'bench-embedding', input: 'hi' }), headers: {}, durationMs: 500, connections: 4 };
    await leadIn(worker, rateJob(20), null, 4);
    const lead = await counted(() => leadIn(worker, job, null, 4));
    // 1-second steps until two in a row gain less than 3 % (at least three), not a fixed 2 s.
    expect(lead.steps.length).toBeGreaterThanOrEqual(3);
    expect(lead.requests).toBeGreaterThan(20 * LEAD_IN_SECONDS * 3);
  }, 60_000);
});
