// The one prom-client registry of a running proxy and the per-provider statistics behind JSON
// /metrics. Fed by a RouterPolicy (attempts, retries, fallbacks, upstream time, in-flight attempts)
// and by the request-done hook (requests, durations, overhead, tokens, cost); gauges that mirror
// other features' state (breakers, provider status, cache) are read at scrape time.
import { Counter, Gauge, Registry } from 'prom-client';
import type { Usage } from '../providers/types.js';
import type { AttemptEvent, RouterPolicy } from '../routing/policy.js';
import { FastHistogram } from './histogram.js';
import { ProviderStats } from './provider-stats.js';
import { registerStateGauges, type StateGaugeDeps } from './state-gauges.js';
import { processMetrics, Tally } from './tally.js';
import { DEFAULT_PRICES, plainModel, priceKey } from './usage.js';

const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];
const OVERHEAD_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25];

/** Model label values beyond the configured and priced names (names priced by prefix), per configuration. */
const MAX_MODEL_LABELS = 500;

/** What the request-done hook knows about one finished client request. */
export interface RequestRecord {
  method: string;
  route: string;
  status: number;
  /** Set for LLM requests (those that named a model). */
  model: string | null;
  provider: string | null;
  durationS: number;
  overheadS: number | null;
  ttftS: number | null;
  usage: Usage | null;
  costUsd: number | null;
  errorCode: string | null;
  cache: 'hit' | 'miss' | null;
  condensed: boolean;
}

const NO_LABELS: readonly string[] = [];

export class Metrics {
  readonly registry = new Registry();
  readonly stats = new ProviderStats();
  readonly startedAt = Date.now();
  private readonly requests: Tally<'provider' | 'endpoint' | 'status'>;
  private readonly errors: Tally<'provider' | 'error_type'>;
  private readonly tokens: Tally<'provider' | 'model' | 'operation'>;
  private readonly duration: FastHistogram<'provider' | 'endpoint'>;
  private readonly ttft: FastHistogram<'provider'>;
  private readonly upstream: FastHistogram<'provider'>;
  private readonly overhead: FastHistogram;
  /** Upstream attempts in flight plus streams being relayed, per provider; read by the gauge at scrape. */
  private readonly activeCounts = new Map<string, number>();
  private readonly retries: Counter<'provider'>;
  private readonly fallbacks: Counter<'provider'>;
  private readonly cacheHits: Counter;
  private readonly cacheMisses: Counter;
  private readonly rateLimited: Counter;
  private readonly condensations: Counter;
  readonly healthChecks: Counter<'provider' | 'result'>;
  readonly configReloads: Counter<'result'>;
  readonly discoveryRuns: Counter<'source' | 'result'>;
  private readonly cost: Tally<'provider' | 'model'>;
  private readonly httpRequests: Tally<'method' | 'route' | 'status_code'>;
  private readonly httpDuration: FastHistogram<'method' | 'route' | 'status_code'>;
  private knownModels: { config: unknown; names: Set<string> } | null = null;

  private readonly source: StateGaugeDeps['source'];

  /** Under `server.workers > 1`: the primary, which aggregates every worker's registries for a scrape. */
  private readonly host: { call<T>(op: string): Promise<T> } | null;

