// Loads configuration from its sources, highest first: environment → config.<ENVIRONMENT>.yaml
// overlay → config file → schema defaults (DESIGN.md §3). Pure apart from reading files: the
// environment is passed in, so tests and hot reload use the same path as start-up.
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { configSchema, formatIssues, type Config } from './schema.js';
import { isLegacy, migrateLegacy } from './legacy.js';

type Json = Record<string, unknown>;
type Env = Record<string, string | undefined>;

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.join('\n')}`);
    this.name = 'ConfigError';
  }
}

export interface LoadedConfig {
  config: Config;
  /** Files read, base file first. */
  files: string[];
  warnings: string[];
  fileSizeBytes: number;
}

export interface LoadOptions {
  file?: string;
  env?: Env;
  cwd?: string;
}

export function resolveConfigPath(options: LoadOptions): string {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const explicit = options.file ?? env.PROXY_API_CONFIG_FILE;
  if (explicit) return path.resolve(cwd, explicit);
  for (const candidate of ['config.yaml', 'config.yml', 'config.json']) {
    const full = path.resolve(cwd, candidate);
    if (existsSync(full)) return full;
  }
  return path.resolve(cwd, 'config.yaml');
}

/** Loads, merges, interpolates and validates. Throws ConfigError listing every problem. */
export function loadConfig(options: LoadOptions = {}): LoadedConfig {
  const env = options.env ?? process.env;
  const file = resolveConfigPath(options);
  const warnings: string[] = [];
  const files: string[] = [];

  if (!existsSync(file)) throw new ConfigError([`config: file not found: ${file}`]);
  let doc = readDocument(file);
  files.push(file);
  let fileSizeBytes = statSync(file).size;

  if (isLegacy(doc)) {
    const migration = migrateLegacy(doc);
    doc = migration.config;
    warnings.push(`Legacy flat configuration format is deprecated; moved keys: ${migration.movedKeys.join(', ')}`);
  }

  const environment = env.ENVIRONMENT;
  if (environment) {
    const ext = path.extname(file);
    const overlay = path.join(path.dirname(file), `${path.basename(file, ext)}.${environment}${ext === '.json' ? '.json' : '.yaml'}`);
    if (existsSync(overlay)) {
      doc = deepMerge(doc, readDocument(overlay));
      files.push(overlay);
      fileSizeBytes += statSync(overlay).size;
    }
  }

  const interpolationProblems: string[] = [];
  doc = interpolate(doc, env, interpolationProblems, '') as Json;
  if (interpolationProblems.length) throw new ConfigError(interpolationProblems);

  doc = applyEnvOverrides(doc, env);
  if (environment) doc = deepMerge(doc, { app: { environment } });

  const result = configSchema.safeParse(doc);
  if (!result.success) throw new ConfigError(formatIssues(result.error.issues));
  return { config: result.data, files, warnings, fileSizeBytes };
}

/** Reads one YAML or JSON file as a mapping. */
function readDocument(file: string): Json {
  const text = readFileSync(file, 'utf8');
  let parsed: unknown;
  try {
    parsed = file.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  } catch (error) {
    throw new ConfigError([`config: cannot parse ${file}: ${(error as Error).message.split('\n')[0]}`]);
  }
  if (parsed === null || parsed === undefined) return {};
  if (typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new ConfigError([`config: ${file} must contain a mapping at the top level`]);
  }
  return parsed as Json;
}

export function deepMerge(base: Json, overlay: Json): Json {
  const out: Json = { ...base };
  for (const [key, value] of Object.entries(overlay)) {
    const current = out[key];
    out[key] = isPlainObject(current) && isPlainObject(value) ? deepMerge(current, value) : value;
  }
  return out;
}

function isPlainObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const VAR = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

function interpolate(value: unknown, env: Env, problems: string[], at: string): unknown {
  if (typeof value === 'string') {
    if (!value.includes('${')) return value;
    const whole = /^\$\{[^}]+\}$/.test(value);
    const replaced = value.replace(VAR, (_match, name: string, fallback: string | undefined) => {
      const found = env[name];
      if (found !== undefined && found !== '') return found;
      if (fallback !== undefined) return fallback;
      problems.push(`${at || '(root)'}: environment variable ${name} is not set and has no default`);
      return '';
    });
    // "${PORT:-8000}" standing alone becomes a number or boolean, as if written literally.
    return whole ? coerceScalar(replaced) : replaced;
  }
  if (Array.isArray(value)) return value.map((item, index) => interpolate(item, env, problems, `${at}[${index}]`));
  if (isPlainObject(value)) {
    const out: Json = {};
    for (const [key, item] of Object.entries(value)) out[key] = interpolate(item, env, problems, at ? `${at}.${key}` : key);
    return out;
  }
  return value;
}

function coerceScalar(text: string): unknown {
  if (text === 'true') return true;
  if (text === 'false') return false;
  if (text === 'null') return null;
  if (/^-?\d+(\.\d+)?$/.test(text)) return Number(text);
  return text;
}

/** Parses PROXY_API_PROXY_API_KEYS and PROXY_API_ADMIN_KEYS: a JSON array, a comma list or one key. */
export function parseKeyList(raw: string): string[] {
  const text = raw.trim();
  if (text.startsWith('[')) {
    try {
      const parsed: unknown = JSON.parse(text);
      if (Array.isArray(parsed)) return parsed.map(String).filter(Boolean);
    } catch {
      // not JSON after all: treat as a comma list
    }
  }
  return text.split(',').map((key) => key.trim()).filter(Boolean);
}

function applyEnvOverrides(doc: Json, env: Env): Json {
  const overlay: Json = {};
  const set = (section: string, key: string, value: unknown) => {
    overlay[section] = { ...(overlay[section] as Json | undefined), [key]: value };
  };
  const num = (name: string) => (env[name] !== undefined && env[name] !== '' ? Number(env[name]) : undefined);

  if (env.PROXY_API_HOST) set('server', 'host', env.PROXY_API_HOST);
  if (num('PROXY_API_PORT') !== undefined) set('server', 'port', num('PROXY_API_PORT'));
  if (env.PROXY_API_DEBUG && /^(1|true|yes)$/i.test(env.PROXY_API_DEBUG)) set('logging', 'level', 'debug');
  if (env.PROXY_API_LOG_LEVEL) set('logging', 'level', env.PROXY_API_LOG_LEVEL.toLowerCase());
  if (env.PROXY_API_API_KEY_HEADER) set('auth', 'api_key_header', env.PROXY_API_API_KEY_HEADER);
  // Keys from the environment (so from a Secret) are added to the file's.
  for (const [name, field] of [['PROXY_API_PROXY_API_KEYS', 'api_keys'], ['PROXY_API_ADMIN_KEYS', 'admin_keys']] as const) {
    const raw = env[name];
    if (!raw) continue;
    const fromFile = ((doc.auth as Json | undefined)?.[field] as string[] | undefined) ?? [];
    set('auth', field, [...new Set([...fromFile, ...parseKeyList(raw)])]);
  }
  if (num('PROXY_API_RATE_LIMIT_REQUESTS') !== undefined) set('rate_limit', 'requests_per_window', num('PROXY_API_RATE_LIMIT_REQUESTS'));
  if (num('PROXY_API_RATE_LIMIT_WINDOW') !== undefined) set('rate_limit', 'window_seconds', num('PROXY_API_RATE_LIMIT_WINDOW'));
  if (num('PROXY_API_CIRCUIT_BREAKER_THRESHOLD') !== undefined) set('circuit_breaker', 'failure_threshold', num('PROXY_API_CIRCUIT_BREAKER_THRESHOLD'));
  if (num('PROXY_API_CIRCUIT_BREAKER_TIMEOUT') !== undefined) set('circuit_breaker', 'recovery_timeout', num('PROXY_API_CIRCUIT_BREAKER_TIMEOUT'));
  if (env.REDIS_URL) set('redis', 'url', env.REDIS_URL);
  if (env.PROXY_API_DATA_DIR) overlay.data_dir = env.PROXY_API_DATA_DIR;
  if (env.DATABASE_URL) set('database', 'url', env.DATABASE_URL);
  // The seeds' names for the TLS files of a host that serves HTTPS itself.
  if (env.SSL_CERTFILE || env.SSL_KEYFILE) set('server', 'tls', { ...((doc.server as Json | undefined)?.tls as Json | undefined), ...(env.SSL_CERTFILE && { cert_file: env.SSL_CERTFILE }), ...(env.SSL_KEYFILE && { key_file: env.SSL_KEYFILE }) });

  let merged = deepMerge(doc, overlay);
  const timeout = num('PROXY_API_PROVIDER_TIMEOUT');
  const retries = num('PROXY_API_PROVIDER_RETRIES');
  if ((timeout !== undefined || retries !== undefined) && Array.isArray(merged.providers)) {
    merged = {
      ...merged,
      providers: merged.providers.map((provider: unknown) =>
        isPlainObject(provider)
          ? { ...provider, ...(timeout !== undefined && { timeout }), ...(retries !== undefined && { max_retries: retries }) }
          : provider,
      ),
    };
  }
  return merged;
}
