// The console's shell: sign-in with an admin key, the 403 page for other keys, the header (gateway
// health, sign-out), the navigation and hash routing (#/keys, #/logs/<id>), so any path prefix works.
import { api, onAuthProblem, session, useApi } from './lib/api.js';
import { Badge, ErrorBox, Field, Loading } from './lib/components.js';
import { html, render, useEffect, useRef, useState } from './lib/html.js';
import { AlertsPage } from './pages/alerts.js';
import { ConfigPage } from './pages/config.js';
import { FleetPage } from './pages/fleet.js';
import { GuardrailsPage } from './pages/guardrails.js';
import { KeysPage } from './pages/keys.js';
import { LogDetail, LogsPage } from './pages/logs.js';
import { OverviewPage } from './pages/overview.js';
import { ProvidersPage } from './pages/providers.js';
import { UsagePage } from './pages/usage.js';

const PAGES = [
  ['overview', 'Overview', OverviewPage],
  ['providers', 'Providers', ProvidersPage],
  ['keys', 'Keys and teams', KeysPage],
  ['usage', 'Usage and spend', UsagePage],
  ['logs', 'Logs', LogsPage],
  ['guardrails', 'Guardrails', GuardrailsPage],
  ['alerts', 'Alerts', AlertsPage],
  ['fleet', 'Fleet', FleetPage],
  ['config', 'Configuration', ConfigPage],
];

function currentRoute() {
  const [page = 'overview', ...rest] = window.location.hash.replace(/^#\/?/, '').split('/');
  return { page, arg: rest.length ? decodeURIComponent(rest.join('/')) : null };
}

function SignIn({ onSignedIn, problem }) {
  const [key, setKey] = useState('');
  const [error, setError] = useState(problem);
  const [busy, setBusy] = useState(false);
  const input = useRef(null);
  // The field has focus whenever this form appears (autofocus works only on a page's first load).
  useEffect(() => input.current?.focus(), []);
  const submit = async (event) => {
    event.preventDefault();
    if (!key.trim()) return setError('Enter an admin key.');
    setBusy(true);
    try {
      await api('v1/config/status', { key: key.trim(), quiet: true });
      session.key = key.trim();
      onSignedIn('ready');
    } catch (err) {
      if (err.status === 403) {
        session.key = key.trim();
        onSignedIn('forbidden');
      } else setError(err.status === 401 ? 'That key is not valid.' : err.message);
    } finally {
      setBusy(false);
    }
  };
  return html`<main class="signin">
    <form class="card" onSubmit=${submit} method="post" action="#" autocomplete="off">
      <h1>llm-proxy console</h1>
      <p>Sign in with an admin key. It is kept in this tab only and sent as a Bearer header.</p>
      <${Field} label="Admin key" error=${error}>
        <input ref=${input} type="password" name="admin-key" value=${key} onInput=${(e) => setKey(e.currentTarget.value)} spellcheck="false" />
      <//>
      <button type="submit" disabled=${busy}>${busy ? 'Signing in…' : 'Sign in'}</button>
    </form>
  </main>`;
}

function Forbidden({ onSignOut }) {
  return html`<main class="signin">
    <section class="card forbidden" role="alert">
      <h1>403 — admin key needed</h1>
      <p>This key may call the gateway's model endpoints but not its admin API, so the console cannot show anything with it.</p>
      <button type="button" onClick=${onSignOut}>Sign in with another key</button>
    </section>
  </main>`;
}

function Health() {
  const { data: health } = useApi('health', { refreshMs: 15_000 });
  if (!health) return null;
  return html`<span class="health" title=${`health score ${health.health_score}`}><${Badge} value=${health.status} /> <span class="muted">${health.name} ${health.version} · ${health.environment}</span></span>`;
}

function Shell({ openMode, onSignOut }) {
  const [route, setRoute] = useState(currentRoute());
  useEffect(() => {
    const changed = () => setRoute(currentRoute());
    window.addEventListener('hashchange', changed);
    return () => window.removeEventListener('hashchange', changed);
  }, []);
  const entry = PAGES.find(([id]) => id === route.page) ?? PAGES[0];
  const Page = route.page === 'logs' && route.arg ? LogDetail : entry[2];
  useEffect(() => {
    document.title = `${entry[1]} · llm-proxy console`;
  }, [entry[1]]);
  return html`<div class="shell">
    <header class="top">
      <a class="brand" href="#/overview">llm-proxy</a>
      <${Health} />
      ${openMode ? html`<span class="badge tone-warn" title="No API keys are configured: the gateway is open to anyone who can reach it">open: no keys configured</span>` : html`<button type="button" class="secondary" onClick=${onSignOut}>Sign out</button>`}
    </header>
    <nav class="side" aria-label="Console pages">
      ${PAGES.map(([id, label]) => html`<a href=${`#/${id}`} aria-current=${id === entry[0] ? 'page' : undefined}>${label}</a>`)}
    </nav>
    <main class="content" id="main"><${Page} arg=${route.arg} key=${`${entry[0]}/${route.arg ?? ''}`} /></main>
  </div>`;
}

function App() {
  // checking → signin | forbidden | ready (open: the gateway has no keys, so none is needed)
  const [state, setState] = useState({ phase: 'checking', problem: null, open: false });
  const check = async () => {
    try {
      await api('v1/config/status', { quiet: true });
      setState({ phase: 'ready', problem: null, open: !session.key });
    } catch (error) {
      if (error.status === 403) setState({ phase: 'forbidden', problem: null, open: false });
      else if (error.status === 401) {
        const hadKey = Boolean(session.key);
        session.key = null;
        setState({ phase: 'signin', problem: hadKey ? 'Your key no longer works; sign in again.' : null, open: false });
      } else setState({ phase: 'error', problem: error, open: false });
    }
  };
  useEffect(() => {
    check();
    return onAuthProblem((error) => {
      if (error.status === 401) {
        session.key = null;
        setState({ phase: 'signin', problem: 'Your key no longer works; sign in again.', open: false });
      } else setState((s) => (s.open ? s : { phase: 'forbidden', problem: null, open: false }));
    });
  }, []);
  const signOut = () => {
    session.key = null;
    setState({ phase: 'signin', problem: null, open: false });
  };
  switch (state.phase) {
    case 'checking':
      return html`<${Loading} label="Connecting to the gateway…" />`;
    case 'signin':
      return html`<${SignIn} problem=${state.problem} onSignedIn=${(phase) => (phase === 'ready' ? check() : setState({ phase, problem: null, open: false }))} />`;
    case 'forbidden':
      return html`<${Forbidden} onSignOut=${signOut} />`;
    case 'error':
      return html`<main class="signin"><${ErrorBox} error=${state.problem} retry=${check} /></main>`;
    default:
      return html`<${Shell} openMode=${state.open} onSignOut=${signOut} />`;
  }
}

render(html`<${App} />`, document.getElementById('app'));
