// `npm run loadtest -- --tier light [--url URL] [--key KEY] [--duration 30s] [--users N]
// [--ramp-up 10s] [--expected-rps N] [--output-dir DIR] [--max-error-rate 0.01] [--config FILE]`
// Runs a tier of `load_testing` against a running llm-proxy (or any OpenAI-compatible URL), shows a
// live progress line, prints a summary and writes the reports. Exit 0: the expected rate was
// sustained within the error budget; 1: it was not (the reasons are printed); 2: bad configuration.
import 'dotenv/config';
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../config/load.js';
import { makePlan, PlanError } from './plan.js';
import type { LoadReport } from './load-report.js';
import { planInfo, writeReports } from './report.js';
import { runLoad, type Progress } from './runner.js';
import { perSecond, summarise, verdict } from './stats.js';

function fail(message: string): never {
  process.stderr.write(`loadtest: ${message}\n`);
  process.exit(2);
}

const USAGE = `Usage: npm run loadtest -- [options]

Runs a tier of load_testing against a running llm-proxy (or any OpenAI-compatible URL), prints a
summary and writes the reports. Exit 0: the expected rate was sustained within the error budget;
1: it was not; 2: bad arguments or configuration.

Options:
  --tier <name>            tier from load_testing.tiers (default: light)
  --url <url>              the proxy to load (default: http://<server.host>:<server.port>)
  --key <key>              API key to send
  --duration <30s>         override the tier's duration
  --users <n>              override the tier's users
  --ramp-up <10s>          override the tier's ramp-up
  --expected-rps <n>       override the rate the tier must sustain
  --output-dir <dir>       where reports go (default: load_testing.reporting.output_dir)
  --max-error-rate <0.01>  share of failed requests allowed
  --config <file>          the config file (default: PROXY_API_CONFIG_FILE, then ./config.yaml)
  -h, --help               show this help
`;

function options() {
  try {
    return parseArgs({
      options: {
        tier: { type: 'string', default: 'light' },
        url: { type: 'string' },
        key: { type: 'string' },
        duration: { type: 'string' },
        users: { type: 'string' },
        'ramp-up': { type: 'string' },
        'expected-rps': { type: 'string' },
        'output-dir': { type: 'string' },
        'max-error-rate': { type: 'string', default: '0.01' },
        config: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }).values;
  } catch (error) {
    return fail((error as Error).message);
  }
}

function number(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const parsed = Number(value);
  if (value.trim() === '' || !Number.isFinite(parsed)) fail(`--${flag} must be a number, not '${value}'`);
  return parsed;
}

function progressLine(p: Progress): string {
  const s = (p.elapsedMs / 1000).toFixed(0).padStart(4);
  return `[${s}s] users ${String(p.users).padStart(4)} | ${p.requests} requests | ${p.rps.toFixed(1)} req/s | errors ${(p.errorRate * 100).toFixed(1)} % | p50 ${p.p50.toFixed(0)} ms | p95 ${p.p95.toFixed(0)} ms`;
}

async function main(): Promise<void> {
  const args = options();
  if (args.help) {
    process.stdout.write(USAGE);
    return;
  }
  let config;
  try {
    config = loadConfig({ file: args.config }).config;
  } catch (error) {
    if (error instanceof ConfigError) fail(`invalid configuration:\n${error.problems.join('\n')}`);
    throw error;
  }
  const maxErrorRate = number('max-error-rate', args['max-error-rate'])!;
  if (maxErrorRate < 0 || maxErrorRate > 1) fail('--max-error-rate must be between 0 and 1');
  let plan;
  try {
    plan = makePlan(config.load_testing, args.tier!, {
      users: number('users', args.users),
      duration: args.duration,
      rampUp: args['ramp-up'],
      expectedRps: number('expected-rps', args['expected-rps']),
    });
  } catch (error) {
    if (error instanceof PlanError) fail(error.message);
    throw error;
  }
  const host = ['0.0.0.0', '::'].includes(config.server.host) ? '127.0.0.1' : config.server.host;
  const url = (args.url ?? `http://${host}:${config.server.port}`).replace(/\/+$/, '');
  const key = args.key ?? config.auth.api_keys[0] ?? null;
  const reporting = { ...config.load_testing.reporting, ...(args['output-dir'] && { output_dir: args['output-dir'] }) };

  const tty = process.stderr.isTTY;
  process.stderr.write(`loadtest: tier ${plan.tier} against ${url}: ${plan.users} users, ${plan.durationMs / 1000} s (ramp-up ${plan.rampUpMs / 1000} s), expected ${plan.expectedRps} req/s\n`);
  let last = 0;
  const result = await runLoad(plan, { url, key }, (p) => {
    if (tty) process.stderr.write(`\r${progressLine(p)}\u001b[K`);
    else if (p.elapsedMs - last >= 5000) {
      last = p.elapsedMs;
      process.stderr.write(`${progressLine(p)}\n`);
    }
  });
  if (tty) process.stderr.write('\n');

  const summary = summarise(result.samples, plan.durationMs, plan.rampUpMs);
  const outcome = verdict(summary, plan.expectedRps, maxErrorRate);
  const report: LoadReport = {
    target: url,
    started_at: result.startedAt.toISOString(),
    plan: planInfo(plan),
    max_error_rate: maxErrorRate,
    summary,
    verdict: outcome,
    timeseries: perSecond(result.samples, plan.durationMs, result.usersAt),
    requests: result.samples,
  };
  const files = writeReports(report, reporting);

  const rows = [
    ['requests', summary.requests],
    ['errors', `${summary.errors} (${(summary.error_rate * 100).toFixed(2)} %)`],
    ['req/s (all / after ramp-up)', `${summary.rps} / ${summary.steady_rps} (expected ${plan.expectedRps})`],
    ['latency p50 / p95 / p99 ms', `${summary.latency_ms.p50} / ${summary.latency_ms.p95} / ${summary.latency_ms.p99}`],
    ...(summary.ttft_ms ? [['time to first token p50 / p95 ms', `${summary.ttft_ms.p50} / ${summary.ttft_ms.p95}`]] : []),
    ...Object.entries(summary.scenarios).map(([name, s]) => [`  ${name}`, `${s.requests} requests, ${s.errors} errors, p50 ${s.latency_ms.p50} ms, p95 ${s.latency_ms.p95} ms`]),
    ...Object.entries(summary.errors_by_kind).map(([kind, count]) => [`  error ${kind}`, count]),
  ];
  const width = Math.max(...rows.map(([label]) => String(label).length));
  process.stdout.write(`${rows.map(([label, value]) => `${String(label).padEnd(width)}  ${value}`).join('\n')}\n`);
  for (const file of files) process.stdout.write(`report: ${file}\n`);
  if (outcome.passed) process.stdout.write('PASSED\n');
  else process.stdout.write(`FAILED: ${outcome.reasons.join('; ')}\n`);
  process.exit(outcome.passed ? 0 : 1);
}

void main();
