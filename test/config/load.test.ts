import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, test } from 'vitest';
import { ConfigError, loadConfig, parseKeyList } from '../../src/config/load.js';

const run = promisify(execFile);

function dirWith(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'llm-proxy-config-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
  return dir;
}

const provider = (extra = '') => `
providers:
  - name: openai
    type: openai
    api_key_env: OPENAI_API_KEY
    models: [gpt-4o]
${extra}`;

function problems(files: Record<string, string>, env: Record<string, string> = {}): string[] {
  const dir = dirWith(files);
  try {
    loadConfig({ file: path.join(dir, Object.keys(files)[0]), env });
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems;
  }
  throw new Error('expected the configuration to be rejected');
}

describe('loadConfig', () => {
  test('defaults fill every section from a minimal file', () => {
    const dir = dirWith({ 'config.yaml': provider() });
    const { config } = loadConfig({ cwd: dir, env: {} });
    expect(config.server).toMatchObject({ host: '127.0.0.1', port: 8000, body_limit_mb: 10, proxy_info: true });
    expect(config.auth.public_paths).toEqual(['/health/live', '/health/ready']);
    expect(config.providers[0]).toMatchObject({ priority: 1, weight: 1, timeout: 30, max_retries: 3, retry_delay: 1, enabled: true });
  });

  test('JSON files load the same as YAML', () => {
    const dir = dirWith({ 'config.json': JSON.stringify({ providers: [{ name: 'a', type: 'openai', models: ['*'] }] }) });
    expect(loadConfig({ cwd: dir, env: {} }).config.providers[0].name).toBe('a');
  });

  test('PROXY_API_CONFIG_FILE picks the file', () => {
    const dir = dirWith({ 'other.yaml': provider() });
    const { files } = loadConfig({ env: { PROXY_API_CONFIG_FILE: path.join(dir, 'other.yaml') } });
    expect(files).toEqual([path.join(dir, 'other.yaml')]);
  });

  test('duplicate provider names are reported with their path', () => {
    const text = `providers:
  - {name: a, type: openai, models: [x]}
  - {name: a, type: openai, models: [y]}`;
    expect(problems({ 'c.yaml': text })).toContain('providers[1].name: Provider names must be unique');
  });

  test('every problem is reported on its own line with its path', () => {
    const text = `server: {port: "eighty"}
providers:
  - {name: a, type: foo, models: [x]}
  - {name: b, type: openai, base_url: "not a url", models: [x]}
  - {name: c, type: openai, api_key_env: "lower-case", models: [x]}
  - {name: d, type: openai, models: []}`;
    const lines = problems({ 'c.yaml': text });
    expect(lines).toContain(
      "providers[0].type: 'foo' is not one of [openai, anthropic, azure_openai, google, cohere, grok, perplexity, openrouter, blackbox, openai_compatible]",
    );
    expect(lines).toContain("providers[1].base_url: 'not a url' is not a valid http(s) URL");
    expect(lines).toContain('providers[2].api_key_env: must be an environment variable name in UPPER_SNAKE_CASE');
    expect(lines).toContain('providers[3].models: at least one model (or "*") is required');
    expect(lines.some((l) => l.startsWith('server.port:'))).toBe(true);
    expect(lines).toHaveLength(5);
  });

  test('providers are required, and an unparseable file is reported', () => {
    expect(problems({ 'c.yaml': 'server: {port: 1}' })[0]).toMatch(/^providers: /);
    expect(problems({ 'c.yaml': 'providers: [\n' })[0]).toMatch(/cannot parse/);
  });

  test('azure and openai_compatible need a base_url; fallback_provider must exist', () => {
    const lines = problems({
      'c.yaml': `providers:
  - {name: a, type: openai_compatible, models: [x], fallback_provider: ghost}`,
    });
    expect(lines).toContain("providers[0].base_url: base_url is required for type 'openai_compatible'");
    expect(lines).toContain("providers[0].fallback_provider: 'ghost' is not a configured provider");
  });

  test('${VAR} and ${VAR:-default} interpolation, with numbers coerced', () => {
    const dir = dirWith({ 'c.yaml': `server: {port: "\${PORT:-9001}", host: "\${HOST}"}\n${provider()}` });
    const { config } = loadConfig({ file: path.join(dir, 'c.yaml'), env: { HOST: '127.0.0.2' } });
    expect(config.server.port).toBe(9001);
    expect(config.server.host).toBe('127.0.0.2');
    expect(problems({ 'c.yaml': `app: {name: "\${MISSING}"}\n${provider()}` })).toEqual([
      'app.name: environment variable MISSING is not set and has no default',
    ]);
  });

  test('config.<ENVIRONMENT>.yaml overlays deep-merge over the base file', () => {
    const dir = dirWith({
      'config.yaml': `server: {port: 8000, body_limit_mb: 3}\n${provider()}`,
      'config.production.yaml': 'server: {port: 9000}\nlogging: {level: warn}',
    });
    const { config, files } = loadConfig({ cwd: dir, env: { ENVIRONMENT: 'production' } });
    expect(config.server.port).toBe(9000);
    expect(config.server.body_limit_mb).toBe(3);
    expect(config.logging.level).toBe('warn');
    expect(config.app.environment).toBe('production');
    expect(files).toHaveLength(2);
  });

  test('every PROXY_API_* override wins over the file', () => {
    const dir = dirWith({ 'config.yaml': `auth: {api_keys: [file-key]}\n${provider()}` });
    const { config } = loadConfig({
      cwd: dir,
      env: {
        PROXY_API_HOST: '0.0.0.0',
        PROXY_API_PORT: '8123',
        PROXY_API_LOG_LEVEL: 'WARN',
        PROXY_API_API_KEY_HEADER: 'X-Custom-Key',
        PROXY_API_PROXY_API_KEYS: 'k1, k2',
        PROXY_API_RATE_LIMIT_REQUESTS: '42',
        PROXY_API_RATE_LIMIT_WINDOW: '30',
        PROXY_API_PROVIDER_TIMEOUT: '7',
        PROXY_API_PROVIDER_RETRIES: '0',
        PROXY_API_CIRCUIT_BREAKER_THRESHOLD: '9',
        PROXY_API_CIRCUIT_BREAKER_TIMEOUT: '15',
        REDIS_URL: 'redis://127.0.0.1:6379/2',
      },
    });
    expect(config.server).toMatchObject({ host: '0.0.0.0', port: 8123 });
    expect(config.logging.level).toBe('warn');
    expect(config.auth.api_key_header).toBe('X-Custom-Key');
    expect(config.auth.api_keys).toEqual(['file-key', 'k1', 'k2']);
    expect(config.rate_limit).toMatchObject({ requests_per_window: 42, window_seconds: 30 });
    expect(config.providers[0]).toMatchObject({ timeout: 7, max_retries: 0 });
    expect(config.circuit_breaker).toMatchObject({ failure_threshold: 9, recovery_timeout: 15 });
    expect(config.redis.url).toBe('redis://127.0.0.1:6379/2');
  });

  test('PROXY_API_DEBUG turns on debug logging', () => {
    const dir = dirWith({ 'config.yaml': provider() });
    expect(loadConfig({ cwd: dir, env: { PROXY_API_DEBUG: 'true' } }).config.logging.level).toBe('debug');
  });

  test('key lists: comma list, JSON array or a single key', () => {
    expect(parseKeyList('a,b , c')).toEqual(['a', 'b', 'c']);
    expect(parseKeyList('["x","y"]')).toEqual(['x', 'y']);
    expect(parseKeyList('only-one')).toEqual(['only-one']);
  });

  test('the legacy flat format is migrated with one warning naming the moved keys', () => {
    const dir = dirWith({
      'config.yaml': `app_name: old-proxy
host: 127.0.0.1
port: 8111
api_keys: [legacy-key]
rate_limit_rpm: 77
circuit_breaker_threshold: 4
log_level: DEBUG
${provider()}`,
    });
    const { config, warnings } = loadConfig({ cwd: dir, env: {} });
    expect(config.app.name).toBe('old-proxy');
    expect(config.server.port).toBe(8111);
    expect(config.auth.api_keys).toEqual(['legacy-key']);
    expect(config.rate_limit.requests_per_window).toBe(77);
    expect(config.circuit_breaker.failure_threshold).toBe(4);
    expect(config.logging.level).toBe('debug');
    expect(warnings).toHaveLength(1);
    for (const key of ['app_name', 'host', 'port', 'api_keys', 'rate_limit_rpm', 'circuit_breaker_threshold', 'log_level']) {
      expect(warnings[0]).toContain(key);
    }
  });
});

