// Turns the repetitions into medians, the comparison tables (plain text for the terminal, markdown for
// the README) and the verdict on each target of the issues.
import type { MaxResult } from './load-worker.js';
import type { EventLoopDelay, LedgerCount } from './proxy-probes.js';
import type { RateResult } from './rate-client.js';

export type Endpoint = 'chat' | 'stream' | 'embeddings';
export type Scenario = 'max' | `rate:${number}`;

export interface Sample {
  rep: number;
  endpoint: Endpoint;
  target: string;
  scenario: Scenario;
  max?: MaxResult;
  rate?: RateResult;
  /** Cores' worth of CPU used by other processes on the machine during the run (noise). */
  foreignCores: number;
  /** Runs made before this one was kept (noisy runs are repeated). */
  tries: number;
  /** CPU time the proxy process used per answered request (µs), from /proc; null for direct. */
  cpuUsPerRequest: number | null;
  /** Highest RSS of the process under test during this run (bytes); null for direct. */
  rssBytes: number | null;
  /** llm-proxy's event-loop delay during the run (500 req/s runs only). */
  eventLoop?: EventLoopDelay | null;
  /** Ledger rows the run added against requests sent (llm-proxy targets with a SQLite ledger). */
  ledger?: LedgerCount | null;
}

export const BASE_TARGETS = ['direct', 'minimal', 'llm-proxy'] as const;

export function median(values: number[]): number {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return NaN;
  const mid = Math.floor(v.length / 2);
  return v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}

export interface Medians {
  rps?: number;
  /** Latency the figure is about: time to first byte for streams, full response otherwise (ms). */
  p50?: number;
  p99?: number;
  /** Full-response latency for streams (ms). */
  totalP50?: number;
  totalP99?: number;
  overheadMs?: number | null;
  cpuUs?: number;
  failures: number;
}

export function medians(samples: Sample[], endpoint: Endpoint, target: string, scenario: Scenario): Medians | null {
  const picked = samples.filter((s) => s.endpoint === endpoint && s.target === target && s.scenario === scenario);
  if (picked.length === 0) return null;
  const failures = picked.reduce((n, s) => n + (s.max ? s.max.non2xx + s.max.errors : 0) + (s.rate ? s.rate.non2xx + s.rate.errors : 0), 0);
  const cpuUs = median(picked.map((s) => s.cpuUsPerRequest ?? NaN));
  if (scenario === 'max') return { rps: median(picked.map((s) => s.max!.rps)), cpuUs, failures };
  const rates = picked.map((s) => s.rate!);
  const primary = endpoint === 'stream' ? rates.map((r) => r.ttfb) : rates.map((r) => r.total);
  const overheads = rates.map((r) => r.proxyOverheadMs).filter((x): x is number => x !== null);
  return {
    p50: median(primary.map((d) => d.p50)),
    p99: median(primary.map((d) => d.p99)),
    totalP50: median(rates.map((r) => r.total.p50)),
    totalP99: median(rates.map((r) => r.total.p99)),
    overheadMs: overheads.length ? median(overheads) : null,
    cpuUs,
    failures,
  };
}

const ENDPOINT_TITLE: Record<Endpoint, string> = {
  chat: 'chat — POST /v1/chat/completions',
  stream: 'streamed chat — POST /v1/chat/completions, stream: true (latency = time to first byte)',
  embeddings: 'embeddings — POST /v1/embeddings',
};

type Cell = string;
export type Row = Cell[];

export const ms = (v: number | undefined) => (v === undefined || !Number.isFinite(v) ? '–' : v.toFixed(3));
export const delta = (a: number | undefined, b: number | undefined) =>
  a === undefined || b === undefined || !Number.isFinite(a) || !Number.isFinite(b) ? '–' : `${a - b >= 0 ? '+' : ''}${(a - b).toFixed(3)}`;
export const int = (v: number | undefined) => (v === undefined || !Number.isFinite(v) ? '–' : Math.round(v).toLocaleString('en-US'));
const pct = (a: number | undefined, b: number | undefined) => (a && b ? `${((a / b) * 100).toFixed(1)}%` : '–');

