// One alert as the API, the log and the webhook show it: which rule fired, on what value, and where
// it is in its life (active → acknowledged → resolved).
import type { AlertRule } from '../config/schema.js';

export type Severity = AlertRule['severity'];
export type AlertStatus = 'active' | 'acknowledged' | 'resolved';

export interface Alert {
  id: string;
  rule: string;
  description: string;
  severity: Severity;
  status: AlertStatus;
  metric_path: string;
  condition: AlertRule['condition'];
  threshold: number;
  value: number;
  message: string;
  started_at: string;
  acknowledged_at: string | null;
  resolved_at: string | null;
}
