// Guardrails: each defined check (type, phases, action, what happens when it fails, whether every request
// gets it) with its decisions per phase over a period, counted from the ledger; a guardrail's recent hits
// (masked, blocked, monitored or failed requests: entity labels only, never the values), each linked to
// its request in Logs. `#/guardrails/<name>` opens with that guardrail's hits.
import { useApi } from '../lib/api.js';
import { Badge, Card, Empty, Loaded, PageHeader } from '../lib/components.js';
import { ms, num, time } from '../lib/format.js';
import { html, useState } from '../lib/html.js';

const PERIODS = [
  [1, 'Last hour'],
  [24, 'Last 24 hours'],
  [168, 'Last 7 days'],
];
export const DECISIONS = ['pass', 'mask', 'block', 'monitor', 'error'];
const DECISION_TONES = { pass: 'ok', mask: 'warn', block: 'bad', monitor: 'muted', error: 'bad' };

export function DecisionBadge({ decision }) {
  return html`<${Badge} value=${decision} tone=${DECISION_TONES[decision] ?? 'muted'} />`;
}

/** What a definition looks for, in a few words (the API gives counts, not the patterns themselves). */
function detail(g) {
  if (g.type === 'pii') return g.entities === 'all' ? 'all PII entities' : g.entities.join(', ');
  if (g.type === 'secrets') return g.kinds === 'all' ? 'all secret kinds' : g.kinds.join(', ');
  if (g.type === 'regex') return `${g.patterns} pattern${g.patterns === 1 ? '' : 's'}`;
  return g.url;
}

/** The start of a request id: enough to tell rows apart; the whole id is the link's title and its page's heading. */
const shortId = (id) => (id.length > 13 ? `${id.slice(0, 12)}…` : id);

export function GuardrailsPage({ arg }) {
  const [hours, setHours] = useState(24);
  const [selected, setSelected] = useState(arg);
  const defs = useApi('v1/guardrails', { query: { hours }, refreshMs: 15_000 });
  const period = PERIODS.find(([h]) => h === hours)[1].toLowerCase();
  return html`
    <${PageHeader} title="Guardrails">
      <label class="inline">Period <select value=${hours} onChange=${(e) => setHours(Number(e.currentTarget.value))}>${PERIODS.map(([h, text]) => html`<option value=${h}>${text}</option>`)}</select></label>
      <button type="button" class="secondary" onClick=${defs.reload}>Refresh</button>
    <//>
    <p class="notice">Monitor mode records what a guardrail would do without changing anything: use it to tune false positives.</p>
    <${Loaded} state=${defs} empty=${(d) => d.data.length === 0} emptyText=${html`No guardrail is defined. Define them under <code>guardrails.definitions</code> in the configuration (pii, secrets, regex or webhook checks), list the ones every request gets in <code>guardrails.default</code>, and reload it on the Configuration page; keys and teams can then add theirs.`}>
      ${(d) => html`<${Card} title=${`Decisions, ${period}`}>
        <div class="table-wrap"><table class="guardrails">
          <thead><tr><th>Name</th><th>Type</th><th>Action</th><th>On error</th><th>Applies to</th><th>Phase</th>${DECISIONS.map((x) => html`<th class="num">${x}</th>`)}<th><span class="sr-only">Actions</span></th></tr></thead>
          <tbody>${d.data.flatMap((g) => g.phases.map((phase, i) => html`<tr key=${`${g.name}/${phase}`} data-guardrail=${g.name} data-phase=${phase} class=${selected === g.name ? 'selected' : ''}>
            ${i === 0 && html`<td rowspan=${g.phases.length} class="ident"><strong>${g.name}</strong></td>
            <td rowspan=${g.phases.length}>${g.type}<br /><small class="muted">${detail(g)}</small></td>
            <td rowspan=${g.phases.length}><${Badge} value=${g.action} tone=${g.action === 'block' ? 'bad' : g.action === 'mask' ? 'warn' : 'muted'} /></td>
            <td rowspan=${g.phases.length}>${g.on_error}</td>
            <td rowspan=${g.phases.length}>${g.default ? html`<${Badge} value="every request" tone="ok" />` : html`<span class="muted">per key or team</span>`}</td>`}
            <td>${phase}</td>
            ${DECISIONS.map((x) => html`<td class="num" data-decision=${x}>${num(g.decisions?.[phase]?.[x] ?? 0)}</td>`)}
            ${i === 0 && html`<td rowspan=${g.phases.length} class="ident"><button type="button" class="secondary" aria-pressed=${selected === g.name} onClick=${() => setSelected(g.name)}>Recent hits<span class="sr-only"> of ${g.name}</span></button></td>`}
          </tr>`))}</tbody>
        </table></div>
        <p class="muted">Counted from the request ledger since ${time(d.since)}. Defaults: ${d.default.length ? d.default.join(', ') : 'none'}. Streamed answers are checked every ${d.stream.window_chars} characters.</p>
      <//>
      ${selected && d.data.some((g) => g.name === selected) && html`<${Hits} name=${selected} hours=${hours} period=${period} key=${`${selected}/${hours}`} />`}`}
    <//>`;
}

