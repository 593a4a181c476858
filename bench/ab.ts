// Same-run A/B: llm-proxy at a committed version (A, `--ref`, default HEAD) against the working tree
// (B), both with the shipped defaults (governance, SQLite ledger, console, a config key), both pinned to
// the proxy core, measured in alternation (A B B A ...) so that a machine shared with other work weighs
// on both sides alike. Reports each side's medians and B − A: max req/s, CPU per request, p50/p99 at
// the fixed rate, event-loop delay p99 and RSS, and checks every fixed-rate request has its ledger row.
// With --only <path,...>, B is A with just those files taken from the working tree: a change measured
// apart from whatever else is uncommitted in a shared checkout.
//   npx tsx bench/ab.ts [--ref <commit>] [--only src/a.ts,src/b.ts] [--reps N] [--rate 500] [--seconds 3] [--endpoints chat,stream,embeddings]
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { LoadWorker, measure } from './load-driver.js';
import { warmUp } from './warm-up.js';
import type { LoadJob } from './load-worker.js';
import { processTree, rssBytes, spawnPinned, stop, firstJsonLine, type Pinned } from './processes.js';
import { eventLoopDelay, LedgerProbe } from './proxy-probes.js';
import type { Endpoint } from './report.js';
import { BODIES, build, CLIENT_KEY, exportRef, log, PATHS, ROOT, Targets, TSX, type Target } from './targets.js';

const LOAD_CORE = 1;
const { values: args } = parseArgs({
  options: {
    ref: { type: 'string', default: 'HEAD' },
    reps: { type: 'string', default: '4' },
    rate: { type: 'string', default: '500' },
    seconds: { type: 'string', default: '3' },
    endpoints: { type: 'string', default: 'chat,stream,embeddings' },
    only: { type: 'string' },
    'no-wait': { type: 'boolean', default: false },
  },
});
const REPS = Number(args.reps);
const RATE = Number(args.rate);
const SECONDS = Number(args.seconds);
const ENDPOINTS = args.endpoints!.split(',') as Endpoint[];

interface Row {
  side: 'A' | 'B';
  endpoint: Endpoint;
  scenario: 'max' | 'rate';
  value: Record<string, number | null>;
}