describe('command line', () => {
  const tsx = path.resolve('node_modules/.bin/tsx');

  test('validate-config prints OK for a valid file and every problem for a bad one', async () => {
    const good = dirWith({ 'c.yaml': provider() });
    const ok = await run(tsx, ['src/validate-config.ts', path.join(good, 'c.yaml')]);
    expect(ok.stdout.trim()).toBe('OK');

    const bad = dirWith({ 'c.yaml': 'providers:\n  - {name: a, type: foo, models: [x]}\n  - {name: a, type: openai, models: [x]}' });
    const failed = await run(tsx, ['src/validate-config.ts', path.join(bad, 'c.yaml')]).catch((e: { code: number; stdout: string }) => e);
    expect((failed as { code: number }).code).toBe(1);
    expect((failed as { stdout: string }).stdout).toContain('providers[1].name: Provider names must be unique');
    expect((failed as { stdout: string }).stdout).toContain("providers[0].type: 'foo' is not one of");
  });

  test('the server exits 1 on invalid config, with each problem on its own line', async () => {
    const bad = dirWith({ 'c.yaml': 'providers:\n  - {name: a, type: foo, models: [x]}' });
    const failed = await run(tsx, ['src/main.ts', '--config', path.join(bad, 'c.yaml')]).catch((e: { code: number; stderr: string }) => e);
    expect((failed as { code: number }).code).toBe(1);
    expect((failed as { stderr: string }).stderr).toContain("providers[0].type: 'foo' is not one of");
  });

  test('binding a non-loopback host without API keys refuses to start', async () => {
    const dir = dirWith({ 'c.yaml': `server: {host: 0.0.0.0, port: 0}\n${provider()}` });
    const failed = await run(tsx, ['src/main.ts', '--config', path.join(dir, 'c.yaml')], { env: { ...process.env, PROXY_API_PROXY_API_KEYS: '' } }).catch(
      (e: { code: number; stderr: string }) => e,
    );
    expect((failed as { code: number }).code).toBe(1);
    expect((failed as { stderr: string }).stderr).toContain('Proxy API keys must be configured');
  });
});