function Hits({ name, hours, period }) {
  const hits = useApi('v1/guardrails/hits', { query: { name, hours, limit: 50 }, refreshMs: 15_000 });
  return html`<${Card} title=${`Recent hits: ${name}`} className="hits">
    <div class="toolbar"><span class="muted">Masked, blocked, monitored and failed checks, newest first; passes are only counted.</span><button type="button" class="secondary" onClick=${hits.reload}>Refresh hits</button></div>
    <${Loaded} state=${hits} empty=${(d) => d.data.length === 0} emptyText=${`No request was masked, blocked, monitored or failed by ${name} in the ${period}.`}>
      ${(d) => html`<div class="table-wrap"><table class="hits compact">
        <thead><tr><th>Time</th><th>Request</th><th>Key</th><th>Route</th><th>Model</th><th>Decision</th><th>Entities (findings)</th><th>Reason</th><th class="num">Time spent</th></tr></thead>
        <tbody>${d.data.map((h) => html`<tr key=${`${h.id}/${h.phase}`} data-request-id=${h.request_id}>
          <td class="ident">${time(h.created_at)}</td>
          <td class="ident"><a href=${`#/logs/${encodeURIComponent(h.id)}`} title=${h.request_id} aria-label=${`Request ${h.request_id}`}>${shortId(h.request_id)}</a></td>
          <td class="ident">${h.key_alias ?? h.key_id ?? html`<span class="muted">no virtual key</span>`}</td>
          <td class="ident">${h.route}</td>
          <td class="ident">${h.model ?? '—'}</td>
          <td class="ident"><${DecisionBadge} decision=${h.decision} /> <small class="muted">${h.phase}</small></td>
          <td><span>${h.entities?.length ? h.entities.join(', ') : '—'}</span> <small class="muted">(${num(h.hits)})</small></td>
          <td>${h.reason ?? '—'}</td>
          <td class="num">${ms(h.ms)}</td>
        </tr>`)}</tbody>
      </table></div>`}
    <//>
  <//>`;
}

/** A request's guardrail outcomes (its ledger row's `guardrails`), for the log detail. */
export function GuardrailOutcomes({ outcomes }) {
  if (!outcomes?.length) return html`<${Empty}>No guardrail ran on this request.<//>`;
  return html`<div class="table-wrap"><table class="outcomes compact">
    <thead><tr><th>Guardrail</th><th>Phase</th><th>Decision</th><th>Entities</th><th class="num">Findings</th><th>Reason</th><th class="num">Time spent</th></tr></thead>
    <tbody>${outcomes.map((o) => html`<tr key=${`${o.name}/${o.phase}`} data-guardrail=${o.name}>
      <td class="ident"><a href=${`#/guardrails/${encodeURIComponent(o.name)}`}>${o.name}</a></td>
      <td>${o.phase}</td>
      <td><${DecisionBadge} decision=${o.decision} /></td>
      <td>${o.entities?.length ? o.entities.join(', ') : '—'}</td>
      <td class="num">${num(o.hits)}</td>
      <td>${o.reason ?? '—'}</td>
      <td class="num">${ms(o.ms)}</td>
    </tr>`)}</tbody>
  </table></div>`;
}
