// Usage and spend over a chosen range, by key, team, model or provider (from the ledger's daily sums):
// a daily chart, each group's share of the cost, a table, and the table as CSV.
import { useApi } from '../lib/api.js';
import { TimeChart } from '../lib/chart.js';
import { Card, Empty, ErrorBox, Field, Loaded, Loading, PageHeader } from '../lib/components.js';
import { daysAgo, download, num, toCsv, usd, usdAxis } from '../lib/format.js';
import { html, useState } from '../lib/html.js';

const GROUPS = [
  ['key', 'Key'],
  ['team', 'Team'],
  ['model', 'Model'],
  ['provider', 'Provider'],
];
const PRESETS = [
  [0, 'Today'],
  [6, 'Last 7 days'],
  [29, 'Last 30 days'],
  [89, 'Last 90 days'],
];

export function UsagePage() {
  const [groupBy, setGroupBy] = useState('model');
  const [range, setRange] = useState({ from: daysAgo(29), to: daysAgo(0) });
  const query = { from: range.from, to: range.to };
  const groups = useApi('v1/spend', { query: { ...query, group_by: groupBy } });
  const days = useApi('v1/spend', { query: { ...query, group_by: 'day' } });
  const label = GROUPS.find(([id]) => id === groupBy)[1];
  const csv = () => {
    const rows = groups.data.data.map((r) => [r.group || '(none)', r.label ?? '', r.requests, r.errors, r.input_tokens, r.output_tokens, r.cost_usd]);
    download(`spend-by-${groupBy}-${range.from}-to-${range.to}.csv`, toCsv([groupBy, 'label', 'requests', 'errors', 'input_tokens', 'output_tokens', 'cost_usd'], rows));
  };
  return html`
    <${PageHeader} title="Usage and spend">
      <button type="button" class="secondary" onClick=${csv} disabled=${!groups.data?.data.length}>Download CSV</button>
    <//>
    <form class="toolbar" onSubmit=${(e) => e.preventDefault()}>
      <label class="inline">Group by <select value=${groupBy} onChange=${(e) => setGroupBy(e.currentTarget.value)}>${GROUPS.map(([id, text]) => html`<option value=${id}>${text}</option>`)}</select></label>
      <label class="inline">Range
        <select onChange=${(e) => e.currentTarget.value !== '' && setRange({ from: daysAgo(Number(e.currentTarget.value)), to: daysAgo(0) })}>
          <option value="">Choose…</option>${PRESETS.map(([days, text]) => html`<option value=${days}>${text}</option>`)}
        </select>
      </label>
      <${Field} label="From"><input type="date" value=${range.from} max=${range.to} onChange=${(e) => e.currentTarget.value && setRange({ ...range, from: e.currentTarget.value })} /><//>
      <${Field} label="To"><input type="date" value=${range.to} min=${range.from} onChange=${(e) => e.currentTarget.value && setRange({ ...range, to: e.currentTarget.value })} /><//>
    </form>
    <${Card} title="Per day">
      <${Daily} days=${days} />
    <//>
    <${Card} title=${`By ${label.toLowerCase()}`}>
      <${Loaded} state=${groups} empty=${(d) => d.data.length === 0} emptyText="No requests were recorded in this range.">
        ${(d) => html`<${Shares} rows=${d.data} />
        <div class="table-wrap"><table>
          <thead><tr><th>${label}</th><th class="num">Requests</th><th class="num">Errors</th><th class="num">Input tokens</th><th class="num">Output tokens</th><th class="num">Cost</th></tr></thead>
          <tbody>${d.data.map((r) => html`<tr key=${r.group}><td>${name(r)}</td><td class="num">${num(r.requests)}</td><td class="num">${num(r.errors)}</td><td class="num">${num(r.input_tokens)}</td><td class="num">${num(r.output_tokens)}</td><td class="num">${usd(r.cost_usd)}</td></tr>`)}</tbody>
          <tfoot><tr><th>Total</th>${['requests', 'errors', 'input_tokens', 'output_tokens'].map((f) => html`<td class="num">${num(d.data.reduce((t, r) => t + r[f], 0))}</td>`)}<td class="num">${usd(d.data.reduce((t, r) => t + r.cost_usd, 0))}</td></tr></tfoot>
        </table></div>`}
      <//>
    <//>`;
}

const name = (r) => (r.group ? (r.label ? html`${r.label} <small class="muted">${r.group}</small>` : r.group) : html`<span class="muted">(none)</span>`);

/** Each group's share of the cost (or of the requests when nothing cost anything), as bars. */
function Shares({ rows }) {
  const byCost = rows.some((r) => r.cost_usd > 0);
  const value = (r) => (byCost ? r.cost_usd : r.requests);
  const max = Math.max(...rows.map(value), 0) || 1;
  return html`<ul class="shares" aria-label=${byCost ? 'Cost by group' : 'Requests by group'}>
    ${rows.slice(0, 12).map((r) => html`<li>
      <span class="share-name">${r.label ?? (r.group || '(none)')}</span>
      <span class="share-bar"><span style=${{ width: `${((100 * value(r)) / max).toFixed(1)}%` }}></span></span>
      <span class="share-value">${byCost ? usd(r.cost_usd) : `${num(r.requests)} req`}</span>
    </li>`)}
  </ul>`;
}

function Daily({ days }) {
  if (days.error && !days.data) return html`<${ErrorBox} error=${days.error} retry=${days.reload} />`;
  if (!days.data) return html`<${Loading} />`;
  if (days.data.data.length === 0) return html`<${Empty}>No requests were recorded in this range.<//>`;
  // Every day of the range, zero where nothing was recorded.
  const byDay = new Map(days.data.data.map((r) => [r.group, r]));
  const rows = [];
  for (let t = Date.parse(`${days.data.from}T00:00:00Z`); t <= Date.parse(`${days.data.to}T00:00:00Z`); t += 86_400_000) {
    const day = new Date(t).toISOString().slice(0, 10);
    rows.push({ t: t / 1000, requests: 0, errors: 0, cost_usd: 0, ...byDay.get(day) });
  }
  const t = rows.map((r) => r.t);
  return html`<div class="grid two">
    <${TimeChart} title="Cost per day" columns=${[t, rows.map((r) => r.cost_usd)]} series=${[{ label: 'USD', color: '#7c3aed' }]} format=${usd} axis=${usdAxis} />
    <${TimeChart} title="Requests per day" columns=${[t, rows.map((r) => r.requests), rows.map((r) => r.errors)]} series=${[{ label: 'requests' }, { label: 'errors', color: '#dc2626' }]} format=${(v) => num(v)} />
  </div>`;
}
