// The HTML report: one self-contained file (inline CSS and SVG charts, no script, no network) that
// opens offline. Every value is escaped: scenario names and error kinds come from the run.
import type { LoadReport } from './load-report.js';

const esc = (value: unknown): string => String(value).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

interface Series {
  name: string;
  color: string;
  values: number[];
}

/** A line chart over the run's seconds, as SVG with axes, gridlines and a legend. */
export function lineChart(title: string, unit: string, series: Series[]): string {
  const width = 720;
  const height = 240;
  const pad = { left: 56, right: 16, top: 28, bottom: 32 };
  const n = Math.max(1, ...series.map((s) => s.values.length));
  const max = Math.max(1e-9, ...series.flatMap((s) => s.values));
  const x = (i: number) => pad.left + (n === 1 ? 0 : (i / (n - 1)) * (width - pad.left - pad.right));
  const y = (v: number) => height - pad.bottom - (v / max) * (height - pad.top - pad.bottom);
  const grid = [0, 0.25, 0.5, 0.75, 1]
    .map((f) => {
      const value = max * f;
      return `<line x1="${pad.left}" x2="${width - pad.right}" y1="${y(value)}" y2="${y(value)}" class="grid"/><text x="${pad.left - 6}" y="${y(value) + 4}" text-anchor="end">${esc(value < 10 ? value.toFixed(1) : Math.round(value))}</text>`;
    })
    .join('');
  const lines = series
    .map((s) => `<polyline class="series" fill="none" stroke="${s.color}" stroke-width="2" points="${s.values.map((v, i) => `${x(i).toFixed(1)},${y(v).toFixed(1)}`).join(' ')}"><title>${esc(s.name)}</title></polyline>`)
    .join('');
  const ticks = [...new Set([0, Math.round((n - 1) / 4), Math.round((n - 1) / 2), Math.round((3 * (n - 1)) / 4), n - 1])]
    .map((i) => `<text x="${x(i)}" y="${height - pad.bottom + 14}" text-anchor="middle">${i}</text>`)
    .join('');
  const legend = series.map((s, i) => `<rect x="${pad.left + i * 120}" y="8" width="12" height="12" fill="${s.color}"/><text x="${pad.left + 18 + i * 120}" y="18">${esc(s.name)}</text>`).join('');
  return `<figure><figcaption>${esc(title)} (${esc(unit)})</figcaption><svg viewBox="0 0 ${width} ${height}" role="img" aria-label="${esc(title)}">${grid}${ticks}${lines}${legend}<text x="${width / 2}" y="${height - 2}" text-anchor="middle">seconds</text></svg></figure>`;
}

export function renderHtml(report: LoadReport, includeCharts: boolean): string {
  const s = report.summary;
  const seconds = report.timeseries;
  const charts = includeCharts
    ? lineChart('Requests per second', 'req/s', [
        { name: 'requests', color: '#2563eb', values: seconds.map((r) => r.requests) },
        { name: 'errors', color: '#dc2626', values: seconds.map((r) => r.errors) },
      ]) +
      lineChart('Latency percentiles', 'ms', [
        { name: 'p50', color: '#16a34a', values: seconds.map((r) => r.p50_ms) },
        { name: 'p95', color: '#ea580c', values: seconds.map((r) => r.p95_ms) },
      ]) +
      lineChart('Virtual users', 'users', [{ name: 'users', color: '#7c3aed', values: seconds.map((r) => r.users) }])
    : '';
  const row = (cells: unknown[]) => `<tr>${cells.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`;
  const scenarios = Object.entries(s.scenarios)
    .map(([name, x]) => row([name, x.requests, x.errors, x.rps, x.latency_ms.p50, x.latency_ms.p95, x.latency_ms.p99]))
    .join('');
  const errors = Object.entries(s.errors_by_kind).map(([kind, count]) => row([kind, count])).join('') || '<tr><td colspan="2">none</td></tr>';
  const verdict = report.verdict.passed ? '<p class="pass">PASSED</p>' : `<p class="fail">FAILED: ${report.verdict.reasons.map(esc).join('; ')}</p>`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>llm-proxy load test: ${esc(report.plan.tier)}</title>
<style>
body{font:14px system-ui,sans-serif;margin:24px;color:#111;max-width:800px}
h1{font-size:20px}table{border-collapse:collapse;margin:8px 0 20px}td,th{border:1px solid #ccc;padding:4px 10px;text-align:right}
td:first-child,th:first-child{text-align:left}figure{margin:0 0 20px}figcaption{font-weight:600;margin-bottom:4px}
svg{width:100%;height:auto;background:#fafafa;border:1px solid #e5e5e5}svg text{font-size:11px;fill:#444}.grid{stroke:#e5e5e5}
.pass{color:#15803d;font-weight:700}.fail{color:#b91c1c;font-weight:700}
</style></head><body>
<h1>Load test: tier ${esc(report.plan.tier)}</h1>
<p>${esc(report.target)} · started ${esc(report.started_at)} · ${esc(report.plan.users)} users · ${esc(s.duration_s)} s (ramp-up ${esc(report.plan.ramp_up_s)} s) · seed ${esc(report.plan.seed)}</p>
${verdict}
<table><tr><th>requests</th><th>errors</th><th>error rate</th><th>req/s</th><th>steady req/s</th><th>expected</th><th>p50 ms</th><th>p95 ms</th><th>p99 ms</th><th>TTFT p50 ms</th></tr>
${row([s.requests, s.errors, `${(s.error_rate * 100).toFixed(2)} %`, s.rps, s.steady_rps, report.plan.expected_rps, s.latency_ms.p50, s.latency_ms.p95, s.latency_ms.p99, s.ttft_ms?.p50 ?? '–'])}</table>
${charts}
<h2>Scenarios</h2>
<table><tr><th>scenario</th><th>requests</th><th>errors</th><th>req/s</th><th>p50 ms</th><th>p95 ms</th><th>p99 ms</th></tr>${scenarios}</table>
<h2>Errors</h2>
<table><tr><th>kind</th><th>count</th></tr>${errors}</table>
</body></html>
`;
}
