// Providers: each one's status and why, its circuit breaker, last health check, error rate, latency and
// models; run a health check, refresh the model list and set the model selection.
import { api, useAction, useApi } from '../lib/api.js';
import { Badge, Card, ErrorBox, Field, Loaded, Loading, PageHeader } from '../lib/components.js';
import { ago, ms, num, pct } from '../lib/format.js';
import { html, useState } from '../lib/html.js';

export function ProvidersPage() {
  const providers = useApi('providers', { refreshMs: 10_000 });
  const checkAll = useAction(async () => {
    const answer = await api('check', { method: 'POST', body: {} });
    providers.reload();
    return answer;
  });
  const result = checkAll.result;
  return html`
    <${PageHeader} title="Providers">
      <button type="button" onClick=${checkAll.run} disabled=${checkAll.busy}>${checkAll.busy ? 'Checking…' : 'Check all now'}</button>
    <//>
    <${ErrorBox} error=${checkAll.error} />
    ${result && html`<p class="notice" role="status">Checked ${result.results.length} provider(s): ${result.results.filter((r) => r.ok).length} answered. Gateway ${result.status}, health score ${result.health_score}.</p>`}
    <${Loaded} state=${providers} empty=${(d) => d.providers.length === 0} emptyText="No providers are configured.">
      ${(d) => d.providers.map((p) => html`<${Provider} provider=${p} onChanged=${providers.reload} key=${p.name} />`)}
    <//>`;
}

function Provider({ provider: p, onChanged }) {
  const [open, setOpen] = useState(false);
  const check = useAction(async () => {
    const answer = await api('check', { method: 'POST', body: { provider: p.name } });
    onChanged();
    return answer.results[0];
  });
  const passive = p.health?.passive;
  const breaker = p.circuit_breaker;
  return html`<${Card} title=${p.name} className="provider">
    <div class="provider-head">
      <${Badge} value=${p.enabled ? p.status : 'disabled'} />
      <span class="muted">${p.type} · ${p.source} · priority ${p.priority} · weight ${p.weight}</span>
      <span class="actions">
        <button type="button" class="secondary" onClick=${check.run} disabled=${check.busy || !p.enabled}>${check.busy ? 'Checking…' : 'Run health check'}</button>
        <button type="button" class="secondary" aria-expanded=${open} onClick=${() => setOpen(!open)}>${open ? 'Hide models' : 'Models'}</button>
      </span>
    </div>
    ${(p.health?.reason || p.disabled_reason) && html`<p class="reason">${p.disabled_reason ?? p.health.reason}</p>`}
    <dl class="facts">
      <div><dt>Circuit breaker</dt><dd><${Badge} value=${breaker?.state} /> ${breaker?.failures ? `${breaker.failures} failures` : ''}${breaker?.last_failure ? html` · <span>${breaker.last_failure}</span>` : ''}</dd></div>
      <div><dt>Last check</dt><dd><${LastCheck} check=${p.health?.last_check} />${p.health?.consecutive_failures ? ` · ${p.health.consecutive_failures} failed in a row` : ''}</dd></div>
      <div><dt>Error rate (${passive ? `${passive.window_s / 60} min` : '—'})</dt><dd>${passive ? `${pct(passive.error_rate)} of ${num(passive.requests)}` : '—'}</dd></div>
      <div><dt>Average latency</dt><dd>${ms(passive?.avg_latency_ms ?? null)}</dd></div>
      <div><dt>Models (configured)</dt><dd>${p.models.join(', ')}</dd></div>
    </dl>
    <${ErrorBox} error=${check.error} />
    ${check.result && html`<p class="notice" role="status">Health check: ${check.result.ok ? 'answered' : 'failed'} in ${ms(check.result.latency_ms)} → ${check.result.status}${check.result.error ? ` (${check.result.error})` : ''}</p>`}
    ${open && html`<${RecentErrors} name=${p.name} /><${Models} name=${p.name} />`}
  <//>`;
}

