// How the proxy meets its clients: `app`, `server`, `auth`, `rate_limit`, `http_client` and `hot_reload`.
import { existsSync } from 'node:fs';
import { z } from 'zod';
import { cidr, oneOf, seconds, section } from './schema-kit.js';

export const appSchema = section({
  name: z.string().default('llm-proxy'),
  version: z.string().default('0.1.0'),
  environment: z.string().default('development'),
}).prefault({});

export const serverSchema = section({
  host: z.string().default('127.0.0.1'),
  port: z.number().int().min(0).max(65535).default(8000),
  workers: z.number().int().positive().default(1),
  body_limit_mb: z.number().positive().default(10),
  /**
   * SIGTERM: seconds in-flight requests get to finish. Default: request_timeout + 5, so a request that
   * may run that long is not cut. A shorter value is refused unless allow_short_shutdown_grace is true.
   */
  shutdown_grace_s: z.number().min(0).nullable().default(null),
  /** Accept a shutdown_grace_s shorter than request_timeout (requests still running then are cut, and the exit code is 1). */
  allow_short_shutdown_grace: z.boolean().default(false),
  /** After SIGTERM, seconds to keep accepting while /health/ready says 503 (for balancers without a preStop pause). */
  shutdown_delay_s: z.number().min(0).default(0),
  request_timeout: seconds.default(300),
  stream_idle_timeout: seconds.default(60),
  proxy_info: z.boolean().default(true),
  /** Serve HTTPS itself (a host without a reverse proxy): PEM files, re-read on SIGHUP. SSL_CERTFILE / SSL_KEYFILE set them too. */
  tls: section({
    cert_file: z.string().min(1).nullable().default(null),
    key_file: z.string().min(1).nullable().default(null),
  })
    .prefault({})
    .refine((tls) => (tls.cert_file === null) === (tls.key_file === null), { error: 'set both cert_file and key_file, or neither' }),
  cors_origins: z.array(z.string()).default([]),
}).prefault({});

export const authSchema = section({
  api_keys: z.array(z.string().min(1)).default([]),
  admin_keys: z.array(z.string().min(1)).default([]),
  api_key_header: z.string().min(1).default('X-API-Key'),
  public_paths: z.array(z.string()).default(['/health/live', '/health/ready']),
}).prefault({});

export const rateLimitSchema = section({
  enabled: z.boolean().default(false),
  requests_per_window: z.number().int().positive().default(1000),
  window_seconds: seconds.default(60),
  burst_limit: z.number().int().positive().default(50),
  /** Route → "100/minute"; an open map. */
  routes: z.record(z.string(), z.string().regex(/^\d+\/(second|minute|hour|day)$/, 'must look like "100/minute"')).default({}),
  user_limits: section({
    enabled: z.boolean().default(false),
    requests_per_minute: z.number().int().positive().default(60),
    burst_limit: z.number().int().positive().default(10),
  }).prefault({}),
  ip_limits: section({
    enabled: z.boolean().default(false),
    requests_per_minute: z.number().int().positive().default(120),
    whitelist: z.array(cidr).default([]),
    blacklist: z.array(cidr).default([]),
  }).prefault({}),
  trusted_proxies: z.array(cidr).default([]),
  on_store_error: oneOf(['open', 'closed'] as const).default('open'),
}).prefault({});

export const httpClientSchema = section({
  timeout: seconds.optional(),
  connect_timeout: seconds.default(10),
  read_timeout: seconds.optional(),
  /** A PEM file of extra certificate authorities trusted for upstream TLS (a private CA); the system's stay trusted. */
  ca_file: z.string().min(1).refine((file) => existsSync(file), { error: (issue) => `'${String(issue.input)}' does not exist` }).optional(),
  pool_limits: section({
    max_connections: z.number().int().positive().optional(),
    max_keepalive_connections: z.number().int().positive().optional(),
  }).prefault({}),
}).prefault({});

export const hotReloadSchema = section({ enabled: z.boolean().default(true), debounce_ms: z.number().int().min(0).default(300) }).prefault({});