const median = (xs: number[]): number | null => {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (s.length === 0) return null;
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const children: Pinned[] = [];
let workDir = '';

function job(target: Target, endpoint: Endpoint, kind: 'max' | 'rate'): LoadJob {
  const common = { url: target.url, path: PATHS[endpoint], body: BODIES[endpoint], headers: { authorization: `Bearer ${CLIENT_KEY}` } };
  return kind === 'max' ? { kind, ...common, durationMs: SECONDS * 1000, connections: 50 } : { kind, ...common, rate: RATE, durationMs: SECONDS * 1000 };
}

async function main(): Promise<void> {
  workDir = mkdtempSync(path.join(tmpdir(), 'llm-proxy-ab-'));
  execFileSync('taskset', ['-a', '-p', '-c', String(LOAD_CORE), String(process.pid)], { stdio: 'ignore' });
  const revision = execFileSync('git', ['rev-parse', '--short', args.ref!], { cwd: ROOT, encoding: 'utf8' }).trim();
  const aSource = exportRef(ROOT, workDir, args.ref!);
  build(aSource);
  let bSource = ROOT;
  if (args.only) {
    bSource = path.join(workDir, 'b');
    mkdirSync(bSource);
    cpSync(aSource, bSource, { recursive: true, filter: (from) => !from.includes('node_modules') });
    symlinkSync(path.join(ROOT, 'node_modules'), path.join(bSource, 'node_modules'));
    for (const file of args.only.split(',')) cpSync(path.join(ROOT, file), path.join(bSource, file));
  }
  build(bSource);
  const common = { workDir, runner: 'dist' as const, profileDir: null, children };
  const mock = spawnPinned('mock', LOAD_CORE, ['--import', TSX, path.join(ROOT, 'bench/mock-upstream.ts')]);
  children.push(mock);
  const mockUrl = `http://127.0.0.1:${(await firstJsonLine<{ port: number }>(mock)).port}`;
  const sides: Array<{ side: 'A' | 'B'; target: Target }> = [
    { side: 'A', target: await new Targets({ ...common, source: aSource }).startLlmProxy('llm-proxy-a', mockUrl) },
    { side: 'B', target: await new Targets({ ...common, source: bSource }).startLlmProxy('llm-proxy-b', mockUrl) },
  ];
  const load = spawnPinned('load', LOAD_CORE, ['--import', TSX, path.join(ROOT, 'bench/load-worker.ts')]);
  children.push(load);
  const worker = new LoadWorker(load);
  const mine = processTree(process.pid);
  log(`A = ${args.ref} (${revision}), B = ${args.only ? `A + ${args.only}` : 'working tree'}; ${REPS} repetitions, ${SECONDS} s per run, ${RATE} req/s`);
  for (const { side, target } of sides) {
    for (const endpoint of ENDPOINTS) {
      const { steps } = await warmUp(worker, job(target, endpoint, 'max'));
      log(`  warm-up ${side} ${endpoint}: ${steps.map((rps) => Math.round(rps)).join(' → ')} req/s`);
    }
  }

  const rows: Row[] = [];
  const probes = new Map(sides.map(({ side, target }) => [side, new LedgerProbe(target.dbFile!)]));
  const missing = { A: 0, B: 0 };
  for (let rep = 0; rep < REPS; rep++) {
    for (const endpoint of ENDPOINTS) {
      for (const kind of ['max', 'rate'] as const) {
        const order = rep % 2 === 0 ? sides : [...sides].reverse();
        for (const { side, target } of order) {
          const probe = probes.get(side)!;
          const before = probe.count();
          if (kind === 'rate') await eventLoopDelay(target.url, CLIENT_KEY);
          const m = await measure(worker, job(target, endpoint, kind), mine, target.proc!.pid, args['no-wait'] !== true);
          const loop = kind === 'rate' ? await eventLoopDelay(target.url, CLIENT_KEY) : null;
          const rss = rssBytes(target.proc!.pid);
          if (kind === 'rate' && before !== null) {
            const counted = await probe.settle(before, m.sentAllTries);
            if (counted) missing[side] += Math.max(0, counted.sent - counted.rows);
          }
          const value: Record<string, number | null> =
            kind === 'max'
              ? { rps: m.max!.rps, rssMb: rss === null ? null : rss / 1048576 }
              : { p50: m.rate!.total.p50, p99: m.rate!.total.p99, ttfb99: m.rate!.ttfb.p99, cpuUs: m.cpuUsPerRequest, loop99: loop?.p99Ms ?? null, others: m.foreignCores };
          rows.push({ side, endpoint, scenario: kind, value });
          log(`  ${endpoint} ${kind} ${side}: ${Object.entries(value).map(([k, v]) => `${k} ${v === null ? '–' : v.toFixed(2)}`).join(', ')}`);
        }
      }
    }
  }
  for (const probe of probes.values()) probe.close();
  const dropped = await Promise.all(sides.map(({ target }) => droppedRows(target.url)));

  process.stdout.write(`\nA = ${args.ref} (${revision}), B = ${args.only ? `A + ${args.only}` : 'working tree'}. Medians of ${REPS} alternated repetitions, ${SECONDS} s per run.\n`);
  for (const endpoint of ENDPOINTS) {
    for (const kind of ['max', 'rate'] as const) {
      const pick = (side: 'A' | 'B') => rows.filter((r) => r.side === side && r.endpoint === endpoint && r.scenario === kind);
      const keys = Object.keys(pick('A')[0]?.value ?? {});
      const cells = keys.map((k) => {
        const a = median(pick('A').map((r) => r.value[k] ?? NaN));
        const b = median(pick('B').map((r) => r.value[k] ?? NaN));
        const fmt = (v: number | null) => (v === null ? '–' : v >= 100 ? v.toFixed(0) : v.toFixed(2));
        return `${k} ${fmt(a)} → ${fmt(b)}`;
      });
      process.stdout.write(`${endpoint} ${kind === 'max' ? 'max' : `@${RATE}/s`}: ${cells.join('; ')}\n`);
    }
  }
  process.stdout.write(`ledger rows missing after fixed-rate runs: A ${missing.A}, B ${missing.B}; dropped by the writer (whole run, max runs included): A ${dropped[0]}, B ${dropped[1]}\n`);
}

/** The writer's own count of rows it dropped (queue full, writes refused), from its Prometheus counter. */
async function droppedRows(url: string): Promise<number | null> {
  const text = await (await fetch(`${url}/metrics/prometheus`, { headers: { authorization: `Bearer ${CLIENT_KEY}` } })).text();
  const m = /_ledger_rows_total\{result="dropped"\} (\d+)/.exec(text);
  return m ? Number(m[1]) : null;
}

async function shutdown(): Promise<void> {
  await Promise.all(children.map((c) => stop(c)));
  if (workDir) rmSync(workDir, { recursive: true, force: true });
}

mkdirSync(path.join(ROOT, 'bench/results'), { recursive: true });
process.on('SIGINT', () => void shutdown().then(() => process.exit(130)));
main()
  .then(shutdown)
  .catch(async (error: unknown) => {
    process.stderr.write(`ab failed: ${(error as Error).stack ?? String(error)}\n`);
    await shutdown();
    process.exit(1);
  });