export function endpointRows(samples: Sample[], endpoint: Endpoint, rates: number[]): { header: Row; rows: Row[] } {
  const header = ['', 'direct', 'minimal', 'llm-proxy', 'minimal − direct', 'llm-proxy − direct', 'llm-proxy − minimal'];
  const rows: Row[] = [];
  const [d, m, l] = BASE_TARGETS.map((t) => medians(samples, endpoint, t, 'max'));
  rows.push(['max throughput (req/s)', int(d?.rps), int(m?.rps), int(l?.rps), pct(m?.rps, d?.rps), pct(l?.rps, d?.rps), pct(l?.rps, m?.rps)]);
  const top = Math.max(...rates);
  const [, mc, lc] = BASE_TARGETS.map((t) => medians(samples, endpoint, t, `rate:${top}`));
  rows.push([`proxy CPU per request @ ${top} req/s (µs)`, '–', int(mc?.cpuUs), int(lc?.cpuUs), '', '', delta(lc?.cpuUs, mc?.cpuUs).replace(/\.\d+$/, '')]);
  const mid = rates.includes(500) ? 500 : rates[0];
  const own = medians(samples, endpoint, 'llm-proxy', `rate:${mid}`)?.overheadMs;
  rows.push([`llm-proxy's own x-proxy-overhead-ms p50 @ ${mid} req/s`, '', '', ms(own ?? undefined), '', '', '']);
  const what = endpoint === 'stream' ? 'first byte' : 'latency';
  for (const rate of rates) {
    const [dr, mr, lr] = BASE_TARGETS.map((t) => medians(samples, endpoint, t, `rate:${rate}`));
    for (const q of ['p50', 'p99'] as const) {
      rows.push([`${what} ${q} @ ${rate} req/s (ms)`, ms(dr?.[q]), ms(mr?.[q]), ms(lr?.[q]), delta(mr?.[q], dr?.[q]), delta(lr?.[q], dr?.[q]), delta(lr?.[q], mr?.[q])]);
    }
  }
  return { header, rows };
}

