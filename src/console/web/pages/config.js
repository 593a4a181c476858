// Configuration: what is loaded (files, version, providers), validation errors, the last reload with its
// changes and the settings that need a restart, and a reload button.
import { api, useAction, useApi } from '../lib/api.js';
import { Badge, Card, ErrorBox, Loaded, PageHeader } from '../lib/components.js';
import { num, time } from '../lib/format.js';
import { html } from '../lib/html.js';

export function ConfigPage() {
  const status = useApi('v1/config/status', { refreshMs: 15_000 });
  const reload = useAction(async () => {
    try {
      return await api('v1/config/reload', { method: 'POST' });
    } catch (error) {
      // A refused reload answers 400 with the same result object.
      return error.body && 'success' in error.body ? error.body : { success: false, message: error.message, errors: [], changes: [], restart_required: [] };
    } finally {
      status.reload();
    }
  });
  const result = reload.result;
  return html`
    <${PageHeader} title="Configuration">
      <button type="button" onClick=${reload.run} disabled=${reload.busy}>${reload.busy ? 'Reloading…' : 'Reload configuration'}</button>
    <//>
    ${result && html`<${ReloadResult} result=${result} title="This reload" />`}
    <${Loaded} state=${status}>
      ${(s) => html`
        <${Card} title="Loaded configuration">
          <dl class="facts">
            <div><dt>Status</dt><dd><${Badge} value=${s.status} /></dd></div>
            <div><dt>Version</dt><dd>${s.config_version}</dd></div>
            <div><dt>Last loaded</dt><dd>${time(s.last_loaded)} (${num(s.load_time_ms, 2)} ms)</dd></div>
            <div><dt>Files</dt><dd>${s.config_files.length ? html`<ul class="plain">${s.config_files.map((f) => html`<li><code>${f}</code></li>`)}</ul>` : 'built-in defaults only'}</dd></div>
            <div><dt>Size</dt><dd>${num(s.file_size_bytes)} bytes</dd></div>
            <div><dt>Providers</dt><dd>${s.providers_enabled} enabled of ${s.providers_configured}</dd></div>
            <div><dt>Hot reload</dt><dd>${s.watching ? 'on: file changes are applied by themselves' : 'off'}</dd></div>
            <div><dt>Response cache</dt><dd>${s.cache_status?.enabled ? `${s.cache_status.backend}, ${num(s.cache_status.entries)} entries` : 'off'}</dd></div>
          </dl>
        <//>
        ${s.validation_errors.length > 0 && html`<${Card} title="Validation errors" className="bad">
          <p>The last change was refused; the configuration above keeps serving.</p>
          <ul>${s.validation_errors.map((e) => html`<li><code>${e}</code></li>`)}</ul>
        <//>`}
        ${s.last_reload ? html`<${ReloadResult} result=${s.last_reload} title="Last reload" />` : html`<${Card} title="Last reload"><p class="muted">No reload since the gateway started.</p><//>`}`}
    <//>`;
}

function ReloadResult({ result, title }) {
  return html`<${Card} title=${title} className=${result.success ? '' : 'bad'}>
    <p role="status"><${Badge} value=${result.success ? 'loaded' : 'error'} /> ${result.message}${result.reload_time_ms !== undefined ? ` (${num(result.reload_time_ms, 2)} ms, version ${result.config_version})` : ''}</p>
    ${result.changes?.length > 0 && html`<h3>Changes</h3><ul>${result.changes.map((c) => html`<li>${c}</li>`)}</ul>`}
    ${result.restart_required?.length > 0 && html`<p class="reason"><strong>Restart required</strong> for: ${result.restart_required.join(', ')}. The running values are kept until then.</p>`}
    ${result.errors?.length > 0 && html`<${ErrorBox} error=${{ message: result.errors.join('; ') }} />`}
  <//>`;
}
