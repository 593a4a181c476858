// Alert notifications to a webhook: a Slack-compatible `text` plus the alert's structured fields,
// POSTed with a timeout and retried with backoff. The caller logs a final failure.
import { setTimeout as sleep } from 'node:timers/promises';
import { request } from 'undici';
import type { Alert } from './alert.js';

export interface WebhookOptions {
  timeoutMs: number;
  retries: number;
  /** Base of the exponential backoff between attempts. */
  backoffMs?: number;
}

const ICON: Record<string, string> = { info: ':information_source:', warning: ':warning:', error: ':x:', critical: ':rotating_light:' };

export function webhookPayload(alert: Alert): Record<string, unknown> {
  const icon = alert.status === 'resolved' ? ':white_check_mark:' : (ICON[alert.severity] ?? '');
  const state = alert.status === 'resolved' ? 'RESOLVED' : alert.severity.toUpperCase();
  return {
    text: `${icon} [${state}] ${alert.message}${alert.description ? ` — ${alert.description}` : ''}`,
    alert,
    rule: alert.rule,
    severity: alert.severity,
    status: alert.status,
    value: alert.value,
    threshold: alert.threshold,
    metric_path: alert.metric_path,
  };
}

export async function sendWebhook(url: string, alert: Alert, options: WebhookOptions): Promise<void> {
  const body = JSON.stringify(webhookPayload(alert));
  let lastError: Error | null = null;
  for (let attempt = 0; attempt <= options.retries; attempt++) {
    if (attempt > 0) await sleep((options.backoffMs ?? 250) * 2 ** (attempt - 1));
    try {
      const response = await request(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': 'llm-proxy-alerts' },
        body,
        headersTimeout: options.timeoutMs,
        bodyTimeout: options.timeoutMs,
        signal: AbortSignal.timeout(options.timeoutMs),
      });
      await response.body.dump();
      if (response.statusCode < 300) return;
      lastError = new Error(`webhook answered ${response.statusCode}`);
    } catch (error) {
      lastError = error as Error;
    }
  }
  throw lastError ?? new Error('webhook failed');
}
