// What a running proxy holds: the configuration in force, the providers built from it (adapters and
// their pools) and the router over them. Routes read `runtime.router` per request, so a reload that
// swaps them takes effect for the next request while in-flight ones finish on the old providers.
import type { Logger } from 'pino';
import { dataDir } from './config/data-dir.js';
import type { KeyIndex } from './governance/key-index.js';
import type { LoadedConfig } from './config/load.js';
import type { Config, ProviderConfig } from './config/schema.js';
import { providerKind } from './providers/registry.js';
import type { ProviderHandle } from './routing/candidates.js';
import { ResponseCache } from './cache/response-cache.js';
import { installResilience, type Resilience } from './routing/resilience.js';
import { ProviderQuota } from './routing/quota.js';
import { Router, type RouterPolicy } from './routing/router.js';
import { Upstream } from './upstream/pools.js';

type Env = Record<string, string | undefined>;

export interface RuntimeOptions {
  loaded: LoadedConfig;
  logger: Logger;
  env?: Env;
}

export class Runtime {
  config: Config;
  loaded: LoadedConfig;
  handles: ProviderHandle[];
  router: Router;
  /** Virtual keys and teams from the database (src/governance/), once the governance plugin loaded them. */
  virtualKeys: KeyIndex | null = null;
  /** Providers from discovery sources (src/discovery/), merged after the config file's own. */
  discovered: DiscoveredProvider[] = [];
  /** Breakers, quotas, health: appended by the features that own them; the router consults them all. */
  readonly policies: RouterPolicy[] = [];
  readonly logger: Logger;
  readonly env: Env;
  readonly startedAt = Date.now();
  /** A provider's status (healthy, degraded, ...) when a health monitor runs. */
  status?: (provider: string) => string;
  /** Extra per-provider fields for /providers and /status (breaker state, health details). */
  describe?: (provider: string) => Record<string, unknown>;
  /** True once shutdown began: readiness fails, in-flight requests finish. */
  draining = false;
  /** Re-reads the configuration and swaps it in (set by the observability plugin; SIGHUP calls it). */
  reload?: (source: string) => unknown;
  /** Unresolved alerts for /health, when alerting is wired. */
  alertSummary?: () => { enabled: boolean; active: number; critical: number; warning: number };
  /** Health monitors report each check here (llm_proxy_health_checks_total). */
  onHealthCheck?: (provider: string, result: 'success' | 'failure') => void;
  /** Caches POST /cache/clear empties, by name (health checks, summaries, responses). */
  readonly caches = new Map<string, () => Promise<void> | void>();
  /** Circuit breakers, health monitor and chaos policies (routing/resilience.ts). */
  readonly resilience: Resilience;
  /** The response cache (src/cache/): `clear()` and `stats()` for /cache/clear, /health and metrics. */
  readonly cache: ResponseCache;
  /** Per-provider hourly upstream quotas (`providers[].rate_limit`), a router policy. */
  readonly quota: ProviderQuota;
  private readonly closers: Array<() => Promise<void> | void> = [];

  constructor(options: RuntimeOptions) {
    this.logger = options.logger;
    this.env = options.env ?? process.env;
    this.loaded = options.loaded;
    this.config = options.loaded.config;
    this.handles = buildProviders(this.config, this.env, this.logger, this.discovered);
    this.router = new Router(this.handles, this.config, this.policies, this.logger);
    this.resilience = installResilience(this);
    this.cache = new ResponseCache(this);
    this.caches.set('responses', async () => void (await this.cache.clear()));
    this.quota = new ProviderQuota(this);
    this.policies.push(this.quota);
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
    this.router = new Router(this.handles, this.config, this.policies, this.logger);
    for (const handle of old) void handle.adapter?.close();
  }

  /** Registers cleanup run by close(), last registered first. */
  onClose(closer: () => Promise<void> | void): void {
    this.closers.push(closer);
  }

  async close(): Promise<void> {
    for (const closer of this.closers.reverse()) await closer();
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
