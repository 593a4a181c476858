/* eslint-disable @typescript-eslint/no-explicit-any -- rendered manifests are read loosely */
// The Kustomize base and its Prometheus Operator overlay, rendered by kubectl's own Kustomize (the
// engine `kubectl apply -k` runs, offline), validated against the Kubernetes OpenAPI schemas
// (kubernetes-models), then cross-checked where schemas allow anything: labels, ports, probes,
// grace periods, budgets, env vars and secrets, security settings.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Namespace, Secret, Service, ServiceAccount, ConfigMap } from 'kubernetes-models/v1';
import { Deployment } from 'kubernetes-models/apps/v1';
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
  Namespace, Secret, Service, ServiceAccount, ConfigMap, Deployment, HorizontalPodAutoscaler, Ingress, NetworkPolicy, PodDisruptionBudget, PrometheusRule, ServiceMonitor,
};

function render(dir: string): any[] {
  let out: string;
  try {
    out = execFileSync('kubectl', ['kustomize', repoPath(dir)], { encoding: 'utf8' });
  } catch (error) {
    throw new Error(`kubectl kustomize ${dir} failed (kubectl 1.32 renders offline; is it installed?): ${(error as Error).message}`);
  }
  return parseAllDocuments(out).map((doc) => doc.toJS());
}

const base = render('k8s');
const withMonitoring = render('k8s/overlays/with-monitoring');
const find = (set: any[], kind: string, name: string) => set.find((o) => o.kind === kind && o.metadata.name === name);
const proxyDeployment = find(base, 'Deployment', 'llm-proxy');
const container = proxyDeployment.spec.template.spec.containers[0];
const k8sConfig = loadConfig({ file: repoPath('k8s/base/config.yaml'), env: {} }).config;
const matches = (selector: Record<string, string>, labels: Record<string, string>) => Object.entries(selector).every(([k, v]) => labels[k] === v);

describe('rendered manifests', () => {
  test('the base renders every object the README lists, all in the llm-proxy namespace', () => {
    const kinds = base.map((o) => o.kind).sort();
    expect(kinds).toEqual(['ConfigMap', 'Deployment', 'Deployment', 'HorizontalPodAutoscaler', 'Ingress', 'Namespace', 'NetworkPolicy', 'NetworkPolicy', 'PodDisruptionBudget', 'Secret', 'Service', 'Service', 'ServiceAccount']);
    for (const o of base) if (o.kind !== 'Namespace') expect(o.metadata.namespace, `${o.kind}/${o.metadata.name}`).toBe('llm-proxy');
  });

  test.each([...base, ...withMonitoring.filter((o) => o.apiVersion.startsWith('monitoring.coreos.com'))].map((o) => [`${o.kind}/${o.metadata.name}`, o]))(
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
    const allowed = find(base, 'NetworkPolicy', 'llm-proxy').spec.ingress[0].ports.map((p: any) => p.port);
    expect(allowed).toEqual([k8sConfig.server.port, k8sConfig.metrics.port]);
    // Metrics: their own listener (metrics.port), a Service port the ServiceMonitor scrapes and the Ingress does not route.
    expect(container.ports.find((p: any) => p.name === 'metrics').containerPort).toBe(k8sConfig.metrics.port);
    const metricsPort = find(base, 'Service', 'llm-proxy').spec.ports.find((p: any) => p.name === 'metrics');
    expect(metricsPort.targetPort).toBe('metrics');
    expect(find(base, 'Ingress', 'llm-proxy').spec.rules[0].http.paths.map((p: any) => p.backend.service.port.name)).toEqual(['http']);
    expect(find(base, 'Deployment', 'llm-proxy').spec.template.spec.containers[0].env.find((e: any) => e.name === 'REDIS_URL').value).toBe('redis://llm-proxy-redis:6379');
  });

  test('rollouts never cut a stream: maxUnavailable 0, grace ≥ preStop + shutdown_grace_s, PDB below replicas', () => {
    const spec = proxyDeployment.spec;
    expect(spec.replicas).toBeGreaterThanOrEqual(2);
    expect(spec.strategy.rollingUpdate.maxUnavailable).toBe(0);
    const [cmd, seconds] = container.lifecycle.preStop.exec.command;
    expect(cmd).toBe('sleep');
    expect(spec.template.spec.terminationGracePeriodSeconds).toBeGreaterThanOrEqual(Number(seconds) + k8sConfig.server.shutdown_delay_s + k8sConfig.server.shutdown_grace_s);
    const pdb = find(base, 'PodDisruptionBudget', 'llm-proxy');
    expect(pdb.spec.minAvailable).toBeLessThan(spec.replicas);
    expect(pdb.spec.minAvailable).toBeLessThan(find(base, 'HorizontalPodAutoscaler', 'llm-proxy').spec.minReplicas);
    expect(find(base, 'HorizontalPodAutoscaler', 'llm-proxy').spec.behavior.scaleDown.stabilizationWindowSeconds).toBeGreaterThan(0);
  });

  test('restricted security: non-root numeric user, read-only root, no escalation, ALL dropped, RuntimeDefault seccomp, no token', () => {
    for (const deployment of base.filter((o) => o.kind === 'Deployment')) {
      const pod = deployment.spec.template.spec;
      expect(pod.securityContext.runAsNonRoot).toBe(true);
      expect(Number.isInteger(pod.securityContext.runAsUser) && pod.securityContext.runAsUser > 0).toBe(true);
      expect(pod.securityContext.seccompProfile.type).toBe('RuntimeDefault');
      expect(pod.automountServiceAccountToken).toBe(false);
      for (const c of pod.containers) {
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

  test('every env var a manifest sets is one the code reads, and every Secret reference exists', () => {
    const readable = new Set([...codeEnvNames(), ...configEnvNames('k8s/base/config.yaml')]);
    for (const env of container.env) expect(readable, env.name).toContain(env.name);
    const secret = find(base, 'Secret', 'llm-proxy-keys');
    for (const key of Object.keys(secret.stringData)) expect(readable, key).toContain(key);
    for (const from of container.envFrom) expect(find(base, 'Secret', from.secretRef.name)).toBeDefined();
    expect(Object.values(secret.stringData).every((v) => v === '' || String(v).startsWith('REPLACE'))).toBe(true);
    expect(readable).toContain(container.env.find((e: any) => e.name === 'PROXY_API_CONFIG_FILE').name);
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
