// Hot reload: re-read the configuration (file, overlay, environment) and swap it in atomically with
// runtime.replace; an invalid one is rejected and the old one keeps serving. chokidar watches the
// config files and fs.watch the model selections file's folder (debounced); POST /v1/config/reload
// and SIGHUP call the same reload().
import { existsSync, mkdirSync, watch as fsWatch, type FSWatcher as FsWatcher } from 'node:fs';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { watch, type FSWatcher } from 'chokidar';
import type { Runtime } from '../runtime.js';
import { ConfigError, loadConfig, type LoadedConfig } from './load.js';
import type { Config } from './schema.js';

export interface ReloadResult {
  success: boolean;
  message: string;
  reload_time_ms: number;
  config_version: number;
  changes_detected: boolean;
  changes: string[];
  /** Changed settings that only take effect after a restart (the running value is kept). */
  restart_required: string[];
  errors: string[];
}

/** Settings read once at start: a reload reports their change and keeps the running value. */
const RESTART_ONLY: ReadonlyArray<readonly [string, (c: Config) => unknown, (c: Config, v: unknown) => void]> = [
  ['server.host', (c) => c.server.host, (c, v) => (c.server.host = v as string)],
  ['server.port', (c) => c.server.port, (c, v) => (c.server.port = v as number)],
  ['server.workers', (c) => c.server.workers, (c, v) => (c.server.workers = v as number)],
  ['server.body_limit_mb', (c) => c.server.body_limit_mb, (c, v) => (c.server.body_limit_mb = v as number)],
  // The files' contents are re-read on SIGHUP; which files is fixed at start.
  ['server.tls', (c) => c.server.tls, (c, v) => (c.server.tls = v as Config['server']['tls'])],
  ['auth.api_key_header', (c) => c.auth.api_key_header, () => undefined],
  ['logging', (c) => c.logging, (c, v) => (c.logging = v as Config['logging'])],
  ['metrics.port', (c) => c.metrics.port, (c, v) => (c.metrics.port = v as number | null)],
  ['metrics.prefix', (c) => c.metrics.prefix, (c, v) => (c.metrics.prefix = v as string)],
  ['telemetry', (c) => c.telemetry, (c, v) => (c.telemetry = v as Config['telemetry'])],
  ['hot_reload', (c) => c.hot_reload, (c, v) => (c.hot_reload = v as Config['hot_reload'])],
  ['alerting.rules_file', (c) => c.alerting.rules_file, (c, v) => (c.alerting.rules_file = v as string | null)],
  ['data_dir', (c) => c.data_dir, (c, v) => (c.data_dir = v as string)],
  ['database', (c) => c.database, (c, v) => (c.database = v as Config['database'])],
  ['ui.enabled', (c) => c.ui.enabled, (c, v) => (c.ui.enabled = v as boolean)],
];

/** What changed between two configurations, in words an operator reads. */
export function describeChanges(before: Config, after: Config): string[] {
  const changes: string[] = [];
  const old = new Map(before.providers.map((p) => [p.name, p]));
  const next = new Map(after.providers.map((p) => [p.name, p]));
  for (const name of next.keys()) if (!old.has(name)) changes.push(`provider added: ${name}`);
  for (const name of old.keys()) if (!next.has(name)) changes.push(`provider removed: ${name}`);
  for (const [name, provider] of next) {
    const previous = old.get(name);
    if (!previous || isDeepStrictEqual(previous, provider)) continue;
    const fields = Object.keys({ ...previous, ...provider }).filter((k) => !isDeepStrictEqual((previous as Record<string, unknown>)[k], (provider as Record<string, unknown>)[k]));
    changes.push(`provider changed: ${name} (${fields.join(', ')})`);
  }
  if (!isDeepStrictEqual(before.auth, after.auth)) changes.push('auth changed (keys apply immediately)');
  for (const key of Object.keys(after) as Array<keyof Config>) {
    if (key === 'providers' || key === 'auth') continue;
    if (!isDeepStrictEqual(before[key], after[key])) changes.push(`${key} changed`);
  }
  return changes;
}

