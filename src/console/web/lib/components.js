// Building blocks shared by the pages: loading, empty and error states, cards, badges, the budget bar,
// labelled form fields with their error beside them, dialogs and the copy button.
import { cloneElement, html, useEffect, useRef, useState } from './html.js';
import { usd } from './format.js';

export function Loading({ label = 'Loading…' }) {
  return html`<p class="state loading" role="status" aria-live="polite"><span class="spinner" aria-hidden="true"></span>${label}</p>`;
}

export function Empty({ children }) {
  return html`<p class="state empty">${children}</p>`;
}

export function ErrorBox({ error, retry }) {
  if (!error) return null;
  return html`<div class="state error" role="alert">
    <strong>${error.status ? `Error ${error.status}` : 'Error'}</strong>
    <span>${error.message}</span>
    ${retry && html`<button type="button" class="secondary" onClick=${retry}>Try again</button>`}
  </div>`;
}

/** The three states of something loaded with useApi, then `children(data)`. */
export function Loaded({ state, empty, emptyText = 'Nothing here yet.', children }) {
  if (state.error && !state.data) return html`<${ErrorBox} error=${state.error} retry=${state.reload} />`;
  if (!state.data) return html`<${Loading} />`;
  if (empty && empty(state.data)) return html`<${Empty}>${emptyText}<//>`;
  return html`${state.error && html`<${ErrorBox} error=${state.error} retry=${state.reload} />`}${children(state.data)}`;
}

export function PageHeader({ title, children }) {
  return html`<header class="page-header"><h1>${title}</h1><div class="actions">${children}</div></header>`;
}

export function Card({ title, children, className = '' }) {
  return html`<section class=${`card ${className}`} aria-label=${title}>${title && html`<h2>${title}</h2>`}${children}</section>`;
}

export function Stat({ label, value, hint, tone }) {
  return html`<div class=${`stat ${tone ? `tone-${tone}` : ''}`}><span class="stat-label">${label}</span><span class="stat-value">${value}</span>${hint && html`<span class="stat-hint">${hint}</span>`}</div>`;
}

const TONES = { healthy: 'ok', active: 'ok', closed: 'ok', loaded: 'ok', degraded: 'warn', half_open: 'warn', warning: 'warn', acknowledged: 'warn', expired: 'muted', disabled: 'muted', resolved: 'muted', info: 'muted', unhealthy: 'bad', open: 'bad', revoked: 'bad', critical: 'bad', error: 'bad' };

export function Badge({ value, tone }) {
  const text = value ?? '—';
  return html`<span class=${`badge tone-${tone ?? TONES[text] ?? 'muted'}`}>${String(text).replace('_', ' ')}</span>`;
}

export function StatusCode({ status }) {
  const tone = status >= 500 ? 'bad' : status >= 400 ? 'warn' : 'ok';
  return html`<span class=${`badge tone-${tone}`}>${status}</span>`;
}

/** Spend against a budget: a meter, labelled with both figures. */
export function BudgetBar({ usage }) {
  if (!usage) return html`<span class="muted">no budget</span>`;
  const used = usage.spent_usd + usage.reserved_usd;
  const share = usage.max_usd > 0 ? Math.min(1, used / usage.max_usd) : 1;
  const tone = share >= 1 ? 'bad' : share >= 0.8 ? 'warn' : 'ok';
  const label = `${usd(usage.spent_usd)} of ${usd(usage.max_usd)} (${usage.period})`;
  return html`<div class="budget" title=${usage.resets_at ? `resets ${usage.resets_at}` : 'does not reset'}>
    <div class=${`bar tone-${tone}`} role="meter" aria-valuemin="0" aria-valuemax=${usage.max_usd} aria-valuenow=${used} aria-label=${`Budget used: ${label}`}>
      <span style=${{ width: `${(share * 100).toFixed(1)}%` }}></span>
    </div>
    <span class="budget-label">${label}</span>
  </div>`;
}

let fieldIds = 0;
/** A labelled control; `error` (a message) is shown beside it and tied to it for screen readers. */
export function Field({ label, error, hint, children, wide = false }) {
  const id = useRef(`field-${++fieldIds}`).current;
  const control = Array.isArray(children) ? children[0] : children;
  const describedBy = error ? `${id}-error` : hint ? `${id}-hint` : undefined;
  const wired = control && control.props ? cloneElement(control, { id, 'aria-invalid': error ? 'true' : undefined, 'aria-describedby': describedBy }) : control;
  return html`<div class=${`field ${wide ? 'wide' : ''} ${error ? 'has-error' : ''}`}>
    <label for=${id}>${label}</label>
    ${wired}
    ${hint && !error && html`<small id=${`${id}-hint`} class="hint">${hint}</small>`}
    ${error && html`<small id=${`${id}-error`} class="field-error" role="alert">${error}</small>`}
  </div>`;
}

/** A modal dialog (the native <dialog>: focus is kept inside, Escape closes it). */
export function Dialog({ title, onClose, children }) {
  const ref = useRef(null);
  useEffect(() => {
    const dialog = ref.current;
    dialog.showModal();
    const cancel = (event) => {
      event.preventDefault();
      onClose();
    };
    dialog.addEventListener('cancel', cancel);
    return () => dialog.removeEventListener('cancel', cancel);
  }, []);
  return html`<dialog ref=${ref} aria-labelledby="dialog-title" class="dialog">
    <header><h2 id="dialog-title">${title}</h2><button type="button" class="icon" aria-label="Close" onClick=${onClose}>×</button></header>
    ${children}
  </dialog>`;
}

export function CopyButton({ text, label = 'Copy' }) {
  const [done, setDone] = useState(null);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(text);
      setDone('Copied');
    } catch {
      setDone('Select the text and copy it');
    }
    setTimeout(() => setDone(null), 2000);
  };
  return html`<button type="button" class="secondary" onClick=${copy}>${done ?? label}</button><span class="sr-only" aria-live="polite">${done ?? ''}</span>`;
}

/** A secret shown once, with a copy button and the warning that it will not be shown again. */
export function Secret({ value }) {
  return html`<div class="secret">
    <p><strong>Copy this key now.</strong> It is shown only once; the gateway keeps only its digest.</p>
    <div class="secret-row"><code class="secret-value" data-testid="secret">${value}</code><${CopyButton} text=${value} /></div>
  </div>`;
}

export function Tabs({ tabs, current, onChange }) {
  return html`<div class="tabs" role="tablist">
    ${tabs.map(([id, label]) => html`<button type="button" role="tab" aria-selected=${current === id} class=${current === id ? 'tab active' : 'tab'} onClick=${() => onChange(id)}>${label}</button>`)}
  </div>`;
}

/** Newer/older over cursor pages: `cursors` led to this page (empty on the first); the last one is current. */
export function Pager({ cursors, next, onChange }) {
  return html`<nav class="pager" aria-label="Pages">
    <button type="button" class="secondary" disabled=${cursors.length === 0} onClick=${() => onChange(cursors.slice(0, -1))}>← Newer</button>
    <span>Page ${cursors.length + 1}</span>
    <button type="button" class="secondary" disabled=${!next} onClick=${() => onChange([...cursors, next])}>Older →</button>
  </nav>`;
}
