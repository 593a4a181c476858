import { Histogram, Registry } from 'prom-client';
import { expect, test } from 'vitest';
import { FastHistogram } from '../../src/observability/histogram.js';

const BUCKETS = [0.005, 0.01, 0.1, 1, 2.5];
const OBSERVATIONS: Array<[string, string, number]> = [
  ['mock', '/v1/chat/completions', 0.004],
  ['mock', '/v1/chat/completions', 0.005],
  ['mock', '/v1/chat/completions', 0.0123],
  ['other', '/v1/embeddings', 3.5],
  ['mock', '/v1/chat/completions', 1],
  ['other', '/v1/embeddings', 0.2],
  ['mock', '/v1/chat/completions', 0.7000001],
];

test('renders exactly as prom-client’s Histogram for the same observations', async () => {
  const ours = new Registry();
  const theirs = new Registry();
  const fast = new FastHistogram('llm_proxy_request_duration_seconds', 'Duration', ['provider', 'endpoint'], BUCKETS, [ours]);
  const reference = new Histogram({ name: 'llm_proxy_request_duration_seconds', help: 'Duration', labelNames: ['provider', 'endpoint'], buckets: BUCKETS, registers: [theirs] });
  const fastPlain = new FastHistogram('llm_proxy_overhead_seconds', 'Overhead', [], BUCKETS, [ours]);
  const referencePlain = new Histogram({ name: 'llm_proxy_overhead_seconds', help: 'Overhead', buckets: BUCKETS, registers: [theirs] });
  for (const [provider, endpoint, value] of OBSERVATIONS) {
    fast.observe([provider, endpoint], value);
    reference.observe({ provider, endpoint }, value);
    fastPlain.observe([], value);
    referencePlain.observe(value);
  }
  fast.observe(['mock', '/v1/chat/completions'], Number.NaN);
  expect(await ours.metrics()).toBe(await theirs.metrics());
  expect(await Registry.merge([ours]).metrics()).toBe(await theirs.metrics());
  fast.reset();
  expect(await ours.metrics()).not.toContain('llm_proxy_request_duration_seconds_bucket');
});