  constructor(deps: StateGaugeDeps & { host?: { call<T>(op: string): Promise<T> } | null }) {
    this.source = deps.source;
    this.host = deps.host ?? null;
    const p = deps.source.config.metrics.prefix;
    const registers = [this.registry];
    this.requests = new Tally({ name: `${p}_requests_total`, help: 'Client LLM requests by serving provider, endpoint and HTTP status', registers }, ['provider', 'endpoint', 'status']);
    this.errors = new Tally({ name: `${p}_errors_total`, help: 'Errors: failed upstream attempts (error_type upstream_<kind>) and failed client requests (error_type = error code)', registers }, ['provider', 'error_type']);
    this.tokens = new Tally({ name: `${p}_tokens_total`, help: 'Tokens by provider, model and operation (prompt or completion)', registers }, ['provider', 'model', 'operation']);
    this.duration = new FastHistogram(`${p}_request_duration_seconds`, 'Client request duration, streams until their last byte', ['provider', 'endpoint'], DURATION_BUCKETS, registers);
    this.ttft = new FastHistogram(`${p}_time_to_first_token_seconds`, 'Streams: time from request arrival to the first chunk sent', ['provider'], DURATION_BUCKETS, registers);
    this.upstream = new FastHistogram(`${p}_upstream_duration_seconds`, 'Duration of each upstream attempt (streams: until the first chunk)', ['provider'], DURATION_BUCKETS, registers);
    this.overhead = new FastHistogram(`${p}_overhead_seconds`, 'Time the proxy itself added before the answer started (request time minus upstream time)', [], OVERHEAD_BUCKETS, registers);
    const activeCounts = this.activeCounts;
    new Gauge({
      name: `${p}_active_requests`,
      help: 'Upstream attempts in flight plus streams being relayed, per provider',
      labelNames: ['provider'],
      registers,
      collect() {
        for (const [provider, count] of activeCounts) this.set({ provider }, count);
      },
    });
    this.retries = new Counter({ name: `${p}_retries_total`, help: 'Retries on the same provider', labelNames: ['provider'], registers });
    this.fallbacks = new Counter({ name: `${p}_fallbacks_total`, help: 'Attempts that fell back to another provider', labelNames: ['provider'], registers });
    this.cacheHits = new Counter({ name: `${p}_cache_hits_total`, help: 'Answers served from the response cache', registers });
    this.cacheMisses = new Counter({ name: `${p}_cache_misses_total`, help: 'Cacheable requests not found in the response cache', registers });
    this.rateLimited = new Counter({ name: `${p}_rate_limited_total`, help: 'Client requests refused with 429 by the proxy', registers });
    this.condensations = new Counter({ name: `${p}_condensations_total`, help: 'Requests whose context was condensed', registers });
    this.healthChecks = new Counter({ name: `${p}_health_checks_total`, help: 'Provider health checks by result', labelNames: ['provider', 'result'], registers });
    this.configReloads = new Counter({ name: `${p}_config_reloads_total`, help: 'Configuration reloads by result', labelNames: ['result'], registers });
    this.discoveryRuns = new Counter({ name: `${p}_discovery_runs_total`, help: 'Provider discovery source runs by source type and result', labelNames: ['source', 'result'], registers });
    this.cost = new Tally({ name: `${p}_cost_usd_total`, help: 'Estimated spend in USD by provider and model', registers }, ['provider', 'model']);
    registerStateGauges(registers, p, deps);
    deps.resilience.health.onCheck((result) => this.healthCheck(result.provider, result.ok ? 'success' : 'failure'));
    this.httpRequests = new Tally({ name: 'http_requests_total', help: 'HTTP requests by method, route and status code', registers }, ['method', 'route', 'status_code']);
    this.httpDuration = new FastHistogram('http_request_duration_seconds', 'HTTP request duration', ['method', 'route', 'status_code'], DURATION_BUCKETS, registers);
  }

  /** The router policy that sees every attempt. */
  policy(): RouterPolicy {
    return {
      wrap: async <T>(provider: string, attempt: () => Promise<T>): Promise<T> => {
        const name = this.provider(provider);
        this.addActive(name, 1);
        try {
          return await attempt();
        } finally {
          this.addActive(name, -1);
        }
      },
      observe: (event: AttemptEvent) => this.attempt(event),
    };
  }

