/* eslint-disable @typescript-eslint/no-explicit-any -- JSON answers are read back loosely */
// GET /v1/models lists the models a provider reports serving that its globs match (regression: a
// provider with `models: ["*"]` or `text-embedding-*` contributed nothing to the list).
import { afterAll, beforeAll, expect, test } from 'vitest';
import { MockUpstream } from '../support/mock-openai.js';
import { mockProvider, startProxy, type TestProxy } from '../support/proxy.js';

let embeddings: MockUpstream;
let local: MockUpstream;
let proxy: TestProxy;
const list = (...ids: string[]) => ({ body: { object: 'list', data: ids.map((id) => ({ id, object: 'model', created: 1, owned_by: 'x' })) } });

beforeAll(async () => {
  embeddings = await MockUpstream.start('emb');
  embeddings.setScript((req) => (req.method === 'GET' ? list('text-embedding-3-small', 'text-embedding-3-large', 'whisper-1') : undefined));
  local = await MockUpstream.start('local');
  local.setScript((req) => (req.method === 'GET' ? list('llama-3.1-8b', 'qwen-2.5') : undefined));
  proxy = await startProxy({
    hot_reload: { enabled: false },
    providers: [mockProvider('emb', embeddings.url, { models: ['gpt-4o', 'text-embedding-*'], priority: 1 }), mockProvider('local', local.url, { models: ['*'], priority: 2 })],
  });
});
afterAll(async () => {
  await proxy.close();
  await embeddings.close();
  await local.close();
});

test('configured names, then what each provider reports that its globs match; cached', async () => {
  const body = (await (await fetch(`${proxy.url}/v1/models`)).json()) as any;
  const byId = new Map(body.data.map((m: any) => [m.id, m.provider]));
  expect([...byId.keys()]).toEqual(['gpt-4o', 'text-embedding-3-small', 'text-embedding-3-large', 'llama-3.1-8b', 'qwen-2.5']);
  expect(byId.get('text-embedding-3-small')).toBe('emb');
  expect(byId.get('llama-3.1-8b')).toBe('local');
  await fetch(`${proxy.url}/v1/models`);
  expect(embeddings.calls('/v1/models')).toHaveLength(1);
  expect(((await (await fetch(`${proxy.url}/v1/models/qwen-2.5`)).json()) as any).provider).toBe('local');
});
