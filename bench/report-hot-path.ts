// Issue 23's view of a run ("win back the hot path"): llm-proxy's event-loop delay at 500 req/s, its
// RSS under load, every ledger row accounted for, and the issue's targets' verdicts.
import { int, median, medians, ms, type Endpoint, type Row, type Sample, type Verdict } from './report.js';

const ENDPOINTS: Endpoint[] = ['chat', 'stream', 'embeddings'];

/** Median over repetitions of llm-proxy's event-loop delay p99 at 500 req/s, per endpoint (ms). */
function loopP99(samples: Sample[], endpoint: Endpoint, target = 'llm-proxy'): number {
  return median(samples.filter((s) => s.target === target && s.endpoint === endpoint && s.scenario === 'rate:500').map((s) => s.eventLoop?.p99Ms ?? NaN));
}

export function eventLoopRows(samples: Sample[], targets: string[]): { header: Row; rows: Row[] } {
  const header = ['event-loop delay @ 500 req/s (ms)', ...ENDPOINTS.flatMap((e) => [`${e} p50`, `${e} p99`, `${e} max`])];
  const rows = targets.map((target) => {
    const pick = (e: Endpoint, f: 'p50Ms' | 'p99Ms' | 'maxMs') =>
      ms(median(samples.filter((s) => s.target === target && s.endpoint === e && s.scenario === 'rate:500').map((s) => s.eventLoop?.[f] ?? NaN)));
    return [target, ...ENDPOINTS.flatMap((e) => [pick(e, 'p50Ms'), pick(e, 'p99Ms'), pick(e, 'maxMs')])];
  });
  return { header, rows };
}

/**
 * Rows written against requests sent, summed over each target's measured runs (warm-up excluded). Runs
 * at a fixed rate are exact: every request is answered before the run ends. A max-throughput run ends
 * with 50 requests in flight, which autocannon abandons, some before the proxy has read them.
 */
export function ledgerRows(samples: Sample[], targets: string[]): { header: Row; rows: Row[] } {
  const header = ['ledger (SQLite)', 'fixed-rate runs: sent', 'rows', 'missing', 'runs missing a row', 'max runs: sent', 'rows'];
  const rows = targets.map((target) => {
    const runs = samples.filter((s) => s.target === target && s.ledger);
    const rate = runs.filter((s) => s.rate);
    const max = runs.filter((s) => s.max);
    const sum = (list: Sample[], f: 'sent' | 'rows') => list.reduce((n, s) => n + s.ledger![f], 0);
    const missing = sum(rate, 'sent') - sum(rate, 'rows');
    return [target, int(sum(rate, 'sent')), int(sum(rate, 'rows')), int(missing), `${rate.filter((s) => s.ledger!.rows < s.ledger!.sent).length} of ${rate.length}`, int(sum(max, 'sent')), int(sum(max, 'rows'))];
  });
  return { header, rows };
}

/** The targets of issue 23, measured in this run. */
export function hotPathVerdicts(samples: Sample[], rssUnderLoad: number | undefined, virtualKey: string | null, ledgerTargets: string[]): Verdict[] {
  const out: Verdict[] = [];
  const check = (target: string, value: number | undefined, ok: (v: number) => boolean, show: (v: number) => string) =>
    out.push({ target, measured: value === undefined || !Number.isFinite(value) ? 'not measured' : show(value), pass: value === undefined || !Number.isFinite(value) ? null : ok(value) });
  const get = (endpoint: Endpoint, target: string, scenario: Sample['scenario']) => medians(samples, endpoint, target, scenario);
  const ratio = (a?: number, b?: number) => (a && b ? a / b : undefined);
  const lMax = get('chat', 'llm-proxy', 'max')?.rps;
  check('#23 chat max ≥ 55% of the minimal proxy', ratio(lMax, get('chat', 'minimal', 'max')?.rps), (v) => v >= 0.55, (v) => `${(v * 100).toFixed(1)}%`);
  if (virtualKey) {
    check('#23 virtual key (budget + rpm) chat max within 15% of a config key', ratio(get('chat', virtualKey, 'max')?.rps, lMax), (v) => v >= 0.85, (v) => `${(v * 100).toFixed(1)}%`);
  }
  const added = (endpoint: Endpoint, q: 'p50' | 'p99') => {
    const l = get(endpoint, 'llm-proxy', 'rate:500')?.[q];
    const d = get(endpoint, 'direct', 'rate:500')?.[q];
    return l !== undefined && d !== undefined ? l - d : undefined;
  };
  const plus = (v: number) => `${v >= 0 ? '+' : ''}${v.toFixed(3)} ms`;
  const limits: Record<Endpoint, number> = { chat: 5, embeddings: 8, stream: 10 };
  for (const e of ENDPOINTS) check(`#23 ${e} added p99 ≤ +${limits[e]} ms at 500 req/s`, added(e, 'p99'), (v) => v <= limits[e], plus);
  for (const e of ENDPOINTS) check(`#23 ${e} added p50 ≤ +0.5 ms at 500 req/s`, added(e, 'p50'), (v) => v <= 0.5, plus);
  const loops = ENDPOINTS.map((e) => loopP99(samples, e));
  check('#23 event-loop delay p99 ≤ 5 ms at 500 req/s (worst endpoint)', Math.max(...loops.filter(Number.isFinite)), (v) => v <= 5, (v) => `${v.toFixed(2)} ms (${ENDPOINTS.map((e, i) => `${e} ${ms(loops[i])}`).join(', ')})`);
  check('#23 RSS under load ≤ 150 MB (max and 500 req/s runs)', rssUnderLoad, (v) => v <= 150 * 1024 * 1024, (v) => `${(v / 1024 / 1024).toFixed(1)} MB`);
  const missing = ledgerTargets.map((t) => samples.filter((s) => s.target === t && s.ledger && s.rate).reduce((n, s) => n + s.ledger!.sent - s.ledger!.rows, 0));
  const counted = ledgerTargets.some((t) => samples.some((s) => s.target === t && s.ledger && s.rate));
  check('#23 every request has its ledger row (fixed-rate runs)', counted ? missing.reduce((a, b) => a + b, 0) : undefined, (v) => v <= 0, (v) => `${int(v)} missing (${ledgerTargets.map((t, i) => `${t}: ${missing[i]}`).join(', ')})`);
  return out;
}
