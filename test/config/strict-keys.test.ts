// Regressions from a new operator's first hour: misspelled keys (`sever:`, `loging:`, `max_retires:`,
// `timout:`) validated as OK and the defaults applied; validate-config said OK for a config start-up
// refuses; admin keys could come only from the file; placeholder keys were accepted.
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, test } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/load.js';
import { startupProblems } from '../../src/start.js';
import { MockUpstream } from '../support/mock-openai.js';
import { mockProvider, startProxy } from '../support/proxy.js';

const run = promisify(execFile);
const tsx = path.resolve('node_modules/.bin/tsx');
const PROVIDER = 'providers:\n  - name: openai\n    type: openai\n    models: [gpt-4o]\n';

function file(text: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'llm-proxy-strict-'));
  writeFileSync(path.join(dir, 'c.yaml'), text);
  return path.join(dir, 'c.yaml');
}
function problems(text: string, env: Record<string, string> = {}): string[] {
  try {
    const loaded = loadConfig({ file: file(text), env });
    return startupProblems(loaded);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return error.problems;
  }
}

describe('unknown keys are errors with the path and the key meant', () => {
  test.each([
    ['sever: {port: 1}\n' + PROVIDER, "sever: unknown key; did you mean 'server'?"],
    ['loging: {level: debug}\n' + PROVIDER, "loging: unknown key; did you mean 'logging'?"],
    ['server: {prot: 1}\n' + PROVIDER, "server.prot: unknown key; did you mean 'port'?"],
    [PROVIDER + '    max_retires: 2\n', "providers[0].max_retires: unknown key; did you mean 'max_retries'?"],
    [PROVIDER + '    timout: 2\n', "providers[0].timout: unknown key; did you mean 'timeout'?"],
    ['budgets: {on_store_eror: open}\n' + PROVIDER, "budgets.on_store_eror: unknown key; did you mean 'on_store_error'?"],
    ['database: {ulr: "sqlite::memory:"}\n' + PROVIDER, "database.ulr: unknown key; did you mean 'url'?"],
    ['request_logs: {retention_day: 3}\n' + PROVIDER, "request_logs.retention_day: unknown key; did you mean 'retention_days'?"],
    ['rate_limit: {ip_limits: {whitelst: []}}\n' + PROVIDER, "rate_limit.ip_limits.whitelst: unknown key; did you mean 'whitelist'?"],
    ['model_overrides: {gpt-4o: {max_token: 5}}\n' + PROVIDER, "model_overrides.gpt-4o.max_token: unknown key; did you mean 'max_tokens'?"],
    ['alerting: {rules: [{name: r, metric_path: a, condition: ">", threshold: 1, severty: info}]}\n' + PROVIDER, "alerting.rules[0].severty: unknown key; did you mean 'severity'?"],
  ])('%#: %j', (text, line) => {
    expect(problems(text)).toContain(line);
  });

  test('every misspelling is reported at once, one line each', () => {
    expect(problems('sever: {}\nloging: {}\n' + PROVIDER + '    timout: 2\n').sort()).toEqual([
      "sever: unknown key; did you mean 'server'?",
      "loging: unknown key; did you mean 'logging'?",
      "providers[0].timout: unknown key; did you mean 'timeout'?",
    ].sort());
  });

  test('open maps stay open: pricing, model_overrides, custom_headers, deployments, routes, breaker providers, the discovery template', () => {
    const text = `${PROVIDER}    custom_headers: {X-Anything: a}
    headers: {X-Other: b}
pricing: {my-model: {input_per_1k: 1, output_per_1k: 1}}
model_overrides: {my-alias: {alias_for: gpt-4o}}
rate_limit: {routes: {"/v1/anything": 5/minute}}
circuit_breaker: {providers: {openai: {failure_threshold: 2}}}
discovery: {sources: [{type: dns, name: x.local, template: {name: t, models: ["*"], priority: 3}}]}
`;
    expect(problems(text)).toEqual([]);
    const loaded = loadConfig({ file: file(text), env: {} });
    // `headers` is another name for custom_headers.
    expect(loaded.config.providers[0].custom_headers).toEqual({ 'X-Other': 'b', 'X-Anything': 'a' });
  });

  test('the legacy flat format still migrates', () => {
    expect(problems(`host: 127.0.0.1\nlog_level: INFO\n${PROVIDER}`)).toEqual([]);
  });
});

