// Talks to the gateway's admin API. The API lives one level above the console (/ui/ → /), so the console
// works behind a reverse proxy that serves the gateway under a path prefix. The admin key is kept in
// sessionStorage (gone when the tab closes) and sent only as a Bearer header: never in a URL or a cookie.
import { useCallback, useEffect, useRef, useState } from './html.js';

const KEY = 'llm-proxy.admin-key';
export const apiBase = new URL('../', window.location.href.split('#')[0]);

export const session = {
  get key() {
    return sessionStorage.getItem(KEY);
  },
  set key(value) {
    if (value) sessionStorage.setItem(KEY, value);
    else sessionStorage.removeItem(KEY);
  },
};

/** An API answer that was not 2xx, with the OpenAI-style error's fields. */
export class ApiError extends Error {
  constructor(status, error, body = null) {
    super(error?.message || `HTTP ${status}`);
    this.body = body;
    this.status = status;
    this.param = error?.param ?? null;
    this.code = error?.code ?? null;
  }
}

/** Listeners told when the key stops working (401) or is not an admin key (403). */
const authListeners = new Set();
export function onAuthProblem(listener) {
  authListeners.add(listener);
  return () => authListeners.delete(listener);
}

export function url(path, query) {
  const target = new URL(path.replace(/^\//, ''), apiBase);
  for (const [name, value] of Object.entries(query ?? {})) if (value !== undefined && value !== null && value !== '') target.searchParams.set(name, String(value));
  return target;
}

export async function api(path, { method = 'GET', body, query, key = session.key, quiet = false } = {}) {
  const headers = { accept: 'application/json' };
  if (key) headers.authorization = `Bearer ${key}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  let response;
  try {
    response = await fetch(url(path, query), { method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: 'omit', cache: 'no-store' });
  } catch {
    throw new ApiError(0, { message: 'The gateway cannot be reached' });
  }
  const text = await response.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = { error: { message: text.slice(0, 200) } };
  }
  if (!response.ok) {
    const error = new ApiError(response.status, data?.error, data);
    if (!quiet && (response.status === 401 || response.status === 403)) for (const listener of authListeners) listener(error);
    throw error;
  }
  return data;
}

/**
 * Loads `path` (again whenever it or `query` change, and every `refreshMs` while the tab is visible).
 * Returns { data, error, reload }; data stays while a refresh runs or fails.
 */
export function useApi(path, { query, refreshMs = 0 } = {}) {
  const [state, setState] = useState({ data: null, error: null });
  const generation = useRef(0);
  const queryKey = JSON.stringify(query ?? {});
  const load = useCallback(async () => {
    const mine = ++generation.current;
    try {
      const data = await api(path, { query });
      if (mine === generation.current) setState({ data, error: null });
    } catch (error) {
      if (mine === generation.current) setState((s) => ({ data: s.data, error }));
    }
  }, [path, queryKey]);
  useEffect(() => {
    setState({ data: null, error: null });
    load();
  }, [load]);
  useEffect(() => {
    if (!refreshMs) return undefined;
    const timer = setInterval(() => {
      if (document.visibilityState === 'visible') load();
    }, refreshMs);
    return () => clearInterval(timer);
  }, [load, refreshMs]);
  return { ...state, reload: load };
}

/** An action run on demand (a button): { run, busy, result, error }, the last run's answer or error kept. */
export function useAction(work) {
  const [state, setState] = useState({ busy: false, result: null, error: null });
  const run = async (...args) => {
    setState((s) => ({ ...s, busy: true }));
    try {
      const result = await work(...args);
      setState({ busy: false, result, error: null });
      return result;
    } catch (error) {
      setState({ busy: false, result: null, error });
      return undefined;
    }
  };
  return { ...state, run };
}
