/* eslint-disable @typescript-eslint/no-explicit-any -- rendered Compose files are read loosely */
// Compose, systemd and .env.example checked against the code: Debian's docker-compose validates the
// Compose file without an engine; every mounted file exists; every variable an asset sets is one the
// code reads, and .env.example lists every variable the code reads.
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { parse } from 'yaml';
import { loadConfig } from '../../src/config/load.js';
import { configSchema } from '../../src/config/schema.js';
import { codeEnvNames, configEnvNames, repoPath } from './env-names.js';

const readable = new Set([...codeEnvNames(), ...configEnvNames('config.yaml')]);
const exampleNames = readFileSync(repoPath('.env.example'), 'utf8')
  .split('\n')
  .filter((line) => /^[A-Z][A-Z0-9_]*=/.test(line))
  .map((line) => line.split('=')[0]);

describe('docker-compose.yml', () => {
  const compose = parse(readFileSync(repoPath('docker-compose.yml'), 'utf8'), { merge: true });

  const composeConfig = (env: string, ...args: string[]) => {
    const dir = mkdtempSync(path.join(tmpdir(), 'llm-proxy-compose-'));
    try {
      copyFileSync(repoPath('docker-compose.yml'), path.join(dir, 'docker-compose.yml'));
      writeFileSync(path.join(dir, '.env'), env);
      return execFileSync('docker-compose', args.length ? args : ['config', '-q'], { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (error) {
      const e = error as { code?: string; stderr?: string };
      if (e.code === 'ENOENT') throw new Error("docker-compose not found: install Debian's docker-compose package (.ci/run does)");
      throw new Error(`docker-compose ${args.join(' ')} failed: ${e.stderr ?? ''}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
  const example = readFileSync(repoPath('.env.example'), 'utf8');

  test('docker-compose config -q accepts it with .env from .env.example and a Grafana password, and refuses it without one', () => {
    expect(composeConfig(example.replace(/^GRAFANA_ADMIN_PASSWORD=.*$/m, 'GRAFANA_ADMIN_PASSWORD=a-real-password'))).toBe('');
    expect(() => composeConfig(example)).toThrow(/GRAFANA_ADMIN_PASSWORD/);
    const services = composeConfig('GRAFANA_ADMIN_PASSWORD=x\n', '--profile', 'tracing', '--profile', 'fleet', 'config', '--services').trim().split('\n').sort();
    expect(services).toEqual(['alertmanager', 'grafana', 'jaeger', 'lb', 'migrate', 'postgres', 'prometheus', 'proxy', 'proxy-a', 'proxy-b', 'redis']);
  });

  test('safe by default: ports on 127.0.0.1 unless BIND_ADDRESS, health-gated depends_on, a memory limit on every service', () => {
    const rendered = parse(composeConfig('GRAFANA_ADMIN_PASSWORD=x\n', '--profile', 'tracing', '--profile', 'fleet', 'config'));
    for (const [name, service] of Object.entries(rendered.services as Record<string, any>)) {
      for (const port of service.ports ?? []) expect(typeof port === 'string' ? port.split(':')[0] : port.host_ip, `${name} ${JSON.stringify(port)}`).toBe('127.0.0.1');
      expect(service.mem_limit, name).toBeDefined();
    }
    expect(rendered.services.proxy.depends_on.redis.condition).toBe('service_healthy');
    expect(rendered.services['proxy-a'].depends_on).toMatchObject({ postgres: { condition: 'service_healthy' }, migrate: { condition: 'service_completed_successfully' } });
    expect(rendered.services.lb.depends_on['proxy-b'].condition).toBe('service_healthy');
    expect(rendered.services.migrate.command).toEqual(['npm', 'run', '--silent', 'migrate']);
    const open = parse(composeConfig('GRAFANA_ADMIN_PASSWORD=x\nBIND_ADDRESS=0.0.0.0\n', 'config'));
    const published = open.services.proxy.ports[0];
    expect(typeof published === 'string' ? published.split(':')[0] : published.host_ip).toBe('0.0.0.0');
    // Alertmanager receives the rules' alerts.
    const prometheus = parse(readFileSync(repoPath('monitoring/prometheus.yml'), 'utf8'));
    expect(prometheus.alerting.alertmanagers[0].static_configs[0].targets).toEqual(['alertmanager:9093']);
    expect(parse(readFileSync(repoPath('monitoring/alertmanager.yml'), 'utf8')).receivers[0].webhook_configs[0].url).toMatch(/^http/);
  });

  test('every file it mounts exists in the repository', () => {
    const mounts = Object.values(compose.services as Record<string, { volumes?: string[] }>).flatMap((s) => s.volumes ?? []).filter((v) => v.startsWith('./'));
    expect(mounts.length).toBeGreaterThan(4);
    for (const mount of mounts) expect(existsSync(repoPath(mount.split(':')[0])), mount).toBe(true);
  });

  test("the proxy's environment names are ones the code reads; secrets come from .env only", () => {
    const proxy = compose.services.proxy;
    expect(proxy.env_file).toBe('${ENV_FILE:-.env}');
    for (const name of Object.keys(proxy.environment)) expect(readable, name).toContain(name);
    const text = readFileSync(repoPath('docker-compose.yml'), 'utf8');
    expect(text).not.toMatch(/sk-[A-Za-z0-9]{8,}|API_KEY\s*:/);
    for (const [, name] of text.matchAll(/\$\{([A-Z_][A-Z0-9_]*)/g)) expect(exampleNames, name).toContain(name);
  });

  test('the compose overlay it mounts is a valid config overlay that moves metrics to the port Prometheus scrapes', () => {
    // As the container lays them out: /app/config.yaml with /app/config.compose.yaml beside it.
    const dir = mkdtempSync(path.join(tmpdir(), 'llm-proxy-compose-config-'));
    copyFileSync(repoPath('config.yaml'), path.join(dir, 'config.yaml'));
    copyFileSync(repoPath('deploy/compose/config.compose.yaml'), path.join(dir, 'config.compose.yaml'));
    const merged = loadConfig({ file: path.join(dir, 'config.yaml'), env: { ENVIRONMENT: compose.services.proxy.environment.ENVIRONMENT } }).config;
    rmSync(dir, { recursive: true, force: true });
    const target = parse(readFileSync(repoPath('monitoring/prometheus.yml'), 'utf8')).scrape_configs[0].static_configs[0].targets[0];
    expect(target).toBe(`proxy:${merged.metrics.port}`);
    expect(compose.services.proxy.environment.ENVIRONMENT).toBe('compose');
  });
});

describe('deploy/systemd/llm-proxy.service', () => {
  const unit = readFileSync(repoPath('deploy/systemd/llm-proxy.service'), 'utf8');
  const values = (key: string) => [...unit.matchAll(new RegExp(`^${key}=(.*)$`, 'gm'))].map((m) => m[1]);
  const one = (key: string) => values(key)[0];

  test('runs the built server with the start flags, as an unprivileged user, with keys from an EnvironmentFile', () => {
    const startProd = JSON.parse(readFileSync(repoPath('package.json'), 'utf8')).scripts['start:prod'] as string;
    const flags = startProd.split(/\s+/).filter((w) => w.startsWith('--'));
    const exec = one('ExecStart');
    expect(exec).toMatch(/^\/usr\/bin\/node .*dist\/main\.js$/);
    for (const flag of flags) expect(exec).toContain(flag);
    expect(one('User')).not.toBe('root');
    expect(one('EnvironmentFile')).toMatch(/^-?\/etc\/llm-proxy\//);
    expect(one('Restart')).toBe('on-failure');
    expect(one('ExecReload')).toBe('/bin/kill -HUP $MAINPID');
  });

  test('is hardened, writable only in the state folder, and waits out the drain on stop', () => {
    for (const [key, value] of Object.entries({ NoNewPrivileges: 'true', ProtectSystem: 'strict', PrivateTmp: 'true', ProtectHome: 'true' })) expect(one(key), key).toBe(value);
    const env = Object.fromEntries(values('Environment').map((e) => e.split('=', 2) as [string, string]));
    for (const name of Object.keys(env).filter((n) => n.startsWith('PROXY_API_'))) expect(readable, name).toContain(name);
    expect(one('ReadWritePaths')).toBe(env.PROXY_API_DATA_DIR);
    expect(Number(one('TimeoutStopSec'))).toBeGreaterThan(configSchema.parse({ providers: [] }).server.shutdown_grace_s);
    // MemoryMax, with the V8 heap below it.
    expect(one('MemoryMax')).toBe('1G');
    const heap = values('Environment').find((e) => e.startsWith('NODE_OPTIONS='));
    expect(Number(/--max-old-space-size=(\d+)/.exec(heap ?? '')?.[1])).toBeLessThanOrEqual(0.8 * 1024);
  });
});

describe('.env.example', () => {
  test('lists every environment variable the code and the shipped config read', () => {
    for (const name of readable) expect(exampleNames, name).toContain(name);
  });

  test('lists nothing the code does not read, except the Compose-only settings it names', () => {
    const composeText = readFileSync(repoPath('docker-compose.yml'), 'utf8');
    for (const name of exampleNames) expect(readable.has(name) || composeText.includes(`\${${name}`), name).toBe(true);
  });
});

describe('deploy/systemd/llm-proxy-backup.{service,timer}', () => {
  const service = readFileSync(repoPath('deploy/systemd/llm-proxy-backup.service'), 'utf8');
  const timer = readFileSync(repoPath('deploy/systemd/llm-proxy-backup.timer'), 'utf8');

  test('runs the compiled backup CLI as the service user on a daily timer, with the same config and state folder', () => {
    const unit = readFileSync(repoPath('deploy/systemd/llm-proxy.service'), 'utf8');
    const value = (text: string, key: string) => new RegExp(`^${key}=(.*)$`, 'm').exec(text)?.[1];
    expect(value(service, 'ExecStart')).toBe('/usr/bin/node /opt/llm-proxy/dist/backup/backup-cli.js');
    expect(existsSync(repoPath('src/backup/backup-cli.ts'))).toBe(true);
    expect(value(service, 'User')).toBe(value(unit, 'User'));
    for (const name of ['PROXY_API_CONFIG_FILE', 'PROXY_API_DATA_DIR']) {
      expect(service).toContain(unit.match(new RegExp(`^Environment=${name}=.*$`, 'm'))![0]);
    }
    expect(value(service, 'Type')).toBe('oneshot');
    expect(value(timer, 'OnCalendar')).toMatch(/\d\d:\d\d/);
    expect(value(timer, 'Persistent')).toBe('true');
  });
});