describe('start-up checks', () => {
  test.each([
    ['REPLACE-with-client-keys', 'api_keys', "auth.api_keys[0]: refused because it is a placeholder ('REPLACE…')"],
    ['changeme-changeme-changeme', 'admin_keys', "auth.admin_keys[0]: refused because it is a placeholder ('changeme')"],
    ['short-key', 'admin_keys', 'auth.admin_keys[0]: refused because it is shorter than 16 characters'],
  ])('placeholder key %s is refused', (key, field, line) => {
    const found = problems(`auth: {${field}: [${key}]}\n${PROVIDER}`);
    expect(found).toHaveLength(1);
    expect(found[0]).toContain(line);
    expect(found[0]).not.toContain(key);
  });

  test('validate-config refuses what start-up refuses: no keys off loopback, placeholder keys; answers --help', async () => {
    const exposed = file(`server: {host: 0.0.0.0}\n${PROVIDER}`);
    const env = { ...process.env, PROXY_API_PROXY_API_KEYS: '', PROXY_API_ADMIN_KEYS: '' };
    const failed = (await run(tsx, ['src/validate-config.ts', exposed], { env }).catch((e: unknown) => e)) as { code: number; stdout: string };
    expect(failed.code).toBe(1);
    expect(failed.stdout).toContain('server.host: Proxy API keys must be configured to listen on 0.0.0.0');
    const started = (await run(tsx, ['src/main.ts', '--config', exposed], { env }).catch((e: unknown) => e)) as { code: number; stderr: string };
    expect(started.code).toBe(1);
    expect(started.stderr).toContain('Proxy API keys must be configured to listen on 0.0.0.0');

    const placeholder = (await run(tsx, ['src/validate-config.ts', file(`auth: {admin_keys: [REPLACE-me-with-a-key]}\n${PROVIDER}`)], { env }).catch((e: unknown) => e)) as { code: number; stdout: string };
    expect(placeholder.code).toBe(1);
    expect(placeholder.stdout).toContain('auth.admin_keys[0]: refused because');
    expect((await run(tsx, ['src/validate-config.ts', '--help'])).stdout).toContain('Usage: npm run validate-config');
  }, 30_000);
});

test('admin keys from PROXY_API_ADMIN_KEYS work end to end: admin API and the console data', async () => {
  const upstream = await MockUpstream.start('admin-env');
  const admin = 'sk-admin-from-environment';
  const proxy = await startProxy({ hot_reload: { enabled: false }, auth: { api_keys: ['sk-client-key-0123456789'] }, database: { url: 'sqlite::memory:' }, providers: [mockProvider('p', upstream.url)] }, { PROXY_API_ADMIN_KEYS: `${admin}, sk-second-admin-key-0000` });
  try {
    expect(proxy.runtime.config.auth.admin_keys).toEqual([admin, 'sk-second-admin-key-0000']);
    const get = (url: string, key: string) => fetch(`${proxy.url}${url}`, { headers: { authorization: `Bearer ${key}` } }).then((r) => r.status);
    expect(await get('/v1/keys', admin)).toBe(200);
    expect(await get('/v1/console/timeseries?window=1h', admin)).toBe(200);
    expect(await get('/v1/config/status', 'sk-second-admin-key-0000')).toBe(200);
    expect(await get('/v1/keys', 'sk-client-key-0123456789')).toBe(403);
    expect(await get('/ui/', admin)).toBe(200);
  } finally {
    await proxy.close();
    await upstream.close();
  }
});