  attempt(event: AttemptEvent): void {
    const provider = this.provider(event.provider);
    this.upstream.observe([provider], event.durationMs / 1000);
    if (event.isRetry) this.retries.inc({ provider });
    if (event.isFallback && !event.isRetry) this.fallbacks.inc({ provider });
    if (event.error) this.errors.add([provider, `upstream_${event.error.kind}`]);
    // A client-side answer (a 404 for an unknown model or path, a 400) is not the provider failing.
    this.stats.attempt(provider, event.durationMs, event.error === null || !event.error.isProviderFault);
  }

  /** A stream started relaying to the client; `streamEnded` balances it. */
  streamStarted(provider: string): void {
    this.addActive(this.provider(provider), 1);
  }

  streamEnded(provider: string): void {
    this.addActive(this.provider(provider), -1);
  }

  private addActive(provider: string, delta: number): void {
    this.activeCounts.set(provider, (this.activeCounts.get(provider) ?? 0) + delta);
  }

  request(record: RequestRecord): void {
    const status = String(record.status);
    this.httpRequests.add([record.method, record.route, status]);
    this.httpDuration.observe([record.method, record.route, status], record.durationS);
    if (record.errorCode === 'rate_limited' || (record.status === 429 && !record.provider)) this.rateLimited.inc();
    if (record.cache === 'hit') this.cacheHits.inc();
    else if (record.cache === 'miss') this.cacheMisses.inc();
    if (record.condensed) this.condensations.inc();
    if (record.model === null) return;

    const provider = record.provider ? this.provider(record.provider) : 'none';
    this.requests.add([provider, record.route, status]);
    this.duration.observe([provider, record.route], record.durationS);
    if (record.overheadS !== null) this.overhead.observe(NO_LABELS, record.overheadS);
    if (record.ttftS !== null) this.ttft.observe([provider], record.ttftS);
    if (record.errorCode) this.errors.add([provider, record.errorCode]);
    const model = this.model(record.model);
    if (record.usage) {
      this.tokens.add([provider, model, 'prompt'], record.usage.prompt_tokens ?? 0);
      this.tokens.add([provider, model, 'completion'], record.usage.completion_tokens ?? 0);
    }
    if (record.costUsd) this.cost.add([provider, model], record.costUsd);
    this.stats.request(record.provider, record.status < 400, record.usage, record.costUsd);
  }

  reload(result: 'success' | 'failure'): void {
    this.configReloads.inc({ result });
  }

  healthCheck(provider: string, result: string): void {
    this.healthChecks.inc({ provider: this.provider(provider), result });
  }

  /** This process's registries, which the primary collects when it aggregates the host's workers. */
  get registries(): Registry[] {
    return [processMetrics(), this.registry];
  }

  /** Prometheus text: this process's metrics, or with workers the sum over all of the host's. */
  prometheus(): Promise<string> {
    if (this.host) return this.host.call<string>('metrics');
    return Registry.merge(this.registries).metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** Configured provider names pass; anything else is `other`, so label values stay bounded. */
  private provider(name: string): string {
    for (const handle of this.source.handles) if (handle.config.name === name) return name;
    return 'other';
  }

  /** Models named in the configuration or the price tables pass; the rest collapse to `other`. */
  private model(name: string): string {
    const config = this.source.config;
    if (this.knownModels?.config !== config) {
      const names = new Set<string>([...Object.keys(DEFAULT_PRICES), ...Object.keys(config.pricing)]);
      for (const provider of config.providers) for (const m of provider.models) if (!/[*?]/.test(m)) names.add(m);
      this.knownModels = { config, names };
    }
    const plain = plainModel(name);
    if (this.knownModels.names.has(name)) return name;
    if (this.knownModels.names.has(plain)) return plain;
    // Priced by prefix, as costOf prices it (claude-sonnet-4-5 by claude-sonnet-4): its own name, while
    // the set of such names stays small; past that, the price-table name it matched.
    const key = priceKey(config.pricing, plain);
    if (key === null) return 'other';
    if (this.knownModels.names.size < MAX_MODEL_LABELS) this.knownModels.names.add(plain);
    return this.knownModels.names.has(plain) ? plain : key;
  }
}
