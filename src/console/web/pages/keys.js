// Keys and teams: virtual keys with their limits, guardrails, budget use and 30-day spend; create (the
// secret shown once), edit, rotate (with a grace period for the old secret) and revoke. Teams on their
// own tab.
import { api, useAction, useApi } from '../lib/api.js';
import { Badge, BudgetBar, Dialog, ErrorBox, Field, Loaded, PageHeader, Pager, Secret, Tabs } from '../lib/components.js';
import { ago, daysAgo, numberOrText, usd } from '../lib/format.js';
import { html, useState } from '../lib/html.js';
import { GuardrailNames } from './guardrail-picker.js';
import { LimitsForm, limitsText } from './limits-form.js';
import { TeamsTab } from './teams.js';

export function KeysPage() {
  const [tab, setTab] = useState('keys');
  const teams = useApi('v1/teams', { query: { limit: 500 } });
  return html`
    <${PageHeader} title="Keys and teams" />
    <${Tabs} tabs=${[['keys', 'Virtual keys'], ['teams', 'Teams']]} current=${tab} onChange=${setTab} />
    ${tab === 'keys' ? html`<${KeysTab} teams=${teams.data?.data ?? []} />` : html`<${TeamsTab} teams=${teams} />`}`;
}

function KeysTab({ teams }) {
  const [filters, setFilters] = useState({ status: 'active', alias: '', team_id: '' });
  const [cursors, setCursors] = useState([]);
  const [dialog, setDialog] = useState(null);
  const keys = useApi('v1/keys', { query: { ...filters, limit: 50, cursor: cursors.at(-1) } });
  const spend = useApi('v1/spend', { query: { group_by: 'key', from: daysAgo(29) } });
  const spent = new Map((spend.data?.data ?? []).map((row) => [row.group, row.cost_usd]));
  const teamName = new Map(teams.map((t) => [t.id, t.name]));
  const filter = (name) => (event) => {
    setCursors([]);
    setFilters({ ...filters, [name]: event.currentTarget.value });
  };
  const done = () => {
    setDialog(null);
    keys.reload();
  };
  return html`
    <div class="toolbar">
      <label class="inline">Status <select value=${filters.status} onChange=${filter('status')}><option value="">any</option><option value="active">active</option><option value="revoked">revoked</option><option value="expired">expired</option></select></label>
      <label class="inline">Team <select value=${filters.team_id} onChange=${filter('team_id')}><option value="">any</option>${teams.map((t) => html`<option value=${t.id}>${t.name}</option>`)}</select></label>
      <label class="inline">Alias <input type="search" value=${filters.alias} onChange=${filter('alias')} placeholder="exact alias" /></label>
      <button type="button" onClick=${() => setDialog({ kind: 'create' })}>New key</button>
    </div>
    <${Loaded} state=${keys} empty=${(d) => d.data.length === 0} emptyText="No keys match. Create one with “New key”.">
      ${(d) => html`<div class="table-wrap"><table>
        <thead><tr><th>Alias</th><th>Key</th><th>Team</th><th>Status</th><th>Limits</th><th>Guardrails</th><th>Budget</th><th>Spend (30 d)</th><th>Last used</th><th><span class="sr-only">Actions</span></th></tr></thead>
        <tbody>${d.data.map((k) => html`<tr key=${k.id} data-key-id=${k.id}>
          <td class="ident">${k.alias ?? html`<span class="muted">${k.id}</span>`}</td>
          <td class="ident"><code>${k.key_prefix}…</code></td>
          <td class="ident">${k.team_id ? (teamName.get(k.team_id) ?? k.team_id) : '—'}</td>
          <td><${Badge} value=${k.status} /></td>
          <td>${limitsText(k)}${k.models ? html`<br /><small class="muted">${k.models.join(', ')}</small>` : ''}</td>
          <td><${GuardrailNames} names=${k.guardrails} /></td>
          <td><${BudgetBar} usage=${k.budget_usage} /></td>
          <td class="num" data-testid="key-spend">${usd(spent.get(k.id) ?? 0)}</td>
          <td>${ago(k.last_used_at)}</td>
          <td class="row-actions">
            <button type="button" class="secondary" onClick=${() => setDialog({ kind: 'edit', key: k })}>Edit</button>
            ${k.status === 'active' && html`<button type="button" class="secondary" onClick=${() => setDialog({ kind: 'rotate', key: k })}>Rotate</button>
            <button type="button" class="danger" onClick=${() => setDialog({ kind: 'revoke', key: k })}>Revoke</button>`}
          </td>
        </tr>`)}</tbody>
      </table></div>
      <${Pager} cursors=${cursors} next=${d.next_cursor} onChange=${setCursors} />`}
    <//>
    ${dialog?.kind === 'create' && html`<${Dialog} title="New virtual key" onClose=${() => setDialog(null)}>
      <${LimitsForm} kind="key" teams=${teams} onCancel=${() => setDialog(null)} onSaved=${(saved) => setDialog({ kind: 'secret', key: saved, title: 'Key created' })} />
    <//>`}
    ${dialog?.kind === 'edit' && html`<${Dialog} title=${`Edit ${dialog.key.alias ?? dialog.key.id}`} onClose=${() => setDialog(null)}>
      <${LimitsForm} kind="key" item=${dialog.key} teams=${teams} onCancel=${() => setDialog(null)} onSaved=${done} />
    <//>`}
    ${dialog?.kind === 'secret' && html`<${Dialog} title=${dialog.title} onClose=${done}>
      <p>${dialog.key.alias ?? dialog.key.id}${dialog.key.previous_key_valid_until ? html` · the old secret works until ${new Date(dialog.key.previous_key_valid_until).toLocaleString()}` : ''}</p>
      <${Secret} value=${dialog.key.key} />
      <div class="form-actions"><button type="button" onClick=${done}>Done</button></div>
    <//>`}
    ${dialog?.kind === 'rotate' && html`<${Rotate} item=${dialog.key} onCancel=${() => setDialog(null)} onRotated=${(saved) => setDialog({ kind: 'secret', key: saved, title: 'Key rotated' })} />`}
    ${dialog?.kind === 'revoke' && html`<${Revoke} item=${dialog.key} onCancel=${() => setDialog(null)} onRevoked=${done} />`}`;
}

function Rotate({ item, onCancel, onRotated }) {
  const [grace, setGrace] = useState('0');
  const rotate = useAction(() => api(`v1/keys/${encodeURIComponent(item.id)}/rotate`, { method: 'POST', body: { grace_seconds: numberOrText(grace) ?? 0 } }).then(onRotated));
  const error = rotate.error;
  const submit = (event) => {
    event.preventDefault();
    rotate.run();
  };
  return html`<${Dialog} title=${`Rotate ${item.alias ?? item.id}`} onClose=${onCancel}>
    <form class="form" onSubmit=${submit}>
      <p>A new secret replaces the current one. Clients must switch to it; the old one stops working after the grace period.</p>
      <${Field} label="Grace period (seconds)" error=${error?.param === 'grace_seconds' ? error.message : null} hint="0: the old secret stops working now">
        <input inputmode="numeric" value=${grace} onInput=${(e) => setGrace(e.currentTarget.value)} />
      <//>
      ${error && error.param !== 'grace_seconds' && html`<${ErrorBox} error=${error} />`}
      <div class="form-actions"><button type="submit" disabled=${rotate.busy}>Rotate key</button><button type="button" class="secondary" onClick=${onCancel}>Cancel</button></div>
    </form>
  <//>`;
}

function Revoke({ item, onCancel, onRevoked }) {
  const revoke = useAction(() => api(`v1/keys/${encodeURIComponent(item.id)}/revoke`, { method: 'POST' }).then(onRevoked));
  return html`<${Dialog} title=${`Revoke ${item.alias ?? item.id}`} onClose=${onCancel}>
    <p>Requests with this key are refused from now on, on every replica within a second. This cannot be undone.</p>
    <${ErrorBox} error=${revoke.error} />
    <div class="form-actions"><button type="button" class="danger" onClick=${revoke.run} disabled=${revoke.busy}>Revoke key</button><button type="button" class="secondary" onClick=${onCancel}>Cancel</button></div>
  <//>`;
}
