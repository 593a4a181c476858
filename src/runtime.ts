// The configuration in force and the providers built from it (adapters and their pools), with the
// swap on reload: routes and the router read `handles` and `config` per request, so a swap takes
// effect for the next request while in-flight ones finish on the old providers. The long-lived
// parts that read it (router, resilience, caches, ...) are built around it in gateway.ts.
import type { Logger } from 'pino';
import { dataDir } from './config/data-dir.js';
import type { LoadedConfig } from './config/load.js';
import type { Config, ProviderConfig } from './config/schema.js';
import { providerKind } from './providers/registry.js';
import type { ProviderHandle, ProviderSource } from './routing/candidates.js';
import { Upstream } from './upstream/pools.js';

export type Env = Record<string, string | undefined>;

export interface RuntimeOptions {
  loaded: LoadedConfig;
  logger: Logger;
  env?: Env;
}

export class Runtime implements ProviderSource {
  config: Config;
  loaded: LoadedConfig;
  handles: ProviderHandle[];
  /** Providers from discovery sources (src/discovery/), merged after the config file's own. */
  discovered: DiscoveredProvider[] = [];
  readonly logger: Logger;
  readonly env: Env;
  readonly startedAt = Date.now();
  /** True once shutdown began: readiness fails, in-flight requests finish. */
  draining = false;

  constructor(options: RuntimeOptions) {
    this.logger = options.logger;
    this.env = options.env ?? process.env;
    this.loaded = options.loaded;
    this.config = options.loaded.config;
    this.handles = buildProviders(this.config, this.env, this.logger, this.discovered);
  }

  /** The writable state folder (`data_dir`, resolved against the config file's folder). */
  get dataDir(): string {
    return dataDir(this.loaded.files[0], this.config);
  }

  provider(name: string): ProviderHandle | undefined {
    return this.handles.find((h) => h.config.name === name);
  }

  /** Swaps in a new configuration; old providers' pools close once their in-flight requests finish. */
  replace(loaded: LoadedConfig): void {
    this.loaded = loaded;
    this.config = loaded.config;
    this.rebuild();
  }

  /** Swaps in a new set of discovered providers beside the config file's, like a reload. */
  setDiscovered(discovered: DiscoveredProvider[]): void {
    this.discovered = discovered;
    this.rebuild();
  }

  private rebuild(): void {
    const old = this.handles;
    this.handles = buildProviders(this.config, this.env, this.logger, this.discovered);
    for (const handle of old) void handle.adapter?.close();
  }

  /** Closes the providers' connection pools. */
  async close(): Promise<void> {
    await Promise.all(this.handles.map((h) => h.adapter?.close()));
  }
}

/** A provider entry a discovery source found, and which source. */
export interface DiscoveredProvider {
  config: ProviderConfig;
  source: string;
}

export function buildProviders(config: Config, env: Env, logger: Logger, discovered: readonly DiscoveredProvider[] = []): ProviderHandle[] {
  const own = new Set(config.providers.map((p) => p.name));
  const handles = [
    ...config.providers.map((provider) => ({ ...buildProvider(provider, config, env, logger), source: 'config' })),
    // The config file wins a name clash (the discovery manager logs the clash).
    ...discovered.filter((d) => !own.has(d.config.name)).map((d) => ({ ...buildProvider(d.config, config, env, logger), source: d.source })),
  ];
  const off = handles.filter((h) => !h.adapter);
  if (off.length > 0) {
    const none = off.length === handles.length ? 'No provider is enabled, requests will fail until one is. ' : '';
    logger.warn(
      { disabled: Object.fromEntries(off.map((h) => [h.config.name, h.disabledReason])) },
      `${none}Providers disabled: ${off.map((h) => `${h.config.name} (${h.disabledReason})`).join(', ')}`,
    );
  }
  return handles;
}

function buildProvider(provider: ProviderConfig, config: Config, env: Env, logger: Logger): ProviderHandle {
  const disabled = (reason: string): ProviderHandle => ({ config: provider, adapter: null, disabledReason: reason });
  if (!provider.enabled) return disabled('enabled: false');
  const kind = providerKind(provider.type);
  if (!kind) return disabled(`no adapter for type '${provider.type}'`);
  let apiKey: string | null = null;
  if (provider.api_key_env) {
    apiKey = env[provider.api_key_env]?.trim() || null;
    if (!apiKey) return disabled(`${provider.api_key_env} is not set`);
  }
  const baseUrl = provider.base_url ?? kind.baseUrl;
  if (!baseUrl) return disabled('base_url is required');
  const upstream = new Upstream(baseUrl, provider, config.http_client);
  const adapter = kind.create({ config: provider, apiKey, upstream, logger: logger.child({ provider: provider.name }), root: config });
  return { config: provider, adapter, disabledReason: null };
}