export function plainTable(header: Row, rows: Row[]): string {
  const all = [header, ...rows];
  const widths = header.map((_, i) => Math.max(...all.map((r) => (r[i] ?? '').length)));
  return all.map((r) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ')).join('\n');
}

export function markdownTable(header: Row, rows: Row[]): string {
  const line = (r: Row) => `| ${r.join(' | ')} |`;
  return [line(header), `|${header.map((_, i) => (i === 0 ? ':--' : '--:')).join('|')}|`, ...rows.map(line)].join('\n');
}

export interface Verdict {
  target: string;
  measured: string;
  pass: boolean | null;
}

export interface FeatureScenario {
  /** Target name, e.g. 'llm-proxy+cache'. */
  target: string;
  /** Target it is compared with. */
  baseline: string;
  label: string;
  rate: number;
  /** Measured for comparison only: no target applies to it. */
  reference?: boolean;
}

export function featureRows(samples: Sample[], features: FeatureScenario[]): { header: Row; rows: Row[] } {
  const header = ['scenario', 'compared with', 'max req/s', 'baseline req/s', 'CPU/req (µs)', 'baseline CPU/req', `p50 (ms)`, 'baseline p50', 'p50 diff', 'p99 (ms)', 'baseline p99', 'p99 diff'];
  const rows = features.map((f) => {
    const max = medians(samples, 'chat', f.target, 'max');
    const baseMax = medians(samples, 'chat', f.baseline, 'max');
    const r = medians(samples, 'chat', f.target, `rate:${f.rate}`);
    const b = medians(samples, 'chat', f.baseline, `rate:${f.rate}`);
    return [`${f.label} @ ${f.rate} req/s`, f.baseline, int(max?.rps), int(baseMax?.rps), int(r?.cpuUs), int(b?.cpuUs), ms(r?.p50), ms(b?.p50), delta(r?.p50, b?.p50), ms(r?.p99), ms(b?.p99), delta(r?.p99, b?.p99)];
  });
  return { header, rows };
}

export function verdicts(samples: Sample[], rates: number[], rssMaxBytes: number | undefined, features: FeatureScenario[]): Verdict[] {
  const out: Verdict[] = [];
  const get = (endpoint: Endpoint, target: string, scenario: Scenario) => medians(samples, endpoint, target, scenario);
  const lMax = get('chat', 'llm-proxy', 'max')?.rps;
  const mMax = get('chat', 'minimal', 'max')?.rps;
  const check = (target: string, value: number | undefined, ok: (v: number) => boolean, show: (v: number) => string) =>
    out.push({ target, measured: value === undefined || !Number.isFinite(value) ? 'not measured' : show(value), pass: value === undefined || !Number.isFinite(value) ? null : ok(value) });
  check('chat throughput ≥ 3,000 req/s on one core', lMax, (v) => v >= 3000, (v) => `${int(v)} req/s`);
  check('chat throughput ≥ 80% of the minimal proxy', lMax && mMax ? lMax / mMax : undefined, (v) => v >= 0.8, (v) => `${(v * 100).toFixed(1)}%`);
  if (rates.includes(500)) {
    const d = get('chat', 'direct', 'rate:500');
    const m = get('chat', 'minimal', 'rate:500');
    const l = get('chat', 'llm-proxy', 'rate:500');
    const sub = (a?: number, b?: number) => (a !== undefined && b !== undefined ? a - b : undefined);
    check('chat added p50 ≤ 0.5 ms at 500 req/s', sub(l?.p50, d?.p50), (v) => v <= 0.5, (v) => `+${v.toFixed(3)} ms`);
    check('chat added p99 ≤ 3 ms at 500 req/s', sub(l?.p99, d?.p99), (v) => v <= 3, (v) => `+${v.toFixed(3)} ms`);
    check('chat p50 within 0.2 ms of the minimal proxy at 500 req/s', sub(l?.p50, m?.p50), (v) => v <= 0.2, (v) => `${v >= 0 ? '+' : ''}${v.toFixed(3)} ms`);
  }
  const ttfbAdded = rates.map((rate) => {
    const d = get('stream', 'direct', `rate:${rate}`)?.p50;
    const l = get('stream', 'llm-proxy', `rate:${rate}`)?.p50;
    return d !== undefined && l !== undefined ? l - d : NaN;
  });
  const at = rates.includes(500) ? 500 : rates[0];
  check(
    `streamed first byte ≤ 1 ms over direct (p50 at ${at} req/s)`,
    ttfbAdded[rates.indexOf(at)],
    (v) => v <= 1,
    (v) => `+${v.toFixed(3)} ms (all rates: ${rates.map((r, i) => `${r}: ${Number.isFinite(ttfbAdded[i]) ? `+${ttfbAdded[i].toFixed(3)}` : '–'}`).join(', ')})`,
  );
  check('llm-proxy RSS under load ≤ 120 MB (max throughput runs)', rssMaxBytes, (v) => v <= 120 * 1024 * 1024, (v) => `${(v / 1024 / 1024).toFixed(1)} MB max`);
  for (const f of features.filter((feature) => !feature.reference)) {
    const r = get('chat', f.target, `rate:${f.rate}`);
    const b = get('chat', f.baseline, `rate:${f.rate}`);
    if (f.target.endsWith('cache')) check(`cache hit p50 < 1 ms at ${f.rate} req/s`, r?.p50, (v) => v < 1, (v) => `${v.toFixed(3)} ms`);
    else check(`${f.label} adds < 0.5 ms p50 at ${f.rate} req/s`, r?.p50 !== undefined && b?.p50 !== undefined ? r.p50 - b.p50 : undefined, (v) => v < 0.5, (v) => `${v >= 0 ? '+' : ''}${v.toFixed(3)} ms`);
  }
  return out;
}

export function verdictRows(list: Verdict[]): { header: Row; rows: Row[] } {
  return { header: ['target', 'measured', 'result'], rows: list.map((v) => [v.target, v.measured, v.pass === null ? 'n/a' : v.pass ? 'PASS' : 'MISS']) };
}

export function endpointTitle(endpoint: Endpoint): string {
  return ENDPOINT_TITLE[endpoint];
}
