// Alert rules evaluated every `alerting.interval` seconds against the JSON metrics snapshot. Rules
// come from the configuration plus those created through the API (persisted to `rules_file`, which
// also holds API edits of configured rules). An alert is active → acknowledged → resolved; it
// resolves by itself when its condition clears. Notifications go to the log and a webhook.
import { existsSync, readFileSync, renameSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { z } from 'zod';
import { writeFileAtomic } from '../config/atomic-write.js';
import { alertRuleSchema, formatIssues, type AlertRule, type Config } from '../config/schema.js';
import { ProxyError } from '../errors.js';
import type { Alert } from './alert.js';
import { sendWebhook } from './webhook.js';

export type RuleView = AlertRule & { source: 'config' | 'api' };

const rulesFileSchema = z.object({ rules: z.array(alertRuleSchema) });
const MAX_RESOLVED = 1000;

/** Reads a dotted path from the snapshot; keys may themselves contain dots (provider names). */
export function readPath(root: unknown, path: string): unknown {
  const walk = (node: unknown, parts: string[]): unknown => {
    if (parts.length === 0) return node;
    if (node === null || typeof node !== 'object') return undefined;
    for (let i = parts.length; i >= 1; i--) {
      const key = parts.slice(0, i).join('.');
      if (Object.hasOwn(node, key)) {
        const found = walk((node as Record<string, unknown>)[key], parts.slice(i));
        if (found !== undefined) return found;
      }
    }
    return undefined;
  };
  return walk(root, path.split('.'));
}

export function compare(value: number, condition: AlertRule['condition'], threshold: number): boolean {
  switch (condition) {
    case '>':
      return value > threshold;
    case '<':
      return value < threshold;
    case '>=':
      return value >= threshold;
    case '<=':
      return value <= threshold;
    case '==':
      return value === threshold;
    case '!=':
      return value !== threshold;
  }
}

export class AlertManager {
  private apiRules: AlertRule[] = [];
  private readonly alerts = new Map<string, Alert>();
  private readonly lastFired = new Map<string, number>();
  private timer: NodeJS.Timeout | null = null;
  private running = false;
  private writing: Promise<void> = Promise.resolve();

  constructor(
    private readonly config: () => Config,
    private readonly snapshot: () => Promise<unknown> | unknown,
    private readonly logger: Logger,
    private readonly rulesFile: string,
    /** False in every worker of a host but the first: the host notifies once per alert, not once per worker. */
    private readonly notifies = true,
  ) {
    this.apiRules = this.readRulesFile();
  }

  private readRulesFile(): AlertRule[] {
    if (!existsSync(this.rulesFile)) return [];
    try {
      const parsed = rulesFileSchema.safeParse(JSON.parse(readFileSync(this.rulesFile, 'utf8')));
      if (parsed.success) return parsed.data.rules;
      this.logger.error({ file: this.rulesFile, problems: formatIssues(parsed.error.issues) }, 'alert rules file is invalid; starting without its rules');
    } catch (error) {
      this.logger.error({ file: this.rulesFile, err_message: (error as Error).message }, 'alert rules file cannot be read; starting without its rules');
    }
    // Keep the unreadable file for the operator instead of overwriting it on the next change.
    renameSync(this.rulesFile, `${this.rulesFile}.invalid`);
    return [];
  }

  /** Configured rules, with API rules of the same name taking their place. */
  rules(): RuleView[] {
    const api = new Map(this.apiRules.map((rule) => [rule.name, rule]));
    const out: RuleView[] = [];
    for (const rule of this.config().alerting.rules) if (!api.has(rule.name)) out.push({ ...rule, source: 'config' });
    for (const rule of this.apiRules) out.push({ ...rule, source: 'api' });
    return out;
  }

  rule(name: string): RuleView | undefined {
    return this.rules().find((rule) => rule.name === name);
  }

  async create(input: unknown): Promise<RuleView> {
    const rule = parseRule(input);
    if (this.rule(rule.name)) throw new ProxyError('invalid_request', `A rule named '${rule.name}' already exists`, 'name');
    this.apiRules.push(rule);
    await this.persist();
    return { ...rule, source: 'api' };
  }

  /** Replaces a rule; a configured rule is overridden by the API copy (persisted to the rules file). */
  async update(name: string, input: unknown): Promise<RuleView> {
    const current = this.rule(name);
    if (!current) throw new ProxyError('not_found', `No rule named '${name}'`, 'name');
    const { source: _source, ...base } = current;
    void _source;
    const rule = parseRule({ ...base, ...(input as object), name });
    this.apiRules = [...this.apiRules.filter((r) => r.name !== name), rule];
    await this.persist();
    return { ...rule, source: 'api' };
  }

  async delete(name: string): Promise<void> {
    const current = this.rule(name);
    if (!current) throw new ProxyError('not_found', `No rule named '${name}'`, 'name');
    if (current.source === 'config') {
      throw new ProxyError('invalid_request', `Rule '${name}' is defined in the configuration file; remove it there (or disable it with PUT)`, 'name');
    }
    this.apiRules = this.apiRules.filter((r) => r.name !== name);
    for (const alert of this.alerts.values()) if (alert.rule === name && alert.status !== 'resolved') this.resolve(alert);
    await this.persist();
  }

  private persist(): Promise<void> {
    const text = `${JSON.stringify({ rules: this.apiRules }, null, 2)}\n`;
    this.writing = this.writing.catch(() => undefined).then(() => writeFileAtomic(this.rulesFile, text));
    return this.writing;
  }

  list(filter: { severity?: string; status?: string } = {}): Alert[] {
    return [...this.alerts.values()]
      .filter((a) => (!filter.severity || a.severity === filter.severity) && (!filter.status || a.status === filter.status))
      .sort((a, b) => b.started_at.localeCompare(a.started_at));
  }

  acknowledge(id: string): Alert {
    const alert = this.alerts.get(id);
    if (!alert) throw new ProxyError('not_found', `No alert with id '${id}'`, 'id');
    if (alert.status === 'active') {
      alert.status = 'acknowledged';
      alert.acknowledged_at = new Date().toISOString();
    }
    return alert;
  }

  /** Unresolved alerts, for /health. */
  /** Unresolved alerts by severity, and whether rules are evaluated at all (`alerting.enabled`). */
  summary(): { enabled: boolean; active: number; critical: number; warning: number } {
    let active = 0;
    let critical = 0;
    let warning = 0;
    for (const alert of this.alerts.values()) {
      if (alert.status === 'resolved') continue;
      active++;
      if (alert.severity === 'critical') critical++;
      if (alert.severity === 'warning') warning++;
    }
    return { enabled: this.config().alerting.enabled, active, critical, warning };
  }

  /** One evaluation round; notifications are sent in the background and never block it. */
  async evaluate(now = Date.now()): Promise<void> {
    const snapshot = await this.snapshot();
    for (const rule of this.rules()) {
      const open = [...this.alerts.values()].find((a) => a.rule === rule.name && a.status !== 'resolved');
      const raw = readPath(snapshot, rule.metric_path);
      const value = typeof raw === 'boolean' ? Number(raw) : raw;
      const firing = rule.enabled && typeof value === 'number' && Number.isFinite(value) && compare(value, rule.condition, rule.threshold);
      if (open) {
        if (firing) open.value = value;
        else this.resolve(open, rule);
        continue;
      }
      if (!firing) continue;
      const last = this.lastFired.get(rule.name);
      if (last !== undefined && now - last < rule.cooldown_minutes * 60_000) continue;
      this.lastFired.set(rule.name, now);
      const alert: Alert = {
        id: randomUUID(),
        rule: rule.name,
        description: rule.description,
        severity: rule.severity,
        status: 'active',
        metric_path: rule.metric_path,
        condition: rule.condition,
        threshold: rule.threshold,
        value,
        message: `${rule.name}: ${rule.metric_path} = ${value} ${rule.condition} ${rule.threshold}`,
        started_at: new Date(now).toISOString(),
        acknowledged_at: null,
        resolved_at: null,
      };
      this.alerts.set(alert.id, alert);
      this.notify(alert, rule);
    }
    this.prune();
  }

  private resolve(alert: Alert, rule?: AlertRule): void {
    alert.status = 'resolved';
    alert.resolved_at = new Date().toISOString();
    if (rule) this.notify(alert, rule);
  }

  private prune(): void {
    const resolved = [...this.alerts.values()].filter((a) => a.status === 'resolved');
    for (const alert of resolved.slice(0, Math.max(0, resolved.length - MAX_RESOLVED))) this.alerts.delete(alert.id);
  }

  private notify(alert: Alert, rule: AlertRule): void {
    if (!this.notifies) return;
    const settings = this.config().alerting;
    if (rule.channels.includes('log')) {
      const fields = { alert_id: alert.id, rule: alert.rule, severity: alert.severity, status: alert.status, value: alert.value, threshold: alert.threshold };
      if (alert.status === 'resolved') this.logger.info(fields, `alert resolved: ${alert.message}`);
      else if (alert.severity === 'critical' || alert.severity === 'error') this.logger.error(fields, `alert: ${alert.message}`);
      else this.logger.warn(fields, `alert: ${alert.message}`);
    }
    const url = rule.webhook_url ?? settings.webhook_url;
    if (rule.channels.includes('webhook') && url) {
      void sendWebhook(url, alert, { timeoutMs: settings.webhook_timeout * 1000, retries: settings.webhook_retries }).catch((error: unknown) => {
        this.logger.warn({ alert_id: alert.id, rule: alert.rule, err_message: (error as Error).message }, 'alert webhook failed');
      });
    }
  }

  /** Evaluates every `alerting.interval` seconds while `alerting.enabled` (both follow reloads). */
  start(): void {
    const tick = async () => {
      const { enabled } = this.config().alerting;
      if (enabled) {
        try {
          await this.evaluate();
        } catch (error) {
          this.logger.error({ err: error }, 'alert evaluation failed');
        }
      }
      if (!this.running) return;
      this.timer = setTimeout(() => void tick(), this.config().alerting.interval * 1000);
      this.timer.unref();
    };
    this.running = true;
    this.timer = setTimeout(() => void tick(), this.config().alerting.interval * 1000);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.writing.catch(() => undefined);
  }
}

function parseRule(input: unknown): AlertRule {
  if (!input || typeof input !== 'object' || Array.isArray(input)) throw new ProxyError('invalid_request', 'Rule must be a JSON object');
  const parsed = alertRuleSchema.safeParse(input);
  if (!parsed.success) {
    const [first] = formatIssues(parsed.error.issues);
    throw new ProxyError('invalid_request', first, first.split(':', 1)[0]);
  }
  return parsed.data;
}
