// Migrates the legacy flat configuration format (top-level `host`, `port`, `api_keys`, ...) to the
// nested schema, in memory. The caller logs one deprecation warning naming every moved key.

type Json = Record<string, unknown>;

/** legacy key → [nested path, optional value transform] */
const MOVES: Record<string, [string[], ((value: unknown) => unknown)?]> = {
  app_name: [['app', 'name']],
  app_version: [['app', 'version']],
  version: [['app', 'version']],
  environment: [['app', 'environment']],
  host: [['server', 'host']],
  port: [['server', 'port']],
  workers: [['server', 'workers']],
  cors_origins: [['server', 'cors_origins']],
  request_timeout: [['server', 'request_timeout']],
  body_limit_mb: [['server', 'body_limit_mb']],
  debug: [['logging', 'level'], (value) => (value ? 'debug' : 'info')],
  api_keys: [['auth', 'api_keys']],
  proxy_api_keys: [['auth', 'api_keys']],
  admin_keys: [['auth', 'admin_keys']],
  api_key_header: [['auth', 'api_key_header']],
  rate_limit_enabled: [['rate_limit', 'enabled']],
  rate_limit_rpm: [['rate_limit', 'requests_per_window']],
  rate_limit_requests: [['rate_limit', 'requests_per_window']],
  rate_limit_window: [['rate_limit', 'window_seconds']],
  rate_limit_burst: [['rate_limit', 'burst_limit']],
  circuit_breaker_enabled: [['circuit_breaker', 'enabled']],
  circuit_breaker_threshold: [['circuit_breaker', 'failure_threshold']],
  circuit_breaker_timeout: [['circuit_breaker', 'recovery_timeout']],
  log_level: [['logging', 'level'], (value) => String(value).toLowerCase()],
  log_format: [['logging', 'format']],
  log_file: [['logging', 'file']],
  redis_url: [['redis', 'url']],
  cache_enabled: [['caching', 'enabled']],
  cache_ttl: [['caching', 'response_cache', 'ttl']],
  metrics_enabled: [['metrics', 'enabled']],
  metrics_port: [['metrics', 'port']],
  health_check_interval: [['health_check', 'interval']],
  health_check_timeout: [['health_check', 'timeout']],
};

export interface Migration {
  config: Json;
  movedKeys: string[];
}

/** True when the document uses any flat key; nested documents are left alone. */
export function isLegacy(doc: Json): boolean {
  return Object.keys(doc).some((key) => key in MOVES);
}

export function migrateLegacy(doc: Json): Migration {
  const config: Json = {};
  const movedKeys: string[] = [];
  for (const [key, value] of Object.entries(doc)) {
    const move = MOVES[key];
    if (!move) {
      config[key] = value;
      continue;
    }
    const [path, transform] = move;
    setPath(config, path, transform ? transform(value) : value);
    movedKeys.push(`${key} → ${path.join('.')}`);
  }
  return { config, movedKeys };
}

function setPath(target: Json, path: string[], value: unknown): void {
  let node = target;
  for (const part of path.slice(0, -1)) {
    const next = node[part];
    node = (next && typeof next === 'object' ? next : (node[part] = {})) as Json;
  }
  node[path[path.length - 1]] = value;
}