export interface ReloaderOptions {
  /** Called after each successful swap (selections, alerts and metrics follow the new config). */
  onReloaded?: (result: ReloadResult) => void;
  onResult?: (result: ReloadResult) => void;
}

export class ConfigReloader {
  version = 1;
  lastLoaded = new Date();
  loadTimeMs = 0;
  lastErrors: string[] = [];
  lastResult: ReloadResult | null = null;
  private watcher: FSWatcher | null = null;
  private readonly folderWatchers: FsWatcher[] = [];
  private debounce: NodeJS.Timeout | null = null;
  /**
   * Restart-only values as the files last said them. Compared with the files (not the running
   * config), so CLI overrides such as --port are not reported as changes on every reload.
   */
  private fileValues: unknown[];

  constructor(
    private readonly runtime: Runtime,
    private readonly options: ReloaderOptions = {},
  ) {
    let fromFiles = runtime.config;
    try {
      fromFiles = loadConfig({ file: this.configFile, env: runtime.env }).config;
    } catch {
      // the file changed or vanished since start: compare with the running configuration
    }
    this.fileValues = RESTART_ONLY.map(([, read]) => read(fromFiles));
  }

  /** The file the running configuration came from (its base file). */
  get configFile(): string | undefined {
    return this.runtime.loaded.files[0];
  }

  reload(source: string): ReloadResult {
    const started = performance.now();
    const done = (partial: Omit<ReloadResult, 'reload_time_ms' | 'config_version'>): ReloadResult => {
      const result = { ...partial, reload_time_ms: Math.round((performance.now() - started) * 100) / 100, config_version: this.version };
      this.lastResult = result;
      this.options.onResult?.(result);
      return result;
    };
    let loaded: LoadedConfig;
    try {
      loaded = loadConfig({ file: this.configFile, env: this.runtime.env });
    } catch (error) {
      const errors = error instanceof ConfigError ? error.problems : [(error as Error).message];
      this.lastErrors = errors;
      this.runtime.logger.error({ source, problems: errors }, 'configuration reload rejected; the previous configuration keeps serving');
      return done({ success: false, message: 'Invalid configuration; the previous configuration keeps serving', changes_detected: false, changes: [], restart_required: [], errors });
    }
    const before = this.runtime.config;
    const restartRequired: string[] = [];
    const fileValues = RESTART_ONLY.map(([, read]) => read(loaded.config));
    RESTART_ONLY.forEach(([name, read, keep], index) => {
      if (!isDeepStrictEqual(this.fileValues[index], fileValues[index])) restartRequired.push(name);
      keep(loaded.config, read(before));
    });
    this.fileValues = fileValues;
    const changes = describeChanges(before, loaded.config);
    this.lastErrors = [];
    this.lastLoaded = new Date();
    this.loadTimeMs = Math.round((performance.now() - started) * 100) / 100;
    if (changes.length === 0 && restartRequired.length === 0) {
      this.runtime.loaded = { ...loaded, config: before };
      return done({ success: true, message: 'Configuration unchanged', changes_detected: false, changes: [], restart_required: [], errors: [] });
    }
    this.runtime.replace(loaded);
    this.version++;
    for (const warning of loaded.warnings) this.runtime.logger.warn(warning);
    this.runtime.logger.info({ source, config_version: this.version, changes, restart_required: restartRequired }, 'configuration reloaded');
    const result = done({
      success: true,
      message: restartRequired.length ? `Configuration reloaded; restart needed for: ${restartRequired.join(', ')}` : 'Configuration reloaded',
      changes_detected: true,
      changes: [...changes, ...restartRequired.map((name) => `${name} changed (restart required)`)].filter((c, i, all) => all.indexOf(c) === i),
      restart_required: restartRequired,
      errors: [],
    });
    this.options.onReloaded?.(result);
    return result;
  }

