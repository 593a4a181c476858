// The run's report as one object: every figure of a load test, what the JSON, CSV and HTML reports
// are written from.
import type { Sample, SecondRow, Summary, Verdict } from './stats.js';

export interface LoadReport {
  target: string;
  started_at: string;
  plan: { tier: string; users: number; duration_s: number; ramp_up_s: number; expected_rps: number; think_time_ms: number; seed: number; scenarios: Record<string, number> };
  max_error_rate: number;
  summary: Summary;
  verdict: Verdict;
  timeseries: SecondRow[];
  requests?: Sample[];
}
