// The run's report: one object with every figure (written as JSON), the per-second series and the
// raw requests as CSV, and the HTML page; files named after the tier and the start time.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { LoadReport } from './load-report.js';
import type { Plan } from './plan.js';
import { renderHtml } from './report-html.js';

export interface ReportSettings {
  formats: ReadonlyArray<'json' | 'html' | 'csv'>;
  output_dir: string;
  include_charts: boolean;
  include_raw_data: boolean;
}

export function planInfo(plan: Plan): LoadReport['plan'] {
  return {
    tier: plan.tier,
    users: plan.users,
    duration_s: plan.durationMs / 1000,
    ramp_up_s: plan.rampUpMs / 1000,
    expected_rps: plan.expectedRps,
    think_time_ms: plan.thinkTimeMs,
    seed: plan.seed,
    scenarios: Object.fromEntries(plan.scenarios.map((s) => [s.name, s.weight])),
  };
}

function csv(rows: ReadonlyArray<Record<string, unknown>>, columns: readonly string[]): string {
  const cell = (v: unknown) => {
    const text = v === null || v === undefined ? '' : String(v);
    return /[",\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
  };
  return `${columns.join(',')}\n${rows.map((r) => columns.map((c) => cell(r[c])).join(',')).join('\n')}\n`;
}

/** Writes the report in each format; returns the files written. */
export function writeReports(report: LoadReport, settings: ReportSettings): string[] {
  mkdirSync(settings.output_dir, { recursive: true });
  const stamp = report.started_at.replace(/[:.]/g, '-');
  const base = path.join(settings.output_dir, `${report.plan.tier}-${stamp}`);
  const files: string[] = [];
  const write = (file: string, text: string) => {
    writeFileSync(file, text);
    files.push(file);
  };
  const full = settings.include_raw_data ? report : { ...report, requests: undefined };
  if (settings.formats.includes('json')) write(`${base}.json`, `${JSON.stringify(full, null, 2)}\n`);
  if (settings.formats.includes('csv')) {
    write(`${base}-timeseries.csv`, csv(report.timeseries as unknown as Array<Record<string, unknown>>, ['second', 'users', 'requests', 'errors', 'p50_ms', 'p95_ms']));
    if (settings.include_raw_data && report.requests) {
      write(`${base}-requests.csv`, csv(report.requests as unknown as Array<Record<string, unknown>>, ['at', 'scenario', 'status', 'ok', 'latencyMs', 'ttftMs', 'error']));
    }
  }
  if (settings.formats.includes('html')) write(`${base}.html`, renderHtml(report, settings.include_charts));
  return files;
}