function LastCheck({ check }) {
  if (!check) return 'not yet';
  return html`<${Badge} value=${check.ok ? 'passed' : 'failed'} tone=${check.ok ? 'ok' : 'bad'} /> ${ago(check.checked_at)}, ${ms(check.latency_ms)}${check.error ? html` · <span>${check.error}</span>` : ''}`;
}

/** The provider's last errors, from health checks and from requests. */
function RecentErrors({ name }) {
  const status = useApi(`status/${encodeURIComponent(name)}`);
  if (!status.data) return status.error ? html`<${ErrorBox} error=${status.error} retry=${status.reload} />` : null;
  const errors = status.data.recent_errors ?? [];
  return html`<div class="models">
    <h3>Recent errors</h3>
    ${errors.length === 0 ? html`<p class="muted">None recorded.</p>` : html`<div class="table-wrap"><table class="compact">
      <thead><tr><th>When</th><th>From</th><th>Status</th><th>Error</th></tr></thead>
      <tbody>${errors.slice(-10).reverse().map((e) => html`<tr><td>${ago(e.at)}</td><td>${e.source}</td><td>${e.status ?? e.kind ?? '—'}</td><td>${e.message}</td></tr>`)}</tbody>
    </table></div>`}
  </div>`;
}

function Models({ name }) {
  const models = useApi(`v1/providers/${encodeURIComponent(name)}/models`);
  const [choice, setChoice] = useState('');
  const action = useAction(async (work) => {
    const message = await work();
    models.reload();
    return message;
  });
  const { busy, error, result: message } = action;
  const act = action.run;
  const refresh = () => act(async () => {
    const out = await api(`v1/providers/${encodeURIComponent(name)}/models/refresh`, { method: 'POST' });
    return `Model list refreshed: ${out.total ?? out.data?.length ?? 0} models.`;
  });
  const select = (event) => {
    event.preventDefault();
    act(async () => {
      const out = await api(`v1/providers/${encodeURIComponent(name)}/model_selection`, { method: 'PUT', body: { selected_model: choice } });
      return `Selected model is now ${out.selected_model}.`;
    });
  };
  if (!models.data) return models.error ? html`<${ErrorBox} error=${models.error} retry=${models.reload} />` : html`<${Loading} label="Loading models…" />`;
  const d = models.data;
  const selected = d.selected_model ?? null;
  return html`<div class="models">
    <div class="models-head">
      <span>${d.total} models${d.cached ? ' (cached)' : ''} · refreshed ${ago(d.last_refresh)}${selected ? html` · selected: <strong>${selected}</strong>` : ''}</span>
      <button type="button" class="secondary" onClick=${refresh} disabled=${busy}>Refresh models</button>
    </div>
    ${d.live_error && html`<p class="reason">Live list unavailable: ${d.live_error}</p>`}
    <form class="inline-form" onSubmit=${select}>
      <${Field} label="Model selection" error=${error?.param === 'selected_model' ? error.message : null}>
        <select value=${choice} onChange=${(e) => setChoice(e.currentTarget.value)} required>
          <option value="">Choose a model…</option>
          ${d.data.map((m) => html`<option value=${m.id}>${m.id}</option>`)}
        </select>
      <//>
      <button type="submit" disabled=${busy || !choice}>Set selected model</button>
    </form>
    ${error && error.param !== 'selected_model' && html`<${ErrorBox} error=${error} />`}
    ${message && html`<p class="notice" role="status">${message}</p>`}
    <div class="table-wrap"><table class="compact">
      <thead><tr><th>Model</th><th>Owned by</th><th>Context</th><th>Capabilities</th></tr></thead>
      <tbody>${d.data.map((m) => html`<tr class=${m.selected ? 'selected' : ''}><td>${m.id}${m.selected ? html` <${Badge} value="selected" tone="ok" />` : ''}</td><td>${m.owned_by ?? '—'}</td><td>${num(m.context_window)}</td><td>${(m.capabilities ?? []).join(', ') || '—'}</td></tr>`)}</tbody>
    </table></div>
  </div>`;
}
