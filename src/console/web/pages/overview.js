// Overview: is the gateway well? Health, the traffic of the model routes as live charts (requests/s,
// errors, latency, tokens/s, cost/hour) over a chosen window, active alerts and the providers at a glance.
import { useApi } from '../lib/api.js';
import { TimeChart } from '../lib/chart.js';
import { Badge, Card, Empty, ErrorBox, Loaded, Loading, PageHeader, Stat } from '../lib/components.js';
import { ago, ms, num, pct, usd, usdAxis } from '../lib/format.js';
import { html, useState } from '../lib/html.js';

const WINDOWS = [
  ['15m', 'Last 15 minutes', 5000],
  ['1h', 'Last hour', 10_000],
  ['6h', 'Last 6 hours', 30_000],
  ['24h', 'Last 24 hours', 60_000],
  ['7d', 'Last 7 days (ledger)', 300_000],
];

export function OverviewPage() {
  const [span, setSpan] = useState('15m');
  const refreshMs = WINDOWS.find(([id]) => id === span)[2];
  const health = useApi('health', { refreshMs: 5000 });
  const series = useApi('v1/console/timeseries', { query: { window: span }, refreshMs });
  const alerts = useApi('v1/alerts', { query: { status: 'active' }, refreshMs: 10_000 });
  const providers = useApi('status', { refreshMs: 10_000 });
  return html`
    <${PageHeader} title="Overview">
      <label class="inline">Window
        <select value=${span} onChange=${(e) => setSpan(e.currentTarget.value)}>
          ${WINDOWS.map(([id, label]) => html`<option value=${id}>${label}</option>`)}
        </select>
      </label>
    <//>
    <${Summary} health=${health} series=${series} />
    <${Charts} series=${series} />
    <div class="grid two">
      <${Card} title="Active alerts">
        <${Loaded} state=${alerts} empty=${(d) => d.data.length === 0} emptyText="No active alerts.">
          ${(d) => html`<ul class="alert-list">${d.data.map((a) => html`<li><${Badge} value=${a.severity} /> <strong>${a.rule}</strong> <span>${a.message}</span> <span class="muted">${ago(a.started_at)}</span></li>`)}</ul>`}
        <//>
        <p><a href="#/alerts">All alerts and rules →</a></p>
      <//>
      <${Card} title="Providers">
        <${Loaded} state=${providers} empty=${(d) => d.providers.length === 0} emptyText="No providers configured.">
          ${(d) => html`<table class="compact"><thead><tr><th>Provider</th><th>Status</th><th>Breaker</th><th>Latency</th><th>Errors</th></tr></thead>
            <tbody>${d.providers.map((p) => html`<tr><td>${p.name}</td><td><${Badge} value=${p.status} /></td><td><${Badge} value=${p.circuit_breaker?.state} /></td><td>${ms(p.latency_ms)}</td><td>${pct(p.error_rate)}</td></tr>`)}</tbody></table>`}
        <//>
        <p><a href="#/providers">Providers →</a></p>
      <//>
    </div>`;
}

function Summary({ health, series }) {
  const h = health.data;
  const s = series.data;
  const age = s?.since ? (Date.now() - Date.parse(s.since)) / 1000 : Infinity;
  const seconds = s ? Math.max(1, Math.min(s.columns.t.length * s.step_s, age)) : 1;
  const t = s?.totals;
  const errorPct = t && t.requests ? (100 * t.errors) / t.requests : null;
  return html`<div class="stats" aria-live="polite">
    ${h ? html`<${Stat} label="Status" value=${html`<${Badge} value=${h.status} />`} hint=${`health score ${h.health_score} · ${h.providers.healthy}/${h.providers.enabled} providers healthy`} tone=${h.status === 'healthy' ? 'ok' : h.status === 'degraded' ? 'warn' : 'bad'} />` : health.error ? html`<${ErrorBox} error=${health.error} />` : html`<${Loading} />`}
    <${Stat} label="Requests/s" value=${t ? num(t.requests / seconds, 2) : '…'} hint=${t ? `${num(t.requests)} requests` : ''} />
    <${Stat} label="Errors" value=${t ? pct(errorPct) : '…'} hint=${t ? `${num(t.errors)} 5xx · ${num(t.client_errors)} 4xx` : ''} tone=${errorPct > 5 ? 'bad' : errorPct > 1 ? 'warn' : undefined} />
    ${s?.source === 'ledger' ? html`<${Stat} label="Latency (average)" value=${ms(t.avg_ms)} hint="the ledger keeps no percentiles" />` : html`<${Stat} label="Latency p50 / p95" value=${t ? `${ms(t.p50_ms)} / ${ms(t.p95_ms)}` : '…'} hint=${t ? `average ${ms(t.avg_ms)}` : ''} />`}
    <${Stat} label="Tokens/s" value=${t ? num((t.input_tokens + t.output_tokens) / seconds, 1) : '…'} hint=${t ? `${num(t.input_tokens)} in · ${num(t.output_tokens)} out` : ''} />
    <${Stat} label="Cost per hour" value=${t ? usd((t.cost_usd * 3600) / seconds) : '…'} hint=${t ? `${usd(t.cost_usd)} in this window` : ''} />
  </div>`;
}

function Charts({ series }) {
  if (series.error && !series.data) return html`<${ErrorBox} error=${series.error} retry=${series.reload} />`;
  if (!series.data) return html`<${Loading} label="Loading traffic…" />`;
  const { columns: c, source, since } = series.data;
  if (series.data.totals.requests === 0) {
    return html`<${Empty}>No model requests in this window${source === 'memory' ? ` (counted since the gateway started, ${ago(since)})` : ''}. Charts appear with the first request.<//>`;
  }
  const latency = source === 'memory' ? [c.t, c.p50_ms, c.p95_ms] : [c.t, c.avg_ms];
  const latencySeries = source === 'memory' ? [{ label: 'p50' }, { label: 'p95', color: '#d97706' }] : [{ label: 'average' }];
  return html`<div class="grid charts" data-testid="charts">
    <${TimeChart} title="Requests per second" columns=${[c.t, c.requests_per_s]} series=${[{ label: 'req/s' }]} format=${(v) => num(v, 2)} />
    <${TimeChart} title="Errors (5xx, % of requests)" columns=${[c.t, c.error_pct]} series=${[{ label: 'errors', color: '#dc2626' }]} format=${(v) => `${num(v, 1)}%`} />
    <${TimeChart} title="Latency" columns=${latency} series=${latencySeries} format=${(v) => ms(v)} />
    <${TimeChart} title="Tokens per second" columns=${[c.t, c.tokens_per_s]} series=${[{ label: 'tokens/s', color: '#16a34a' }]} format=${(v) => num(v, 1)} />
    <${TimeChart} title="Cost per hour" columns=${[c.t, c.cost_per_hour]} series=${[{ label: 'USD/h', color: '#7c3aed' }]} format=${(v) => usd(v)} axis=${usdAxis} />
    ${source === 'ledger' ? html`<p class="muted">Read from the request ledger, one point per hour.</p>` : html`<p class="muted">In memory since the gateway started (${ago(since)}); one point per ${series.data.step_s} s.</p>`}
  </div>`;
}
