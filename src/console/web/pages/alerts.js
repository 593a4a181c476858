// Alerts: active, acknowledged and resolved alerts (acknowledge the active ones), and the rules they come
// from: list, create, edit and delete, with the API's validation errors beside their fields.
import { api, useAction, useApi } from '../lib/api.js';
import { Badge, Card, Dialog, ErrorBox, Loaded, PageHeader, Tabs } from '../lib/components.js';
import { ago, num, time } from '../lib/format.js';
import { html, useState } from '../lib/html.js';
import { RuleForm } from './rule-form.js';

export function AlertsPage() {
  const [status, setStatus] = useState('active');
  const alerts = useApi('v1/alerts', { query: { status: status || undefined }, refreshMs: 10_000 });
  const rules = useApi('v1/rules');
  const [dialog, setDialog] = useState(null);
  const acknowledge = useAction(async (id) => {
    await api(`v1/alerts/${encodeURIComponent(id)}/acknowledge`, { method: 'POST' });
    alerts.reload();
  });
  const saved = () => {
    setDialog(null);
    rules.reload();
  };
  return html`
    <${PageHeader} title="Alerts" />
    <${Card} title="Alerts">
      <${Tabs} tabs=${[['active', 'Active'], ['acknowledged', 'Acknowledged'], ['resolved', 'Resolved'], ['', 'All']]} current=${status} onChange=${setStatus} />
      <${ErrorBox} error=${acknowledge.error} />
      <${Loaded} state=${alerts} empty=${(d) => d.data.length === 0} emptyText=${status ? `No ${status} alerts.` : 'No alerts yet.'}>
        ${(d) => html`<div class="table-wrap"><table>
          <thead><tr><th>Severity</th><th>Rule</th><th>Message</th><th class="num">Value / threshold</th><th>Status</th><th>Started</th><th><span class="sr-only">Actions</span></th></tr></thead>
          <tbody>${d.data.map((a) => html`<tr key=${a.id}>
            <td><${Badge} value=${a.severity} /></td>
            <td>${a.rule}</td>
            <td>${a.message}</td>
            <td class="num">${num(a.value, 4)} ${a.condition} ${num(a.threshold, 4)}</td>
            <td><${Badge} value=${a.status} />${a.acknowledged_at ? html`<br /><small class="muted">ack ${ago(a.acknowledged_at)}</small>` : ''}${a.resolved_at ? html`<br /><small class="muted">resolved ${ago(a.resolved_at)}</small>` : ''}</td>
            <td title=${a.started_at}>${time(a.started_at)}</td>
            <td>${a.status === 'active' && html`<button type="button" class="secondary" onClick=${() => acknowledge.run(a.id)}>Acknowledge</button>`}</td>
          </tr>`)}</tbody>
        </table></div>`}
      <//>
    <//>
    <${Card} title="Rules">
      <div class="toolbar">
        ${rules.data && !rules.data.alerting_enabled && html`<span class="badge tone-warn">alerting.enabled is false: rules are kept but not evaluated</span>`}
        ${rules.data && html`<span class="muted">Evaluated every ${rules.data.interval} s</span>`}
        <button type="button" onClick=${() => setDialog({ kind: 'create' })}>New rule</button>
      </div>
      <${Loaded} state=${rules} empty=${(d) => d.data.length === 0} emptyText="No rules yet. A rule raises an alert when a value of GET /metrics crosses its threshold.">
        ${(d) => html`<div class="table-wrap"><table>
          <thead><tr><th>Name</th><th>Condition</th><th>Severity</th><th>Enabled</th><th>Channels</th><th>Source</th><th><span class="sr-only">Actions</span></th></tr></thead>
          <tbody>${d.data.map((r) => html`<tr key=${r.name} data-rule=${r.name}>
            <td>${r.name}${r.description ? html`<br /><small class="muted">${r.description}</small>` : ''}</td>
            <td><code>${r.metric_path} ${r.condition} ${r.threshold}</code></td>
            <td><${Badge} value=${r.severity} /></td>
            <td>${r.enabled ? 'yes' : 'no'}</td>
            <td>${r.channels.join(', ')}</td>
            <td>${r.source}</td>
            <td class="row-actions">
              <button type="button" class="secondary" onClick=${() => setDialog({ kind: 'edit', rule: r })}>Edit</button>
              <button type="button" class="danger" onClick=${() => setDialog({ kind: 'delete', rule: r })}>Delete</button>
            </td>
          </tr>`)}</tbody>
        </table></div>`}
      <//>
    <//>
    ${(dialog?.kind === 'create' || dialog?.kind === 'edit') && html`<${Dialog} title=${dialog.rule ? `Edit rule ${dialog.rule.name}` : 'New alert rule'} onClose=${() => setDialog(null)}>
      <${RuleForm} rule=${dialog.rule ?? null} onSaved=${saved} onCancel=${() => setDialog(null)} />
    <//>`}
    ${dialog?.kind === 'delete' && html`<${DeleteRule} rule=${dialog.rule} onDone=${saved} onCancel=${() => setDialog(null)} />`}`;
}

function DeleteRule({ rule, onDone, onCancel }) {
  const remove = useAction(() => api(`v1/rules/${encodeURIComponent(rule.name)}`, { method: 'DELETE' }).then(onDone));
  return html`<${Dialog} title=${`Delete rule ${rule.name}`} onClose=${onCancel}>
    <p>The rule stops being evaluated. Alerts it raised stay in the history.</p>
    <${ErrorBox} error=${remove.error} />
    <div class="form-actions"><button type="button" class="danger" onClick=${remove.run} disabled=${remove.busy}>Delete rule</button><button type="button" class="secondary" onClick=${onCancel}>Cancel</button></div>
  <//>`;
}
