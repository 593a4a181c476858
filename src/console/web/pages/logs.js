// Logs: the request ledger, newest first, filtered on the server (key, model, provider, status, time) and
// paged by cursor; a request's detail with its timings, attempts, guardrail outcomes and, when stored,
// request and answer.
import { useApi } from '../lib/api.js';
import { Badge, Card, Field, Loaded, PageHeader, Pager, StatusCode } from '../lib/components.js';
import { ms, num, time, usd } from '../lib/format.js';
import { html, useState } from '../lib/html.js';
import { GuardrailOutcomes } from './guardrails.js';

const STATUSES = [
  ['', 'any'],
  ['200', '200'],
  ['4xx', '4xx'],
  ['5xx', '5xx'],
  ['error', 'any error'],
];
const iso = (local) => (local ? new Date(local).toISOString() : undefined);

export function LogsPage() {
  const [filters, setFilters] = useState({ key_id: '', model: '', provider: '', status: '', from: '', to: '' });
  const [cursors, setCursors] = useState([]);
  const keys = useApi('v1/keys', { query: { limit: 500 } });
  const providers = useApi('providers');
  const query = { ...filters, from: iso(filters.from), to: iso(filters.to), limit: 50, cursor: cursors.at(-1) };
  const logs = useApi('v1/logs', { query });
  const set = (name) => (event) => {
    setCursors([]);
    setFilters({ ...filters, [name]: event.currentTarget.value });
  };
  return html`
    <${PageHeader} title="Logs"><button type="button" class="secondary" onClick=${logs.reload}>Refresh</button><//>
    <form class="toolbar filters" onSubmit=${(e) => e.preventDefault()}>
      <${Field} label="Key"><select value=${filters.key_id} onChange=${set('key_id')}><option value="">any</option>${(keys.data?.data ?? []).map((k) => html`<option value=${k.id}>${k.alias ?? k.id}</option>`)}</select><//>
      <${Field} label="Model"><input type="search" value=${filters.model} onChange=${set('model')} placeholder="exact model" /><//>
      <${Field} label="Provider"><select value=${filters.provider} onChange=${set('provider')}><option value="">any</option>${(providers.data?.providers ?? []).map((p) => html`<option value=${p.name}>${p.name}</option>`)}</select><//>
      <${Field} label="Status"><select value=${filters.status} onChange=${set('status')}>${STATUSES.map(([v, t]) => html`<option value=${v}>${t}</option>`)}</select><//>
      <${Field} label="From"><input type="datetime-local" value=${filters.from} onChange=${set('from')} /><//>
      <${Field} label="To"><input type="datetime-local" value=${filters.to} onChange=${set('to')} /><//>
    </form>
    <${Loaded} state=${logs} empty=${(d) => d.data.length === 0} emptyText="No requests match these filters.">
      ${(d) => html`<div class="table-wrap"><table class="logs">
        <thead><tr><th>Time</th><th>Status</th><th>Route</th><th>Model</th><th>Provider</th><th>Key</th><th class="num">Tokens in / out</th><th class="num">Cost</th><th class="num">Latency</th></tr></thead>
        <tbody>${d.data.map((r) => html`<tr key=${r.id}>
          <td><a href=${`#/logs/${encodeURIComponent(r.id)}`}>${time(r.created_at)}</a></td>
          <td><${StatusCode} status=${r.status} /></td>
          <td class="ident">${r.route}</td>
          <td class="ident">${r.model ?? '—'}</td>
          <td class="ident">${r.provider ?? '—'}</td>
          <td class="ident">${r.key_alias ?? r.key_id ?? html`<span class="muted">no virtual key</span>`}</td>
          <td class="num">${num(r.input_tokens)} / ${num(r.output_tokens)}</td>
          <td class="num">${usd(r.cost_usd)}</td>
          <td class="num">${ms(r.latency_ms)}</td>
        </tr>`)}</tbody>
      </table></div>
      <${Pager} cursors=${cursors} next=${d.next_cursor} onChange=${setCursors} />`}
    <//>`;
}

export function LogDetail({ arg }) {
  const row = useApi(`v1/logs/${encodeURIComponent(arg)}`);
  return html`
    <${PageHeader} title="Request"><a class="button secondary" href="#/logs">← All logs</a><//>
    <${Loaded} state=${row}>
      ${(r) => html`
        <${Card} title=${r.request_id}>
          <dl class="facts">
            <div><dt>Time</dt><dd>${time(r.created_at)}</dd></div>
            <div><dt>Status</dt><dd><${StatusCode} status=${r.status} />${r.error_code ? html` <${Badge} value=${r.error_code} tone="bad" />` : ''}</dd></div>
            <div><dt>Route</dt><dd>${r.route}${r.stream ? ' (stream)' : ''}</dd></div>
            <div><dt>Model / provider</dt><dd>${r.model ?? '—'} / ${r.provider ?? '—'}</dd></div>
            <div><dt>Key</dt><dd>${r.key_alias ?? r.key_id ?? 'no virtual key'}${r.team_id ? ` · team ${r.team_name ? `'${r.team_name}'` : r.team_id}` : ''}</dd></div>
            <div><dt>Attempts</dt><dd>${r.attempts}</dd></div>
            <div><dt>Latency</dt><dd>${ms(r.latency_ms)}</dd></div>
            <div><dt>Time to first token</dt><dd>${ms(r.ttft_ms)}</dd></div>
            <div><dt>Tokens</dt><dd>${num(r.input_tokens)} in · ${num(r.output_tokens)} out${r.cached_tokens ? ` · ${num(r.cached_tokens)} cached` : ''}${r.reasoning_tokens ? ` · ${num(r.reasoning_tokens)} reasoning` : ''}</dd></div>
            <div><dt>Cost</dt><dd>${usd(r.cost_usd)}</dd></div>
            <div><dt>Response cache</dt><dd>${r.cache_hit ? 'hit' : 'miss or off'}</dd></div>
          </dl>
        <//>
        ${r.guardrails?.length ? html`<${Card} title="Guardrails"><${GuardrailOutcomes} outcomes=${r.guardrails} /><//>` : ''}
        <div class="grid two">
          <${Card} title="Request body"><${Body} value=${r.request_body} /><//>
          <${Card} title="Answer"><${Body} value=${r.response_body} /><//>
        </div>`}
    <//>`;
}

/** A stored body as text (never as HTML), or why there is none. */
function Body({ value }) {
  if (value === null || value === undefined) return html`<p class="muted">Not stored. Bodies are kept when request_logs.store_bodies (or the key's or team's store_bodies) is on.</p>`;
  return html`<pre class="body" tabindex="0">${typeof value === 'string' ? value : JSON.stringify(value, null, 2)}</pre>`;
}
