// The form for a virtual key or a team: name, models, rate limits, budget, body storage, expiry (keys),
// guardrails and metadata. Values go to the API as typed; what it refuses comes back with the field
// (`param`) it concerns and is shown beside that field.
import { api, useAction } from '../lib/api.js';
import { ErrorBox, Field } from '../lib/components.js';
import { numberOrText } from '../lib/format.js';
import { html, useState } from '../lib/html.js';
import { GuardrailPicker } from './guardrail-picker.js';

/** An ISO time as a datetime-local input's value (local time). */
function localInput(iso) {
  const date = new Date(iso);
  return new Date(date.getTime() - date.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
}

/** A key's or team's rate limits in a few words. */
export const limitsText = (item) => [item.rpm && `${item.rpm} rpm`, item.tpm && `${item.tpm} tpm`, item.max_parallel && `${item.max_parallel} parallel`].filter(Boolean).join(' · ') || 'none';

const text = (v) => (v === null || v === undefined ? '' : String(v));

function initial(item, kind) {
  const budget = item?.budget;
  return {
    name: text(kind === 'team' ? item?.name : item?.alias),
    team_id: text(item?.team_id),
    models: (item?.models ?? []).join(', '),
    rpm: text(item?.rpm),
    tpm: text(item?.tpm),
    max_parallel: text(item?.max_parallel),
    max_usd: text(budget?.max_usd),
    period: budget?.period ?? 'monthly',
    soft_limit_pct: text(budget?.soft_limit_pct),
    store_bodies: item?.store_bodies === true ? 'on' : item?.store_bodies === false ? 'off' : 'inherit',
    expires_at: item?.expires_at ? localInput(item.expires_at) : '',
    guardrails: item?.guardrails ?? [],
    metadata: item && Object.keys(item.metadata ?? {}).length ? JSON.stringify(item.metadata, null, 2) : '',
  };
}

function body(form, kind, creating) {
  const out = {};
  if (kind === 'team') out.name = form.name.trim();
  else {
    out.alias = form.name.trim() || null;
    out.team_id = form.team_id || null;
    out.expires_at = form.expires_at ? new Date(form.expires_at).toISOString() : null;
  }
  const models = form.models.split(',').map((m) => m.trim()).filter(Boolean);
  out.models = models.length ? models : null;
  for (const field of ['rpm', 'tpm', 'max_parallel']) out[field] = numberOrText(form[field]);
  const max = numberOrText(form.max_usd);
  out.budget = max === null ? null : { max_usd: max, period: form.period, soft_limit_pct: numberOrText(form.soft_limit_pct) };
  out.store_bodies = form.store_bodies === 'inherit' ? null : form.store_bodies === 'on';
  out.guardrails = form.guardrails.length ? form.guardrails : null;
  if (form.metadata.trim()) {
    try {
      out.metadata = JSON.parse(form.metadata);
    } catch {
      throw Object.assign(new Error('metadata must be a JSON object'), { param: 'metadata' });
    }
  } else out.metadata = {};
  if (creating) for (const [name, value] of Object.entries(out)) if (value === null) delete out[name];
  return out;
}

/**
 * `kind`: 'key' | 'team'; `item`: the one being edited (null to create); `teams`: for the team picker.
 * Calls onSaved(answer) after the API accepted it.
 */
export function LimitsForm({ kind, item, teams = [], onSaved, onCancel }) {
  const [form, setForm] = useState(() => initial(item, kind));
  const save = useAction(async () => {
    const payload = body(form, kind, !item);
    const path = kind === 'team' ? 'v1/teams' : 'v1/keys';
    onSaved(item ? await api(`${path}/${encodeURIComponent(item.id)}`, { method: 'PATCH', body: payload }) : await api(path, { method: 'POST', body: payload }));
  });
  const { busy, error } = save;
  const set = (name) => (event) => setForm({ ...form, [name]: event.currentTarget.value });
  const fieldError = (...params) => (error && params.includes(error.param) ? error.message : null);
  const submit = (event) => {
    event.preventDefault();
    save.run();
  };
  // A key's team adds its guardrails to the key's requests: shown ticked in the key's form.
  const teamGuardrails = kind === 'key' ? (teams.find((t) => t.id === form.team_id)?.guardrails ?? []) : [];
  const known = new Set(['name', 'alias', 'team_id', 'models', 'rpm', 'tpm', 'max_parallel', 'budget', 'budget.max_usd', 'budget.period', 'budget.soft_limit_pct', 'store_bodies', 'expires_at', 'guardrails', 'metadata']);
  return html`<form class="form" onSubmit=${submit} novalidate>
    <div class="form-grid">
      <${Field} label=${kind === 'team' ? 'Name' : 'Alias'} error=${fieldError('name', 'alias')} hint=${kind === 'team' ? 'Required' : 'Shown in logs, spend and metrics'}>
        <input value=${form.name} onInput=${set('name')} maxlength="128" />
      <//>
      ${kind === 'key' && html`<${Field} label="Team" error=${fieldError('team_id')}>
        <select value=${form.team_id} onChange=${set('team_id')}>
          <option value="">No team</option>
          ${teams.map((t) => html`<option value=${t.id}>${t.name}</option>`)}
        </select>
      <//>`}
      <${Field} label="Models" error=${fieldError('models')} hint="Comma-separated names or globs (gpt-4o*); empty: every model" wide>
        <input value=${form.models} onInput=${set('models')} />
      <//>
      <${Field} label="Requests per minute" error=${fieldError('rpm')}><input inputmode="numeric" value=${form.rpm} onInput=${set('rpm')} /><//>
      <${Field} label="Tokens per minute" error=${fieldError('tpm')}><input inputmode="numeric" value=${form.tpm} onInput=${set('tpm')} /><//>
      <${Field} label="Requests in flight" error=${fieldError('max_parallel')}><input inputmode="numeric" value=${form.max_parallel} onInput=${set('max_parallel')} /><//>
      <${Field} label="Budget (USD)" error=${fieldError('budget', 'budget.max_usd')} hint="Empty: no budget"><input inputmode="decimal" value=${form.max_usd} onInput=${set('max_usd')} /><//>
      <${Field} label="Budget period" error=${fieldError('budget.period')}>
        <select value=${form.period} onChange=${set('period')}>${['daily', 'weekly', 'monthly', 'total'].map((p) => html`<option value=${p}>${p}</option>`)}</select>
      <//>
      <${Field} label="Warn at (% of budget)" error=${fieldError('budget.soft_limit_pct')}><input inputmode="numeric" value=${form.soft_limit_pct} onInput=${set('soft_limit_pct')} /><//>
      <${Field} label="Store request bodies" error=${fieldError('store_bodies')}>
        <select value=${form.store_bodies} onChange=${set('store_bodies')}>
          <option value="inherit">As configured${kind === 'key' ? ' (or the team)' : ''}</option><option value="on">Yes</option><option value="off">No</option>
        </select>
      <//>
      ${kind === 'key' && html`<${Field} label="Expires at" error=${fieldError('expires_at')} hint="Local time; empty: never"><input type="datetime-local" value=${form.expires_at} onInput=${set('expires_at')} /><//>`}
      <${GuardrailPicker} kind=${kind} value=${form.guardrails} inherited=${teamGuardrails} onChange=${(names) => setForm({ ...form, guardrails: names })} error=${fieldError('guardrails')} />
      <${Field} label="Metadata (JSON object)" error=${fieldError('metadata')} wide>
        <textarea rows="3" value=${form.metadata} onInput=${set('metadata')} spellcheck="false"></textarea>
      <//>
    </div>
    ${error && !known.has(error.param) && html`<${ErrorBox} error=${error} />`}
    <div class="form-actions">
      <button type="submit" disabled=${busy}>${busy ? 'Saving…' : item ? 'Save changes' : kind === 'team' ? 'Create team' : 'Create key'}</button>
      <button type="button" class="secondary" onClick=${onCancel}>Cancel</button>
    </div>
  </form>`;
}
