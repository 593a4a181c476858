// The teams tab: each team's limits, guardrails, budget use and 30-day spend; create and edit.
import { useApi } from '../lib/api.js';
import { BudgetBar, Dialog, Loaded } from '../lib/components.js';
import { daysAgo, usd } from '../lib/format.js';
import { html, useState } from '../lib/html.js';
import { GuardrailNames } from './guardrail-picker.js';
import { LimitsForm, limitsText } from './limits-form.js';

export function TeamsTab({ teams }) {
  const [dialog, setDialog] = useState(null);
  const spend = useApi('v1/spend', { query: { group_by: 'team', from: daysAgo(29) } });
  const spent = new Map((spend.data?.data ?? []).map((row) => [row.group, row.cost_usd]));
  const done = () => {
    setDialog(null);
    teams.reload();
  };
  return html`
    <div class="toolbar"><button type="button" onClick=${() => setDialog({ kind: 'create' })}>New team</button></div>
    <${Loaded} state=${teams} empty=${(d) => d.data.length === 0} emptyText="No teams yet. A team groups keys under shared limits and a budget.">
      ${(d) => html`<div class="table-wrap"><table>
        <thead><tr><th>Name</th><th>Models</th><th>Limits</th><th>Guardrails</th><th>Budget</th><th>Spend (30 d)</th><th><span class="sr-only">Actions</span></th></tr></thead>
        <tbody>${d.data.map((t) => html`<tr key=${t.id}>
          <td>${t.name}<br /><small class="muted">${t.id}</small></td>
          <td>${t.models ? t.models.join(', ') : 'all'}</td>
          <td>${limitsText(t)}</td>
          <td><${GuardrailNames} names=${t.guardrails} /></td>
          <td><${BudgetBar} usage=${t.budget_usage} /></td>
          <td class="num">${usd(spent.get(t.id) ?? 0)}</td>
          <td class="row-actions"><button type="button" class="secondary" onClick=${() => setDialog({ kind: 'edit', team: t })}>Edit</button></td>
        </tr>`)}</tbody>
      </table></div>`}
    <//>
    ${dialog && html`<${Dialog} title=${dialog.kind === 'create' ? 'New team' : `Edit ${dialog.team.name}`} onClose=${() => setDialog(null)}>
      <${LimitsForm} kind="team" item=${dialog.team ?? null} onCancel=${() => setDialog(null)} onSaved=${done} />
    <//>`}`;
}
