/* eslint-disable @typescript-eslint/no-explicit-any -- rendered manifests are read loosely */
// The Kustomize base and its Prometheus Operator overlay, rendered by kubectl's own Kustomize (the
// engine `kubectl apply -k` runs, offline), validated against the Kubernetes OpenAPI schemas
// (kubernetes-models), then cross-checked where schemas allow anything: labels, ports, probes,
// grace periods, budgets, env vars and secrets, security settings, egress per dependency, the migration
// Job. The quickstart overlay (a Secret generated from a git-ignored env file, an in-cluster PostgreSQL)
// and the optional components are rendered from a copy of k8s/ holding a generated env file.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Namespace, Secret, Service, ServiceAccount, ConfigMap } from 'kubernetes-models/v1';
import { Deployment, StatefulSet } from 'kubernetes-models/apps/v1';
import { Job } from 'kubernetes-models/batch/v1';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import { Ingress, NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { PrometheusRule, ServiceMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { loadConfig } from '../../src/config/load.js';
import { serverPort } from '../../src/observability/metrics-server.js';
import { MockUpstream } from '../support/mock-openai.js';
import { mockProvider, startProxy, type TestProxy } from '../support/proxy.js';
import { codeEnvNames, configEnvNames, repoPath } from './env-names.js';

const MODELS: Record<string, new (data: any) => { validate(): void }> = {
  Namespace, Secret, Service, ServiceAccount, ConfigMap, Deployment, StatefulSet, Job, HorizontalPodAutoscaler, Ingress, NetworkPolicy, PodDisruptionBudget, PrometheusRule, ServiceMonitor,
};

function render(dir: string): any[] {
  let out: string;
  try {
    out = execFileSync('kubectl', ['kustomize', path.isAbsolute(dir) ? dir : repoPath(dir)], { encoding: 'utf8' });
  } catch (error) {
    throw new Error(`kubectl kustomize ${dir} failed (kubectl 1.32 renders offline; is it installed?): ${(error as Error).message}`);
  }
  return parseAllDocuments(out).map((doc) => doc.toJS());
}

const base = render('k8s');
const withMonitoring = render('k8s/overlays/with-monitoring');
const namespace = render('k8s/namespace');
// A copy of k8s/ with secrets.env filled in from the example (sentinel values), as a user would.
const SENTINEL = 'sentinel-secret-value-0451';
const copy = mkdtempSync(path.join(tmpdir(), 'llm-proxy-k8s-'));
cpSync(repoPath('k8s'), path.join(copy, 'k8s'), { recursive: true });
const exampleKeys = readFileSync(repoPath('k8s/components/secrets-from-env/secrets.env.example'), 'utf8')
  .split('\n')
  .filter((l) => /^[A-Z_]+=/.test(l))
  .map((l) => l.slice(0, l.indexOf('=')));
writeFileSync(path.join(copy, 'k8s/components/secrets-from-env/secrets.env'), exampleKeys.map((k) => `${k}=${SENTINEL}-${k}`).join('\n'));
const quickstart = render(path.join(copy, 'k8s/overlays/quickstart'));
mkdirSync(path.join(copy, 'k8s/in-flight'));
writeFileSync(
  path.join(copy, 'k8s/in-flight/kustomization.yaml'),
  'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [../base]\ncomponents: [../components/hpa-in-flight]\n',
);
const inFlight = render(path.join(copy, 'k8s/in-flight'));
rmSync(copy, { recursive: true, force: true });
const find = (set: any[], kind: string, name: string) => set.find((o) => o.kind === kind && o.metadata.name === name);
const proxyDeployment = find(base, 'Deployment', 'llm-proxy');
const container = proxyDeployment.spec.template.spec.containers[0];
const k8sConfig = loadConfig({ file: repoPath('k8s/base/config.yaml'), env: {} }).config;
const matches = (selector: Record<string, string>, labels: Record<string, string>) => Object.entries(selector).every(([k, v]) => labels[k] === v);

describe('rendered manifests', () => {
  test('the base renders every object the README lists, all in the llm-proxy namespace, and neither a Namespace nor a Secret', () => {
    const kinds = base.map((o) => o.kind).sort();
    expect(kinds).toEqual(['ConfigMap', 'Deployment', 'Deployment', 'HorizontalPodAutoscaler', 'Ingress', 'Job', 'NetworkPolicy', 'NetworkPolicy', 'NetworkPolicy', 'PodDisruptionBudget', 'Service', 'Service', 'ServiceAccount']);
    for (const o of base) expect(o.metadata.namespace, `${o.kind}/${o.metadata.name}`).toBe('llm-proxy');
    expect(namespace.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual(['Namespace/llm-proxy']);
    expect(namespace[0].metadata.labels['pod-security.kubernetes.io/enforce']).toBe('restricted');
  });

  test('quickstart: the Secret generated from secrets.env (hash-suffixed, referenced everywhere), PostgreSQL in the namespace', () => {
    const secret = quickstart.find((o) => o.kind === 'Secret');
    expect(secret.metadata.name).toMatch(/^llm-proxy-keys-[a-z0-9]{10}$/);
    expect(Object.keys(secret.data).sort()).toEqual([...exampleKeys].sort());
    const refs = [...JSON.stringify(quickstart.filter((o) => o.kind !== 'Secret')).matchAll(/"name":"(llm-proxy-keys[a-z0-9-]*)"/g)].map((m) => m[1]);
    expect(refs.length).toBeGreaterThanOrEqual(4); // proxy, its init container, the Job, PostgreSQL
    expect(new Set(refs)).toEqual(new Set([secret.metadata.name]));
    const postgres = find(quickstart, 'StatefulSet', 'llm-proxy-postgres');
    expect(postgres.metadata.namespace).toBe('llm-proxy');
    expect(find(quickstart, 'Service', 'llm-proxy-postgres').spec.ports[0].port).toBe(5432);
    const ingress = find(quickstart, 'NetworkPolicy', 'llm-proxy-postgres').spec.ingress[0].from[0].podSelector.matchExpressions;
    expect(ingress.find((e: any) => e.key === 'app.kubernetes.io/component').values.sort()).toEqual(['gateway', 'migration']);
  });

  test('hpa-in-flight adds a per-pod in-flight requests metric to the HPA', () => {
    const metrics = find(inFlight, 'HorizontalPodAutoscaler', 'llm-proxy').spec.metrics;
    expect(metrics.map((m: any) => m.type)).toEqual(['Resource', 'Resource', 'Pods']);
    expect(metrics[2].pods.metric.name).toBe('llm_proxy_active_requests');
  });

  test.each([...base, ...quickstart, ...namespace, ...inFlight, ...withMonitoring.filter((o) => o.apiVersion.startsWith('monitoring.coreos.com'))].map((o) => [`${o.kind}/${o.metadata.name}`, o]))(
    '%s is valid against the Kubernetes OpenAPI schema',
    (_name, object) => {
      const Model = MODELS[object.kind];
      expect(Model, `no schema model for ${object.kind}`).toBeDefined();
      expect(() => new Model(object).validate()).not.toThrow();
    },
  );

  test('the overlay adds exactly a ServiceMonitor and a PrometheusRule whose groups are monitoring/alert_rules.yml', () => {
    const added = withMonitoring.filter((o) => !find(base, o.kind, o.metadata.name)).map((o) => `${o.kind}/${o.metadata.namespace}`);
    expect(added.sort()).toEqual(['PrometheusRule/llm-proxy', 'ServiceMonitor/llm-proxy']);
    const rule = find(withMonitoring, 'PrometheusRule', 'llm-proxy');
    expect(rule.spec.groups).toEqual(parse(readFileSync(repoPath('monitoring/alert_rules.yml'), 'utf8')).groups);
    const monitor = find(withMonitoring, 'ServiceMonitor', 'llm-proxy');
    const service = find(base, 'Service', 'llm-proxy');
    expect(matches(monitor.spec.selector.matchLabels, service.metadata.labels)).toBe(true);
    expect(service.spec.ports.map((p: any) => p.name)).toContain(monitor.spec.endpoints[0].port);
    expect(monitor.spec.endpoints[0].path).toBe('/metrics/prometheus');
  });

  test('the ConfigMap comes from a generator (hash-suffixed name, so a config change rolls the pods) and holds a valid config', () => {
    const configMap = base.find((o) => o.kind === 'ConfigMap');
    expect(configMap.metadata.name).toMatch(/^llm-proxy-config-[a-z0-9]{10}$/);
    expect(proxyDeployment.spec.template.spec.volumes.find((v: any) => v.name === 'config').configMap.name).toBe(configMap.metadata.name);
    expect(configMap.data['config.yaml']).toBe(readFileSync(repoPath('k8s/base/config.yaml'), 'utf8'));
    expect(k8sConfig.server.host).toBe('0.0.0.0');
  });
});

describe('cross-checks', () => {
  test('selectors match the pod labels they are meant for', () => {
    const podLabels = proxyDeployment.spec.template.metadata.labels;
    expect(matches(proxyDeployment.spec.selector.matchLabels, podLabels)).toBe(true);
    expect(matches(find(base, 'Service', 'llm-proxy').spec.selector, podLabels)).toBe(true);
    expect(matches(find(base, 'PodDisruptionBudget', 'llm-proxy').spec.selector.matchLabels, podLabels)).toBe(true);
    expect(matches(find(base, 'NetworkPolicy', 'llm-proxy').spec.podSelector.matchLabels, podLabels)).toBe(true);
    for (const c of proxyDeployment.spec.template.spec.topologySpreadConstraints) expect(matches(c.labelSelector.matchLabels, podLabels)).toBe(true);
    const redis = find(base, 'Deployment', 'llm-proxy-redis');
    expect(matches(find(base, 'Service', 'llm-proxy-redis').spec.selector, redis.spec.template.metadata.labels)).toBe(true);
    expect(matches(find(base, 'NetworkPolicy', 'llm-proxy-redis').spec.ingress[0].from[0].podSelector.matchLabels, podLabels)).toBe(true);
    const hpa = find(base, 'HorizontalPodAutoscaler', 'llm-proxy');
    expect(find(base, hpa.spec.scaleTargetRef.kind, hpa.spec.scaleTargetRef.name)).toBeDefined();
    const backend = find(base, 'Ingress', 'llm-proxy').spec.rules[0].http.paths[0].backend.service;
    expect(find(base, 'Service', backend.name).spec.ports.map((p: any) => p.name)).toContain(backend.port.name);
  });

  test('container port = Service targetPort = the configured server.port; NetworkPolicy allows it', () => {
    const port = container.ports.find((p: any) => p.name === 'http');
    const target = find(base, 'Service', 'llm-proxy').spec.ports[0].targetPort;
    const resolved = typeof target === 'number' ? target : container.ports.find((p: any) => p.name === target).containerPort;
    expect(port.containerPort).toBe(k8sConfig.server.port);
    expect(resolved).toBe(k8sConfig.server.port);
    const [clients, metrics] = find(base, 'NetworkPolicy', 'llm-proxy').spec.ingress;
    expect(clients.ports.map((p: any) => p.port)).toEqual([k8sConfig.server.port]);
    expect(clients.from).toBeUndefined();
    // The unauthenticated metrics port: from the monitoring namespace only.
    expect(metrics.ports.map((p: any) => p.port)).toEqual([k8sConfig.metrics.port]);
    expect(metrics.from).toEqual([{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } }]);
    // Metrics: their own listener (metrics.port), a Service port the ServiceMonitor scrapes and the Ingress does not route.
    expect(container.ports.find((p: any) => p.name === 'metrics').containerPort).toBe(k8sConfig.metrics.port);
    const metricsPort = find(base, 'Service', 'llm-proxy').spec.ports.find((p: any) => p.name === 'metrics');
    expect(metricsPort.targetPort).toBe('metrics');
    expect(find(base, 'Ingress', 'llm-proxy').spec.rules[0].http.paths.map((p: any) => p.backend.service.port.name)).toEqual(['http']);
    expect(find(base, 'Deployment', 'llm-proxy').spec.template.spec.containers[0].env.find((e: any) => e.name === 'REDIS_URL').value).toBe('redis://llm-proxy-redis:6379');
  });

  test('rollouts never cut a stream: no replicas beside the HPA, maxUnavailable 0, grace ≥ preStop + shutdown delay + shutdown_grace_s ≥ request_timeout', () => {
    const spec = proxyDeployment.spec;
    const hpa = find(base, 'HorizontalPodAutoscaler', 'llm-proxy');
    expect(hpa.spec.scaleTargetRef.name).toBe(proxyDeployment.metadata.name);
    expect(spec.replicas).toBeUndefined();
    expect(hpa.spec.minReplicas).toBeGreaterThanOrEqual(2);
    expect(hpa.spec.metrics.map((m: any) => m.resource.name)).toEqual(['cpu', 'memory']);
    expect(spec.strategy.rollingUpdate.maxUnavailable).toBe(0);
    const [cmd, seconds] = container.lifecycle.preStop.exec.command;
    expect(cmd).toBe('sleep');
    const grace = k8sConfig.server.shutdown_grace_s ?? k8sConfig.server.request_timeout + 5;
    expect(grace).toBeGreaterThanOrEqual(k8sConfig.server.request_timeout);
    expect(spec.template.spec.terminationGracePeriodSeconds).toBeGreaterThanOrEqual(Number(seconds) + k8sConfig.server.shutdown_delay_s + grace);
    expect(hpa.spec.behavior.scaleDown.stabilizationWindowSeconds).toBeGreaterThan(0);
  });

  test('the PDB lets one pod go at a time at any fleet size, and never blocks on unhealthy pods', () => {
    const pdb = find(base, 'PodDisruptionBudget', 'llm-proxy');
    expect(pdb.spec).toMatchObject({ maxUnavailable: 1, unhealthyPodEvictionPolicy: 'AlwaysAllow' });
    expect(pdb.spec.minAvailable).toBeUndefined();
  });

  test('migrations run once per release in a Job (npm run migrate, same image, config and Secret); pods only wait for them', () => {
    const job = find(base, 'Job', 'llm-proxy-migrate');
    const migrate = job.spec.template.spec.containers[0];
    expect(migrate.command).toEqual(['npm', 'run', '--silent', 'migrate']);
    expect(JSON.parse(readFileSync(repoPath('package.json'), 'utf8')).scripts.migrate).toBeDefined();
    expect(readFileSync(repoPath('Dockerfile'), 'utf8')).toContain('npm pkg set scripts.migrate="node dist/db/migrate-cli.js"');
    expect(migrate.image).toBe(container.image);
    expect(migrate.envFrom).toEqual(container.envFrom);
    expect(migrate.env).toEqual(container.env.filter((e: any) => e.name.startsWith('PROXY_API_')));
    expect(job.spec.template.spec.volumes.find((v: any) => v.name === 'config').configMap.name).toBe(base.find((o) => o.kind === 'ConfigMap').metadata.name);
    expect(job.spec.template.spec.restartPolicy).toBe('OnFailure');
    // The proxy does not migrate; its init container waits until the schema is this build's.
    expect(k8sConfig.database.migrate).toBe(false);
    const [wait] = proxyDeployment.spec.template.spec.initContainers;
    expect(wait.image).toBe(container.image);
    expect(wait.command.slice(0, 3)).toEqual(['node', 'dist/db/migrate-cli.js', '--wait']);
    expect(wait.envFrom).toEqual(container.envFrom);
  });

  test('egress: one rule per dependency the config can name (DNS, PostgreSQL, Redis, HTTPS providers and webhooks, in-cluster HTTP providers, OTLP)', () => {
    const egress = find(base, 'NetworkPolicy', 'llm-proxy').spec.egress;
    const ports = egress.map((rule: any) => rule.ports.map((p: any) => p.port));
    expect(ports).toEqual([[53, 53], [5432], [6379, 6380], [443], [80, 8000, 11434], [4317, 4318]]);
    const migrationEgress = find(base, 'NetworkPolicy', 'llm-proxy-migrate').spec.egress.flatMap((r: any) => r.ports.map((p: any) => p.port));
    expect(migrationEgress).toEqual([53, 53, 5432]);
    const jobLabels = find(base, 'Job', 'llm-proxy-migrate').spec.template.metadata.labels;
    expect(matches(find(base, 'NetworkPolicy', 'llm-proxy-migrate').spec.podSelector.matchLabels, jobLabels)).toBe(true);
  });

  test('the V8 heap is tied to the memory limit; every emptyDir has a sizeLimit', () => {
    const heap = Number(/--max-old-space-size=(\d+)/.exec(container.env.find((e: any) => e.name === 'NODE_OPTIONS').value)![1]);
    const limitMi = Number(/^(\d+)Mi$/.exec(container.resources.limits.memory)![1]);
    expect(heap).toBeGreaterThanOrEqual(limitMi * 0.5);
    expect(heap).toBeLessThanOrEqual(limitMi * 0.8);
    for (const o of [...base, ...quickstart].filter((x) => x.spec?.template?.spec)) {
      for (const v of o.spec.template.spec.volumes ?? []) if (v.emptyDir) expect(v.emptyDir.sizeLimit, `${o.kind}/${o.metadata.name} ${v.name}`).toBeDefined();
    }
  });

  test('no literal secret in a rendered manifest: the base has no Secret, and secrets.env values appear only in the generated Secret', () => {
    expect(base.filter((o) => o.kind === 'Secret')).toEqual([]);
    const outside = JSON.stringify(quickstart.filter((o) => o.kind !== 'Secret'));
    expect(outside).not.toContain(SENTINEL);
    expect(outside).not.toContain(Buffer.from(SENTINEL).toString('base64').slice(0, 16));
    for (const set of [base, withMonitoring]) expect(JSON.stringify(set)).not.toMatch(/sk-[A-Za-z0-9]{8,}|REPLACE/);
  });

  test('restricted security: non-root numeric user, read-only root, no escalation, ALL dropped, RuntimeDefault seccomp, no token', () => {
    for (const workload of [...base, ...quickstart].filter((o) => ['Deployment', 'StatefulSet', 'Job'].includes(o.kind))) {
      const pod = workload.spec.template.spec;
      expect(pod.securityContext.runAsNonRoot).toBe(true);
      expect(Number.isInteger(pod.securityContext.runAsUser) && pod.securityContext.runAsUser > 0).toBe(true);
      expect(pod.securityContext.seccompProfile.type).toBe('RuntimeDefault');
      expect(pod.automountServiceAccountToken).toBe(false);
      for (const c of [...(pod.initContainers ?? []), ...pod.containers]) {
        expect(c.securityContext).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
        expect(c.resources.requests).toBeDefined();
        expect(c.resources.limits.memory).toBeDefined();
      }
    }
    expect(find(base, 'ServiceAccount', 'llm-proxy').automountServiceAccountToken).toBe(false);
    // Writable places on a read-only root: emptyDirs for /tmp and the state folder (PROXY_API_DATA_DIR).
    const dataDir = container.env.find((e: any) => e.name === 'PROXY_API_DATA_DIR').value;
    const mounts = Object.fromEntries(container.volumeMounts.map((m: any) => [m.mountPath, m.name]));
    const emptyDirs = new Set(proxyDeployment.spec.template.spec.volumes.filter((v: any) => v.emptyDir).map((v: any) => v.name));
    expect(emptyDirs.has(mounts['/tmp'])).toBe(true);
    expect(emptyDirs.has(mounts[dataDir])).toBe(true);
  });

  test('every env var a manifest sets is one the code reads, and every Secret key the proxy gets is one it reads', () => {
    const readable = new Set([...codeEnvNames(), ...configEnvNames('k8s/base/config.yaml')]);
    for (const env of container.env.filter((e: any) => e.name !== 'NODE_OPTIONS')) expect(readable, env.name).toContain(env.name);
    // POSTGRES_PASSWORD is the in-cluster PostgreSQL's (components/postgres), read by its container only.
    for (const key of exampleKeys.filter((k) => k !== 'POSTGRES_PASSWORD')) expect(readable, key).toContain(key);
    for (const key of ['PROXY_API_PROXY_API_KEYS', 'PROXY_API_ADMIN_KEYS', 'DATABASE_URL']) expect(exampleKeys).toContain(key);
    const postgres = find(quickstart, 'StatefulSet', 'llm-proxy-postgres').spec.template.spec.containers[0];
    expect(postgres.env.find((e: any) => e.name === 'POSTGRES_PASSWORD').valueFrom.secretKeyRef.key).toBe('POSTGRES_PASSWORD');
    expect(container.envFrom.map((f: any) => f.secretRef.name)).toEqual(['llm-proxy-keys']);
    const configMount = container.volumeMounts.find((m: any) => m.name === 'config').mountPath;
    expect(container.env.find((e: any) => e.name === 'PROXY_API_CONFIG_FILE').value).toBe(`${configMount}/config.yaml`);
  });

  test('the Ingress keeps SSE unbuffered and reads as long as server.request_timeout', () => {
    const annotations = find(base, 'Ingress', 'llm-proxy').metadata.annotations;
    expect(annotations['nginx.ingress.kubernetes.io/proxy-buffering']).toBe('off');
    expect(Number(annotations['nginx.ingress.kubernetes.io/proxy-read-timeout'])).toBeGreaterThanOrEqual(k8sConfig.server.request_timeout);
    expect(annotations['nginx.ingress.kubernetes.io/proxy-body-size']).toBe(`${k8sConfig.server.body_limit_mb}m`);
  });
});

describe('probe paths answer on a running proxy', () => {
  let upstream: MockUpstream;
  let proxy: TestProxy;
  beforeAll(async () => {
    upstream = await MockUpstream.start('k8s');
    proxy = await startProxy({ hot_reload: { enabled: false }, auth: { api_keys: ['k'] }, metrics: { port: 0 }, providers: [mockProvider('a', upstream.url)] });
  });
  afterAll(async () => {
    await proxy.close();
    await upstream.close();
  });

  test('startup, liveness and readiness paths return 200 without a key; the ServiceMonitor path on the metrics listener too', async () => {
    for (const probe of ['startupProbe', 'livenessProbe', 'readinessProbe']) {
      const res = await fetch(`${proxy.url}${container[probe].httpGet.path}`);
      expect(res.status, probe).toBe(200);
    }
    const monitor = find(withMonitoring, 'ServiceMonitor', 'llm-proxy');
    await expect.poll(() => proxy.app.metricsServer).not.toBeNull();
    const metricsPort = serverPort(proxy.app.metricsServer!);
    const scrape = await fetch(`http://127.0.0.1:${metricsPort}${monitor.spec.endpoints[0].path}`);
    expect(scrape.status).toBe(200);
    expect(await scrape.text()).toContain('llm_proxy_ready 1');
    expect((await fetch(`${proxy.url}${monitor.spec.endpoints[0].path}`)).status).toBe(401);
  });
});