  /** Watches the config files and `extra` files; a burst of changes causes one reload. */
  watch(extra: () => string[], debounceMs: number, onChange: () => void = () => void this.reload('file change')): void {
    const configFiles = [...this.runtime.loaded.files, ...overlayCandidates(this.runtime)].map((f) => path.resolve(f));
    const configDirs = new Set(configFiles.map((f) => nearestExisting(path.dirname(f))));
    // An extra file in a folder of its own (the selections file in data_dir) gets a plain fs.watch on
    // that folder, filtered by name: chokidar re-reads a watched folder on every event in it, and
    // data_dir also holds the ledger's SQLite files, written many times a second. The folder is made
    // here when it does not exist yet (a first start: the database makes it only later), or chokidar
    // would watch it from its parent and re-read it at every write (~30 times a second under load).
    const [byName, byChokidar] = partition(extra().map((f) => path.resolve(f)), (f) => ensureFolder(path.dirname(f)) && !configDirs.has(path.dirname(f)));
    const targets = new Set([...configFiles, ...byChokidar]);
    const wanted = new Set([...targets, ...byName]);
    const trigger = (changed: string) => {
      if (!wanted.has(path.resolve(changed))) return;
      if (this.debounce) clearTimeout(this.debounce);
      this.debounce = setTimeout(() => {
        this.debounce = null;
        onChange();
      }, debounceMs);
      this.debounce.unref();
    };
    const warn = (error: unknown) => this.runtime.logger.warn({ err_message: (error as Error).message }, 'config watcher error');
    for (const dir of new Set(byName.map((f) => path.dirname(f)))) {
      this.folderWatchers.push(fsWatch(dir, (_event, name) => name && trigger(path.join(dir, name.toString()))).on('error', warn));
    }
    // Directories are watched, not the files: a file may not exist yet (overlay, selections) and
    // editors replace files by renaming. Everything but the targets and their ancestors is ignored.
    const ancestors = new Set<string>();
    for (const target of targets) for (let dir = path.dirname(target); !ancestors.has(dir); dir = path.dirname(dir)) ancestors.add(dir);
    const roots = [...new Set([...targets].map((target) => nearestExisting(path.dirname(target))))];
    this.watcher = watch(roots, { ignoreInitial: true, depth: 3, ignored: (p: string) => !targets.has(path.resolve(p)) && !ancestors.has(path.resolve(p)) });
    this.watcher.on('add', trigger).on('change', trigger).on('unlink', trigger);
    this.watcher.on('error', warn);
  }

  async close(): Promise<void> {
    if (this.debounce) clearTimeout(this.debounce);
    await this.watcher?.close();
    this.watcher = null;
    for (const watcher of this.folderWatchers.splice(0)) watcher.close();
  }
}

function partition<T>(items: T[], test: (item: T) => boolean): [T[], T[]] {
  return [items.filter(test), items.filter((item) => !test(item))];
}

/** Whether `dir` exists, made (with its parents) if it did not; false when it cannot be made. */
function ensureFolder(dir: string): boolean {
  try {
    mkdirSync(dir, { recursive: true });
    return true;
  } catch {
    return existsSync(dir);
  }
}

function nearestExisting(dir: string): string {
  let current = dir;
  while (!existsSync(current) && path.dirname(current) !== current) current = path.dirname(current);
  return current;
}

/** The overlay a reload would read (`config.<ENVIRONMENT>.yaml`), watched even before it exists. */
function overlayCandidates(runtime: Runtime): string[] {
  const base = runtime.loaded.files[0];
  const environment = runtime.env.ENVIRONMENT;
  if (!base || !environment) return [];
  const ext = path.extname(base);
  return [path.join(path.dirname(base), `${path.basename(base, ext)}.${environment}${ext === '.json' ? '.json' : '.yaml'}`)];
}
