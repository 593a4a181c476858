// Guardrails attached to a key or a team: one checkbox per defined guardrail in the key and team forms
// (the defaults shown ticked and disabled: every request gets them), and the attached names in the lists.
import { useApi } from '../lib/api.js';
import { html } from '../lib/html.js';

/** The names attached to a key or team, for its row in a list. */
export function GuardrailNames({ names }) {
  if (!names?.length) return html`<span class="muted">—</span>`;
  return html`<span class="guardrail-names" data-testid="guardrails">${names.join(', ')}</span>`;
}

/**
 * `value`: the names attached to this key or team; `inherited`: those its team adds (a key's form), shown
 * ticked and disabled like the defaults. `onChange(names)`; `error`: the API's message for `guardrails`.
 */
export function GuardrailPicker({ kind, value, inherited = [], onChange, error }) {
  // The definitions are what the form needs: the shortest period keeps the decision counts' query small.
  const defs = useApi('v1/guardrails', { query: { hours: 0.01 } });
  const defined = defs.data?.data ?? [];
  // A name attached earlier but no longer defined is listed too, so it can be unticked (the API refuses it).
  const stale = value.filter((name) => !defined.some((g) => g.name === name));
  if (defs.error && !defs.data) return html`<p class="field wide field-error">Guardrails could not be loaded: ${defs.error.message}</p>`;
  if (defined.length === 0 && stale.length === 0) return null;
  const toggle = (name) => (event) => onChange(event.currentTarget.checked ? [...value, name] : value.filter((n) => n !== name));
  const option = (name, note, fixed) => html`<label key=${name} class=${fixed ? 'fixed' : ''}>
    <input type="checkbox" name="guardrail" value=${name} checked=${fixed || value.includes(name)} disabled=${fixed} onChange=${toggle(name)} />
    <span class="ident">${name}</span>${note && html`<small class="muted">${note}</small>`}
  </label>`;
  return html`<fieldset class=${`field wide checks ${error ? 'has-error' : ''}`} aria-describedby=${error ? 'guardrails-error' : undefined}>
    <legend>Guardrails</legend>
    <div class="check-list">
      ${defined.map((g) => {
        const what = `${g.type}, ${g.action}`;
        if (g.default) return option(g.name, `${what} · always on (default)`, true);
        if (inherited.includes(g.name) && !value.includes(g.name)) return option(g.name, `${what} · from the team`, true);
        return option(g.name, what, false);
      })}
      ${stale.map((name) => option(name, 'not defined any more', false))}
    </div>
    ${error ? html`<small id="guardrails-error" class="field-error" role="alert">${error}</small>` : html`<small class="hint">Added to the defaults for ${kind === 'team' ? "the team's keys" : "this key's requests"}.</small>`}
  </fieldset>`;
}
