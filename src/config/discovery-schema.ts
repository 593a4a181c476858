// `discovery`: providers added at run time from sources beside the config file's own — a file of
// entries, an HTTP registry, or DNS names whose addresses become endpoints of a provider template.
import { z } from 'zod';
import { section } from './schema-kit.js';

const seconds = z.number().positive();

const fileSource = section({
  type: z.literal('file'),
  /** JSON or YAML: a list of provider entries, {providers: [...]}, or a name → entry map; relative to the config file. */
  path: z.string().min(1),
});

const httpSource = section({
  type: z.literal('http'),
  url: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }),
  headers: z.record(z.string(), z.string()).default({}),
});

const dnsSource = section({
  type: z.literal('dns'),
  /** A name to resolve, e.g. a Kubernetes headless Service: vllm.models.svc.cluster.local */
  name: z.string().min(1),
  record: z.enum(['A', 'AAAA', 'SRV']).default('A'),
  /** Port of each endpoint (SRV records bring their own). */
  port: z.number().int().min(1).max(65535).default(8000),
  scheme: z.enum(['http', 'https']).default('http'),
  path: z.string().default('/v1'),
  /** DNS servers to ask (host or host:port); default: the system's. */
  servers: z.array(z.string().min(1)).optional(),
  /** The provider every endpoint becomes; each endpoint is named `<name>-<address>-<port>`. */
  // Open on purpose: any provider field may be given here, and is checked when the entry is made.
  template: z.object({ name: z.string().min(1), type: z.string().default('openai_compatible') }).loose(),
});

export const discoverySourceSchema = z.discriminatedUnion('type', [fileSource, httpSource, dnsSource]);

export const discoverySchema = section({
  enabled: z.boolean().default(true),
  /** Seconds between runs of every source. */
  interval: seconds.default(60),
  /** Seconds a registry request or DNS query may take. */
  timeout: seconds.default(10),
  sources: z.array(discoverySourceSchema).default([]),
  /** ProxyAPI's names: an http source, and the interval. */
  provider_registry_url: z.url({ protocol: /^https?$/ }).nullable().default(null),
  provider_discovery_interval: seconds.nullable().default(null),
}).prefault({});

export type DiscoverySettings = z.infer<typeof discoverySchema>;
export type DiscoverySource = z.infer<typeof discoverySourceSchema>;
