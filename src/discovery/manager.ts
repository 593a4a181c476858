// Runs the discovery sources at start and every `discovery.interval` seconds (a file source also when
// its file changes), keeps each source's last good list when a run fails, merges the lists and hands
// a changed set to the runtime, which swaps providers like a reload (in-flight requests finish on
// the old ones). Every change is logged and kept for POST /discover and /status.
import { isDeepStrictEqual } from 'node:util';
import path from 'node:path';
import { watch, type FSWatcher } from 'chokidar';
import type { Logger } from 'pino';
import type { DiscoverySettings } from '../config/discovery-schema.js';
import type { ProviderConfig } from '../config/schema.js';
import type { DiscoveredProvider, Runtime } from '../runtime.js';
import { createSource, type Source } from './sources.js';

export interface SourceState {
  type: string;
  target: string;
  last_run: string | null;
  last_success: string | null;
  last_error: string | null;
  providers: string[];
  skipped: Array<{ path: string; problems: string[] }>;
}

export interface DiscoveryChange {
  at: string;
  added: string[];
  removed: string[];
  changed: string[];
}

export interface DiscoveryCounters {
  run(source: string, result: 'success' | 'failure'): void;
}

export class DiscoveryManager {
  private readonly sources: Source[];
  private readonly lists: Array<ProviderConfig[]>;
  readonly states: SourceState[];
  readonly changes: DiscoveryChange[] = [];
  private timer: NodeJS.Timeout | null = null;
  private watcher: FSWatcher | null = null;
  private running: Promise<void> | null = null;
  private readonly intervalMs: number;

  constructor(
    private readonly runtime: Runtime,
    settings: DiscoverySettings,
    private readonly logger: Logger,
    private readonly counters?: DiscoveryCounters,
  ) {
    const configDir = path.dirname(runtime.loaded.files[0] ?? path.join(process.cwd(), 'config.yaml'));
    const all = [...settings.sources, ...(settings.provider_registry_url ? [{ type: 'http' as const, url: settings.provider_registry_url, headers: {} }] : [])];
    this.sources = settings.enabled ? all.map((s) => createSource(s, configDir, settings.timeout * 1000)) : [];
    this.lists = this.sources.map(() => []);
    this.states = this.sources.map((s) => ({ type: s.type, target: s.target, last_run: null, last_success: null, last_error: null, providers: [], skipped: [] }));
    this.intervalMs = (settings.provider_discovery_interval ?? settings.interval) * 1000;
  }

  get active(): boolean {
    return this.sources.length > 0;
  }

  /** First run, then the timer and the file watchers. */
  async start(): Promise<void> {
    if (!this.active) return;
    await this.refresh();
    const schedule = () => {
      this.timer = setTimeout(() => void this.refresh().finally(schedule), this.intervalMs);
      this.timer.unref();
    };
    schedule();
    const files = this.sources.filter((s) => s.type === 'file').map((s) => s.target);
    if (files.length > 0) {
      this.watcher = watch(files, { ignoreInitial: true, awaitWriteFinish: { stabilityThreshold: 50, pollInterval: 20 } });
      this.watcher.on('all', () => void this.refresh());
    }
  }

  async stop(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.watcher?.close();
    await this.running?.catch(() => undefined);
  }

  /** Runs every source now (one run at a time) and applies what changed. */
  refresh(): Promise<void> {
    this.running = (this.running ?? Promise.resolve()).catch(() => undefined).then(() => this.runAll());
    return this.running;
  }

  private async runAll(): Promise<void> {
    await Promise.all(this.sources.map((source, i) => this.runOne(source, i)));
    this.apply();
  }

  private async runOne(source: Source, index: number): Promise<void> {
    const state = this.states[index];
    state.last_run = new Date().toISOString();
    try {
      const result = await source.run();
      if (!result.unchanged) {
        this.lists[index] = result.entries;
        state.providers = result.entries.map((e) => e.name);
        state.skipped = result.skipped;
        for (const skipped of result.skipped) this.logger.warn({ source: source.type, path: skipped.path, problems: skipped.problems }, 'discovered provider entry is invalid; skipped');
      }
      state.last_success = state.last_run;
      state.last_error = null;
      this.counters?.run(source.type, 'success');
    } catch (error) {
      state.last_error = (error as Error).message;
      this.counters?.run(source.type, 'failure');
      this.logger.warn({ source: source.type, target: source.target, err_message: state.last_error, kept: state.providers }, 'discovery source failed; keeping its last good list');
    }
  }

  /** Merges the sources' lists (the first source wins a name) and hands a changed set to the runtime. */
  private apply(): void {
    const own = new Set(this.runtime.config.providers.map((p) => p.name));
    const merged: DiscoveredProvider[] = [];
    const names = new Set<string>();
    this.lists.forEach((list, i) => {
      for (const config of list) {
        if (own.has(config.name) || names.has(config.name)) {
          this.logger.warn({ provider: config.name, source: this.sources[i].target }, own.has(config.name) ? 'discovered provider has the name of a configured one; the configured one is kept' : 'discovered provider name already taken by another source; skipped');
          continue;
        }
        names.add(config.name);
        merged.push({ config, source: this.sources[i].type });
      }
    });
    const before = new Map(this.runtime.discovered.map((d) => [d.config.name, d]));
    const after = new Map(merged.map((d) => [d.config.name, d]));
    const change: DiscoveryChange = {
      at: new Date().toISOString(),
      added: [...after.keys()].filter((n) => !before.has(n)),
      removed: [...before.keys()].filter((n) => !after.has(n)),
      changed: [...after.keys()].filter((n) => before.has(n) && !isDeepStrictEqual(before.get(n), after.get(n))),
    };
    if (change.added.length + change.removed.length + change.changed.length === 0) return;
    this.runtime.setDiscovered(merged);
    this.changes.push(change);
    if (this.changes.length > 50) this.changes.shift();
    this.logger.info(change, 'discovered providers changed');
  }
}
