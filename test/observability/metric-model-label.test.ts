// The model label of llm_proxy_tokens_total and llm_proxy_cost_usd_total uses pricing's match (an
// exact name, else the longest priced name the model starts with): regression, claude-sonnet-4-5 was
// priced by claude-sonnet-4 but labelled `other`. Unpriced, unconfigured names still collapse to `other`.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { MockUpstream } from '../support/mock-openai.js';
import { mockProvider, startProxy, type TestProxy } from '../support/proxy.js';

let upstream: MockUpstream;
let proxy: TestProxy;
beforeAll(async () => {
  upstream = await MockUpstream.start('labels');
  proxy = await startProxy({ hot_reload: { enabled: false }, providers: [mockProvider('p', upstream.url)] });
});
afterAll(async () => {
  await proxy.close();
  await upstream.close();
});

test('claude-sonnet-4-5 keeps its name; an unpriced name is other', async () => {
  for (const model of ['claude-sonnet-4-5', 'no-such-family-7']) {
    const res = await fetch(`${proxy.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }] }) });
    expect(res.status).toBe(200);
  }
  const text = await (await fetch(`${proxy.url}/metrics/prometheus`)).text();
  expect(text).toMatch(/llm_proxy_tokens_total\{provider="p",model="claude-sonnet-4-5",operation="prompt"\} 9/);
  expect(text).toMatch(/llm_proxy_cost_usd_total\{provider="p",model="claude-sonnet-4-5"\} [0-9.e-]+/);
  expect(text).toMatch(/llm_proxy_tokens_total\{provider="p",model="other",operation="prompt"\} 9/);
  expect(text).not.toContain('no-such-family-7');
});
