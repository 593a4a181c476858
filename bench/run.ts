// `npm run bench`: the mock upstream and the load generator on core 1, the proxy under test (and the
// floor proxies) on core 0, all on 127.0.0.1. For chat, streamed chat and embeddings it measures max
// throughput and latency at fixed rates directly against the mock, through the minimal floor proxy and
// through llm-proxy, in interleaved repetitions, and reports medians, differences and the targets'
// verdicts. For chat it also measures the bare Fastify floor and the feature floor beside them.
// Options: --quick (one short repetition), --reps N, --runner dist|tsx, --no-features, --ref <commit>
// (benchmark a committed version instead of the working tree), --no-wait (do not wait for other
// processes on the machine to go quiet before each run), --cpu-prof (profile llm-proxy during the run
// and print where its time went).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { fmtRate, LoadWorker, measure, NOISY_CORES, rotate } from './load-driver.js';
import type { LoadJob } from './load-worker.js';
import { LEAD_IN_SECONDS, leadIn, warmTarget } from './warm-up.js';
import { firstJsonLine, RssSampler, processTree, spawnPinned, stop, type Pinned } from './processes.js';
import { formatSummary, summariseProfile } from './profile-summary.js';
import { eventLoopDelay, LedgerProbe } from './proxy-probes.js';
import { eventLoopRows, hotPathVerdicts, ledgerRows } from './report-hot-path.js';
import {
  endpointRows,
  endpointTitle,
  featureRows,
  markdownTable,
  plainTable,
  verdictRows,
  verdicts,
  type Endpoint,
  type FeatureScenario,
  type Sample,
  type Scenario,
} from './report.js';
import { BODIES, build, CACHE_BODY, cacheHits, cleanRedis, CLIENT_KEY, exportRef, log, PATHS, PROXY_CORE, ROOT, Targets, TSX, type Target } from './targets.js';

const LOAD_CORE = 1;
const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    reps: { type: 'string' },
    runner: { type: 'string', default: 'dist' },
    'no-features': { type: 'boolean', default: false },
    ref: { type: 'string' },
    'no-wait': { type: 'boolean', default: false },
    'cpu-prof': { type: 'boolean', default: false },
  },
});

const quick = args.quick === true;
const REPS = Number(args.reps ?? (quick ? 1 : 3));
const RATES = [100, 500, 2000];
/** Seconds per scenario: the low rate runs longer so its p99 rests on enough samples. */
const SECONDS = quick
  ? { max: 2, rate: { 100: 3, 500: 2, 2000: 2 } as Record<number, number> }
  : { max: 4, rate: { 100: 6, 500: 4, 2000: 3 } as Record<number, number> };
const MAX_CONNECTIONS = 50;
const runner = args.runner === 'tsx' ? 'tsx' : 'dist';
const waitQuiet = args['no-wait'] !== true;

const children: Pinned[] = [];
let workDir = '';
/** Where the proxy under test comes from: the working tree, or a commit exported by --ref. */
let source = ROOT;
const profileDir = path.join(ROOT, 'bench/results', `profile-${new Date().toISOString().replace(/[:.]/g, '-')}`);

function jobFor(target: Target, endpoint: Endpoint, scenario: Scenario): LoadJob {
  const common = { url: target.url, path: PATHS[endpoint], body: target.bodies?.[endpoint] ?? BODIES[endpoint], headers: { authorization: `Bearer ${target.key ?? CLIENT_KEY}` } };
  if (scenario === 'max') return { kind: 'max', ...common, durationMs: SECONDS.max * 1000, connections: MAX_CONNECTIONS };
  const rate = Number(scenario.slice(5));
  return { kind: 'rate', ...common, rate, durationMs: SECONDS.rate[rate] * 1000 };
}

