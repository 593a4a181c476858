// The host's shared stores under `server.workers > 1` without Redis: the primary keeps them in its
// memory (so limits, budgets and stored responses are exact across the workers), and each worker
// reaches them through IPC proxies with the same interfaces as the in-process stores.
import type { BudgetStore } from '../governance/budgets/store.js';
import type { UsageCounters } from '../governance/usage-counters.js';
import { MemoryResponseBackend, type ResponseBackend, type ResponseStoreSettings } from '../responses/store.js';
import { increment, type CounterStore, type WindowCount } from '../state/counters.js';
import { memoryStores, type SharedStores } from '../state/shared-stores.js';
import type { Handler, PrimaryLink } from './ipc.js';

type Method = (...args: unknown[]) => unknown;

/** The primary's handlers: `store.<kind>.<method>` with the store's own arguments. */
export function hostStoreHandlers(responses: ResponseStoreSettings): Map<string, Handler> {
  const stores = memoryStores('host');
  const answers = new MemoryResponseBackend(responses);
  const handlers = new Map<string, Handler>();
  const read = (store: CounterStore, key: string, windowMs: number, max: number) =>
    new Promise<WindowCount | undefined>((resolve, reject) => store.read(key, (error, result) => (error ? reject(error) : resolve(result)), windowMs, max));
  handlers.set('store.counters.incr', ([ns, key, windowMs, max]) => increment(stores.counters(ns as string), key as string, windowMs as number, max as number));
  handlers.set('store.counters.read', ([ns, key, windowMs, max]) => read(stores.counters(ns as string), key as string, windowMs as number, max as number));
  for (const method of ['add', 'acquire', 'release'] as const) {
    handlers.set(`store.usage.${method}`, ([ns, ...args]) => (stores.usageCounters(ns as string)[method] as Method)(...args));
  }
  for (const method of ['reserve', 'settle', 'renew', 'expire', 'init', 'read'] as const) {
    handlers.set(`store.budgets.${method}`, (args) => (stores.budgets()[method] as Method)(...args));
  }
  for (const method of ['setResponse', 'getResponse', 'deleteResponse', 'getItem'] as const) {
    handlers.set(`store.responses.${method}`, (args) => (answers[method] as Method).apply(answers, args));
  }
  return handlers;
}

/** A worker's view of the host's stores, each call answered by the primary. */
export function workerStores(link: PrimaryLink): SharedStores {
  const counters = (ns: string): CounterStore => ({
    incr: (key, callback, windowMs, max) => void link.call<WindowCount>('store.counters.incr', ns, key, windowMs, max).then((r) => callback(null, r), callback),
    read: (key, callback, windowMs, max) => void link.call<WindowCount | undefined>('store.counters.read', ns, key, windowMs, max).then((r) => callback(null, r), callback),
  });
  const usage = (ns: string): UsageCounters => ({
    add: (...args) => link.call('store.usage.add', ns, ...args),
    acquire: (...args) => link.call('store.usage.acquire', ns, ...args),
    release: (...args) => link.call('store.usage.release', ns, ...args),
  });
  const budgets: BudgetStore = {
    shared: true,
    reserve: (...args) => link.call('store.budgets.reserve', ...args),
    settle: (...args) => link.call('store.budgets.settle', ...args),
    renew: (...args) => link.call('store.budgets.renew', ...args),
    expire: (...args) => link.call('store.budgets.expire', ...args),
    init: (...args) => link.call('store.budgets.init', ...args),
    read: (...args) => link.call('store.budgets.read', ...args),
  };
  const responses: ResponseBackend = {
    setResponse: (...args) => link.call('store.responses.setResponse', ...args),
    getResponse: (...args) => link.call('store.responses.getResponse', ...args),
    deleteResponse: (...args) => link.call('store.responses.deleteResponse', ...args),
    getItem: (...args) => link.call('store.responses.getItem', ...args),
  };
  return { scope: 'host', counters, usageCounters: usage, budgets: () => budgets, responses: () => responses };
}
