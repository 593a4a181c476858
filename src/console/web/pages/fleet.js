// Fleet: every proxy process the registry knows (replicas and workers) — host, worker, version, config
// hash, database, started, last seen — and a warning when the fleet is split (shared Redis, separate
// databases).
import { useApi } from '../lib/api.js';
import { Badge, Card, Loaded, PageHeader } from '../lib/components.js';
import { ago, time } from '../lib/format.js';
import { html } from '../lib/html.js';

export function FleetPage() {
  const fleet = useApi('v1/fleet', { refreshMs: 10_000 });
  return html`
    <${PageHeader} title="Fleet" />
    <${Loaded} state=${fleet}>
      ${(f) => html`
        ${f.split && html`<${Card} title="Split fleet" className="bad">
          <p role="alert">These processes share Redis but keep virtual keys, budgets and the ledger in different databases: a key made on one is unknown to the others, and spend reports cover one process each. Point every replica at one PostgreSQL (<code>database.url</code>).</p>
        <//>`}
        <${Card} title=${`${f.data.length} process${f.data.length === 1 ? '' : 'es'} (registry: ${f.registry})`}>
          <div class="table-wrap"><table class="compact">
            <thead><tr><th>Host</th><th>Worker</th><th>PID</th><th>Version</th><th>Config</th><th>Database</th><th>Started</th><th>Last seen</th></tr></thead>
            <tbody>${f.data.map(
              (i) => html`<tr class=${i.self ? 'selected' : ''}>
                <td>${i.host}${i.self ? html` <${Badge} value="this one" tone="ok" />` : ''}</td>
                <td>${i.worker}</td>
                <td>${i.pid}</td>
                <td>${i.version}</td>
                <td><code>${i.config_hash}</code></td>
                <td><code>${i.database}</code></td>
                <td title=${time(i.started_at)}>${ago(i.started_at)}</td>
                <td title=${time(i.last_seen)}>${ago(i.last_seen)}</td>
              </tr>`,
            )}</tbody>
          </table></div>
          ${new Set(f.data.map((i) => i.config_hash)).size > 1 && html`<p class="reason">Processes run different configurations (config hashes differ): a rollout or a reload may be in progress.</p>`}
        <//>`}
    <//>`;
}