async function main(): Promise<void> {
  if (cpus().length < 2) throw new Error('the benchmark needs 2 cores (proxy on core 0, mock and load on core 1)');
  const started = new Date();
  const load0 = loadavg();
  workDir = mkdtempSync(path.join(tmpdir(), 'llm-proxy-bench-'));
  // The orchestrator (all its threads) stays off the proxy's core too.
  execFileSync('taskset', ['-a', '-p', '-c', String(LOAD_CORE), String(process.pid)], { stdio: 'ignore' });
  // Taken before building: commits made while the run goes on are not what was measured.
  const revision = execFileSync('git', ['rev-parse', '--short', args.ref ?? 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
  const dirty = !args.ref && execFileSync('git', ['status', '--porcelain', '--untracked-files=no', '--', 'src'], { cwd: ROOT, encoding: 'utf8' }).trim() !== '';
  if (args.ref) source = exportRef(ROOT, workDir, args.ref);
  if (runner === 'dist') build(source);
  const start = new Targets({ workDir, source, runner, profileDir: args['cpu-prof'] ? profileDir : null, children });

  const mock = spawnPinned('mock', LOAD_CORE, ['--import', TSX, path.join(ROOT, 'bench/mock-upstream.ts')]);
  children.push(mock);
  const mockUrl = `http://127.0.0.1:${(await firstJsonLine<{ port: number }>(mock)).port}`;
  const { proc: minimal, url: minimalUrl } = await start.startFloor('minimal-proxy', 'minimal', mockUrl);
  const proxy = await start.startLlmProxy('llm-proxy', mockUrl);
  const targets: Target[] = [{ name: 'direct', url: mockUrl }, { name: 'minimal', url: minimalUrl, proc: minimal }, proxy];

  const features: FeatureScenario[] = [];
  const featureTargets: Target[] = [];
  const notes: string[] = [];
  // The framework's own floor: how much of llm-proxy's cost is Fastify's, and how much its features'.
  const fastifyFloor = await start.startFloor('fastify-floor', 'fastify-floor', mockUrl);
  featureTargets.push({ name: 'fastify-floor', url: fastifyFloor.url, proc: fastifyFloor.proc });
  features.push({ target: 'fastify-floor', baseline: 'minimal', label: 'bare Fastify + undici pass-through (no features)', rate: 500, reference: true });
  // The required per-request features at their cheapest on the same framework (bench/feature-floor.ts).
  const featureFloor = await start.startFloor('feature-floor', 'feature-floor', mockUrl);
  featureTargets.push({ name: 'feature-floor', url: featureFloor.url, proc: featureFloor.proc });
  features.push({ target: 'feature-floor', baseline: 'minimal', label: "Fastify + the issue's per-request features, leanest form", rate: 500, reference: true });
  const redisPrefix = `llm-proxy-bench-${process.pid}-${Date.now()}:`;
  if (!args['no-features']) {
    if (existsSync(path.join(source, 'src/cache/response-cache.ts'))) {
      const cached = await start.startLlmProxy('llm-proxy+cache', mockUrl, { caching: { enabled: true } });
      cached.bodies = { chat: CACHE_BODY };
      const hit = await cacheHits(cached);
      if (hit) {
        featureTargets.push(cached);
        features.push({ target: cached.name, baseline: 'llm-proxy', label: 'cache hit (temperature 0)', rate: 500 });
        notes.push(`cache: hits confirmed (${hit})`);
      } else {
        notes.push('cache: no hit observed on a repeated temperature-0 request; scenario left out');
        await stop(cached.proc!);
      }
    } else notes.push('cache: src/cache/response-cache.ts does not exist yet; scenario left out');
    if (existsSync(path.join(source, 'src/server/rate-limit.ts'))) {
      const limited = await start.startLlmProxy('llm-proxy+redis-limit', mockUrl, {
        redis: { url: REDIS_URL, key_prefix: redisPrefix },
        // Limits far above the offered load: every request is counted in Redis, none is refused.
        rate_limit: { enabled: true, requests_per_window: 1_000_000_000, burst_limit: 1_000_000_000, window_seconds: 60, routes: { [PATHS.chat]: '1000000000/minute' } },
      });
      featureTargets.push(limited);
      features.push({ target: limited.name, baseline: 'llm-proxy', label: 'Redis rate limiter', rate: 500 });
    } else notes.push('rate limiter: src/server/rate-limit.ts does not exist yet; scenario left out');
    if (existsSync(path.join(source, 'src/governance/budgets/budgets.ts'))) {
      const governed = await start.virtualKeyTarget(mockUrl);
      featureTargets.push(governed);
      features.push({ target: governed.name, baseline: 'llm-proxy', label: 'virtual key with a budget and an rpm limit', rate: 500 });
    } else notes.push('virtual keys: src/governance/budgets/budgets.ts does not exist yet; scenario left out');
    if (existsSync(path.join(source, 'src/guardrails/guardrails.ts'))) {
      // The built-in checks on every request, both phases: what the issue's "typical chat request" costs.
      const guarded = await start.startLlmProxy('llm-proxy+guardrails', mockUrl, {
        guardrails: { definitions: [{ name: 'pii', type: 'pii', action: 'mask' }, { name: 'secrets', type: 'secrets', action: 'block' }], default: ['pii', 'secrets'] },
      });
      featureTargets.push(guarded);
      features.push({ target: guarded.name, baseline: 'llm-proxy', label: 'guardrails: pii (mask) + secrets (block), input and output', rate: 500 });
    } else notes.push('guardrails: src/guardrails/guardrails.ts does not exist yet; scenario left out');
  }
  for (const note of notes) log(note);

  const loadProc = spawnPinned('load', LOAD_CORE, ['--import', TSX, path.join(ROOT, 'bench/load-worker.ts')]);
  children.push(loadProc);
  const worker = new LoadWorker(loadProc);
  const proxies = [proxy, ...featureTargets];
  const rss = new RssSampler([minimal.pid, ...proxies.map((p) => p.proc!.pid)]);


  const endpoints: Endpoint[] = ['chat', 'stream', 'embeddings'];
  const scenarios: Scenario[] = ['max', ...RATES.map((r) => `rate:${r}` as Scenario)];
  const featureScenarios: Scenario[] = ['max', 'rate:500'];
  const runs = endpoints.length * scenarios.length * targets.length + featureTargets.length * featureScenarios.length;
  const perRep = endpoints.length * (SECONDS.max + Object.values(SECONDS.rate).reduce((a, b) => a + b, 0)) * targets.length + featureTargets.length * (SECONDS.max + SECONDS.rate[500]) + runs * (2 * LEAD_IN_SECONDS + 1); // lead-ins: full-load steps, or 2 s at the rate after them
  log(`runner: ${runner}; ${REPS} repetition(s), about ${Math.ceil((perRep * REPS) / 60)} min of load; mock ${mockUrl}, minimal ${minimalUrl}, llm-proxy ${proxy.url}`);

  const mine = processTree(process.pid);
  const ledgers = new Map<string, LedgerProbe>();
  const probeFor = (target: Target) => (target.dbFile ? (ledgers.get(target.name) ?? ledgers.set(target.name, new LedgerProbe(target.dbFile)).get(target.name)!) : null);
  log('warm-up: each target at full load in 1 s steps until two steps in a row gain less than 3 %');
  for (const target of [...targets, ...featureTargets]) {
    const warmed = featureTargets.includes(target) ? (['chat'] as Endpoint[]) : endpoints;
    await warmTarget(worker, target.name, new Map(warmed.map((endpoint) => [endpoint, jobFor(target, endpoint, 'max')])), probeFor(target));
  }
  rss.phase();

  const samples: Sample[] = [];
  const rssIdle = new Map(rss.overallMax);
  for (let rep = 0; rep < REPS; rep++) {
    log(`repetition ${rep + 1}/${REPS}`);
    let turn = rep;
    for (const endpoint of endpoints) {
      for (const scenario of scenarios) {
        const extra = endpoint === 'chat' && featureScenarios.includes(scenario) ? featureTargets : [];
        for (const target of rotate([...targets, ...extra], turn++)) {
          const job = jobFor(target, endpoint, scenario);
          const probe = probeFor(target);
          await leadIn(worker, job, probe, MAX_CONNECTIONS); // the same load, unmeasured, first (bench/warm-up.ts)
          const rowsBefore = probe?.count() ?? null;
          const loop = scenario === 'rate:500' && target.dbFile !== undefined;
          if (loop) await eventLoopDelay(target.url, CLIENT_KEY); // a scrape resets the histogram
          rss.phase();
          const { sentAllTries, ...sample } = await measure(worker, job, mine, target.proc?.pid, waitQuiet);
          const rssBytes = target.proc ? (rss.phase().get(target.proc.pid) ?? null) : null;
          const eventLoop = loop ? await eventLoopDelay(target.url, CLIENT_KEY) : null;
          const ledger = probe && rowsBefore !== null ? await probe.settle(rowsBefore, sentAllTries) : null;
          samples.push({ rep, endpoint, target: target.name, ...sample, scenario, rssBytes, eventLoop, ledger });
          const noisy = sample.foreignCores >= NOISY_CORES ? ` [others used ${sample.foreignCores.toFixed(2)} cores]` : '';
          if (sample.max) {
            const r = sample.max;
            log(`  ${endpoint} ${scenario} ${target.name}: ${Math.round(r.rps)} req/s${r.non2xx + r.errors ? ` (${r.non2xx} non-2xx, ${r.errors} errors)` : ''}${noisy}`);
          } else log(`  ${endpoint} ${scenario} ${target.name}: ${fmtRate(sample.rate!)}${eventLoop ? `, loop p99 ${eventLoop.p99Ms.toFixed(2)} ms` : ''}${noisy}`);
          if (ledger && ledger.rows !== ledger.sent && sample.rate) log(`    ledger: ${ledger.rows} rows for ${ledger.sent} requests sent`);
        }
      }
    }
  }
  rss.stop();
  for (const probe of ledgers.values()) probe.close();

  const rssMax = Object.fromEntries([minimal, ...proxies.map((p) => p.proc!)].map((p) => [p.name, rss.overallMax.get(p.pid) ?? null]));
  const rssStart = Object.fromEntries([minimal, ...proxies.map((p) => p.proc!)].map((p) => [p.name, rssIdle.get(p.pid) ?? null]));
  /** Closed-loop load (autocannon, fixed connections): the proxy's footprint at full speed without a backlog. */
  const rssAtMax = Object.fromEntries(
    [minimal, ...proxies.map((p) => p.proc!)].map((p) => [p.name, Math.max(0, ...samples.filter((x) => x.target === p.name && x.scenario === 'max').map((x) => x.rssBytes ?? 0)) || null]),
  );
  const verdictList = verdicts(samples, RATES, rssAtMax['llm-proxy'] ?? undefined, features);
  const ledgerTargets = proxies.filter((p) => p.dbFile).map((p) => p.name);
  const rssUnderLoad = Math.max(0, ...samples.filter((x) => x.target === 'llm-proxy' && (x.scenario === 'max' || x.scenario === 'rate:500')).map((x) => x.rssBytes ?? 0)) || undefined;
  const virtualKey = featureTargets.find((t) => t.name.endsWith('virtual-key'))?.name ?? null;
  verdictList.push(...hotPathVerdicts(samples, rssUnderLoad, virtualKey, ledgerTargets));

  const plain: string[] = [];
  const md: string[] = [];
  for (const endpoint of endpoints) {
    const { header, rows } = endpointRows(samples, endpoint, RATES);
    plain.push(`\n${endpointTitle(endpoint)}\n${plainTable(header, rows)}`);
    md.push(`**${endpointTitle(endpoint)}**\n\n${markdownTable(header, rows)}`);
  }
  if (features.length > 0) {
    const { header, rows } = featureRows(samples, features);
    plain.push(`\nfeatures (chat)\n${plainTable(header, rows)}`);
    md.push(`**Features (chat)**\n\n${markdownTable(header, rows)}`);
  }
  const mb = (v: number | null) => (v === null ? '–' : `${(v / 1024 / 1024).toFixed(1)} MB`);
  const rssRows = Object.keys(rssMax).map((name) => [name, mb(rssStart[name]), mb(rssAtMax[name]), mb(rssMax[name])]);
  const rssHeader = ['process', 'after warm-up', `max at max throughput (${MAX_CONNECTIONS} connections)`, 'max over the whole run (overload included)'];
  plain.push(`\nmemory (RSS)\n${plainTable(rssHeader, rssRows)}`);
  md.push(`**Memory (RSS)**\n\n${markdownTable(rssHeader, rssRows)}`);
  for (const [title, table] of [['event-loop delay', eventLoopRows(samples, ledgerTargets)], ['ledger rows', ledgerRows(samples, ledgerTargets)]] as const) {
    plain.push(`\n${title}\n${plainTable(table.header, table.rows)}`);
    md.push(`**${title[0].toUpperCase()}${title.slice(1)}**\n\n${markdownTable(table.header, table.rows)}`);
  }
  const v = verdictRows(verdictList);
  plain.push(`\ntargets\n${plainTable(v.header, v.rows)}`);
  md.push(`**Targets**\n\n${markdownTable(v.header, v.rows)}`);

  const finished = new Date();
  const load1 = loadavg();
  const foreign = samples.map((x) => x.foreignCores);
  const noisyRuns = samples.filter((x) => x.foreignCores >= NOISY_CORES).length;
  const noise = `other processes used ${(foreign.reduce((a, b) => a + b, 0) / Math.max(1, foreign.length)).toFixed(2)} cores on average during the runs (max ${Math.max(0, ...foreign).toFixed(2)}; ${noisyRuns} of ${samples.length} runs above ${NOISY_CORES}, ${samples.reduce((n, x) => n + x.tries - 1, 0)} repeated)`;
  const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, Node ${process.version}; ${noise}`;
  const command = `npm run bench${process.argv.slice(2).length ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`;
  const legend = `Medians of ${REPS} interleaved repetition(s); latencies in ms, measured open-loop at the fixed rate (time to first byte for streams, full response otherwise); max throughput with autocannon, ${MAX_CONNECTIONS} connections, ${SECONDS.max} s per run. llm-proxy ${args.ref ? `at ${args.ref} (${revision})` : `working tree at ${revision}${dirty ? ' with uncommitted changes in src/' : ''}`} runs from ${runner === 'dist' ? 'dist/ (tsc build)' : 'src/ through tsx'}, logging at info to stdout (/dev/null), one client API key. ${machine}.`;
  process.stdout.write(`\n${legend}\n${plain.join('\n')}\n`);
  for (const note of notes) process.stdout.write(`note: ${note}\n`);

  const resultsDir = path.join(ROOT, 'bench/results');
  mkdirSync(resultsDir, { recursive: true });
  const stamp = started.toISOString().replace(/[:.]/g, '-');
  const json = {
    command,
    started: started.toISOString(),
    finished: finished.toISOString(),
    machine: { cpus: cpus().map((c) => c.model), node: process.version, loadavgBefore: load0, loadavgAfter: load1, noise },
    revision,
    ref: args.ref ?? null,
    options: { reps: REPS, quick, runner, rates: RATES, seconds: SECONDS, maxConnections: MAX_CONNECTIONS, proxyCore: PROXY_CORE, loadCore: LOAD_CORE },
    targets: [...targets, ...featureTargets].map((t) => t.name),
    features,
    notes,
    rss: { afterWarmup: rssStart, atMaxThroughput: rssAtMax, max: rssMax },
    verdicts: verdictList,
    samples,
  };
  writeFileSync(path.join(resultsDir, `bench-${stamp}.json`), `${JSON.stringify(json, null, 2)}\n`);
  writeFileSync(path.join(resultsDir, `bench-${stamp}.md`), `Command: \`${command}\`\n\n${legend}\n\n${md.join('\n\n')}\n`);
  log(`results: bench/results/bench-${stamp}.json and .md`);

  if (featureTargets.some((t) => t.name.includes('redis'))) await cleanRedis(REDIS_URL, redisPrefix);
}

async function shutdown(): Promise<void> {
  await Promise.all(children.map((c) => stop(c)));
  if (workDir) rmSync(workDir, { recursive: true, force: true });
  if (args['cpu-prof'] && existsSync(profileDir)) {
    for (const file of readdirSync(profileDir).filter((f) => f.endsWith('.cpuprofile'))) {
      const full = path.join(profileDir, file);
      process.stdout.write(`\nllm-proxy ${path.relative(ROOT, full)} (whole run, warm-up and start-up included)\n${formatSummary(summariseProfile(full, 25))}\n`);
    }
  }
}

process.on('SIGINT', () => void shutdown().then(() => process.exit(130)));
main()
  .then(shutdown)
  .catch(async (error: unknown) => {
    process.stderr.write(`bench failed: ${(error as Error).stack ?? String(error)}\n`);
    await shutdown();
    process.exit(1);
  });
