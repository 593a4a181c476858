// An alert rule's form. The API validates; its answer names the field (`param`) that is wrong, and the
// message is shown beside that field.
import { api, useAction } from '../lib/api.js';
import { ErrorBox, Field } from '../lib/components.js';
import { numberOrText } from '../lib/format.js';
import { html, useState } from '../lib/html.js';

const CONDITIONS = ['>', '<', '>=', '<=', '==', '!='];
const SEVERITIES = ['info', 'warning', 'error', 'critical'];
const FIELDS = new Set(['name', 'description', 'metric_path', 'condition', 'threshold', 'severity', 'enabled', 'cooldown_minutes', 'channels', 'webhook_url']);

export function RuleForm({ rule, onSaved, onCancel }) {
  const [form, setForm] = useState(() => ({
    name: rule?.name ?? '',
    description: rule?.description ?? '',
    metric_path: rule?.metric_path ?? '',
    condition: rule?.condition ?? '>',
    threshold: rule ? String(rule.threshold) : '',
    severity: rule?.severity ?? 'warning',
    enabled: rule?.enabled ?? true,
    cooldown_minutes: String(rule?.cooldown_minutes ?? 5),
    webhook: rule?.channels?.includes('webhook') ?? false,
    webhook_url: rule?.webhook_url ?? '',
  }));
  const save = useAction((body) => (rule ? api(`v1/rules/${encodeURIComponent(rule.name)}`, { method: 'PUT', body }) : api('v1/rules', { method: 'POST', body })).then(onSaved));
  const { busy, error } = save;
  const set = (name) => (event) => setForm({ ...form, [name]: event.currentTarget.type === 'checkbox' ? event.currentTarget.checked : event.currentTarget.value });
  const submit = (event) => {
    event.preventDefault();
    save.run({
      name: form.name.trim(),
      description: form.description,
      metric_path: form.metric_path.trim(),
      condition: form.condition,
      threshold: numberOrText(form.threshold),
      severity: form.severity,
      enabled: form.enabled,
      cooldown_minutes: numberOrText(form.cooldown_minutes),
      channels: form.webhook ? ['log', 'webhook'] : ['log'],
      ...(form.webhook_url.trim() ? { webhook_url: form.webhook_url.trim() } : {}),
    });
  };
  const fieldError = (name) => (error?.param === name ? error.message : null);
  return html`<form class="form" onSubmit=${submit} novalidate>
    <div class="form-grid">
      <${Field} label="Name" error=${fieldError('name')} hint="Letters, digits, _ . : -"><input value=${form.name} onInput=${set('name')} disabled=${Boolean(rule)} /><//>
      <${Field} label="Severity" error=${fieldError('severity')}><select value=${form.severity} onChange=${set('severity')}>${SEVERITIES.map((s) => html`<option value=${s}>${s}</option>`)}</select><//>
      <${Field} label="Metric path" error=${fieldError('metric_path')} hint="A path in GET /metrics, e.g. providers.openai.error_rate" wide><input value=${form.metric_path} onInput=${set('metric_path')} spellcheck="false" /><//>
      <${Field} label="Condition" error=${fieldError('condition')}><select value=${form.condition} onChange=${set('condition')}>${CONDITIONS.map((c) => html`<option value=${c}>${c}</option>`)}</select><//>
      <${Field} label="Threshold" error=${fieldError('threshold')}><input inputmode="decimal" value=${form.threshold} onInput=${set('threshold')} /><//>
      <${Field} label="Cooldown (minutes)" error=${fieldError('cooldown_minutes')}><input inputmode="decimal" value=${form.cooldown_minutes} onInput=${set('cooldown_minutes')} /><//>
      <${Field} label="Description" error=${fieldError('description')} wide><input value=${form.description} onInput=${set('description')} /><//>
      <div class="field checkbox"><label><input type="checkbox" checked=${form.enabled} onChange=${set('enabled')} /> Enabled</label></div>
      <div class="field checkbox"><label><input type="checkbox" checked=${form.webhook} onChange=${set('webhook')} /> Also notify a webhook</label></div>
      ${form.webhook && html`<${Field} label="Webhook URL" error=${fieldError('webhook_url')} hint="Empty: alerting.webhook_url" wide><input type="url" value=${form.webhook_url} onInput=${set('webhook_url')} /><//>`}
    </div>
    ${error && !FIELDS.has(error.param) && html`<${ErrorBox} error=${error} />`}
    <div class="form-actions">
      <button type="submit" disabled=${busy}>${busy ? 'Saving…' : rule ? 'Save rule' : 'Create rule'}</button>
      <button type="button" class="secondary" onClick=${onCancel}>Cancel</button>
    </div>
  </form>`;
}
