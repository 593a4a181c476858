// A finished stream must leave the upstream connection reusable: stopping at `data: [DONE]` used to
// destroy the response body when the upstream's end of body arrived a moment later, which closed the
// keep-alive socket (a new TCP and TLS handshake for the next request to a real provider).
import { afterAll, beforeAll, expect, test } from 'vitest';
import { MockUpstream, chatStream } from '../../support/mock-openai.js';
import { mockProvider, startProxy, type TestProxy } from '../../support/proxy.js';

let mock: MockUpstream;
let proxy: TestProxy;

beforeAll(async () => {
  mock = await MockUpstream.start('upstream');
  proxy = await startProxy({ providers: [mockProvider('upstream', mock.url)] });
});

afterAll(async () => {
  await proxy.close();
  await mock.close();
});

const streamRequest = () =>
  fetch(`${proxy.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'gpt-4o', stream: true, messages: [{ role: 'user', content: 'hi' }] }),
  });

test('upstream keep-alive socket survives a stream whose end arrives after [DONE]', async () => {
  // Each piece is its own write, 40 ms apart: the end of the body comes 40 ms after [DONE].
  mock.enqueue({ stream: chatStream(['Hello', ' there']).map((event) => event), gapMs: 40 });
  const res = await streamRequest();
  const text = await res.text();
  expect(text.trim().endsWith('data: [DONE]')).toBe(true);
  await new Promise((r) => setTimeout(r, 150));
  expect(mock.abortedRequests).toBe(0);

  mock.enqueue({ stream: chatStream(['Again']), gapMs: 5 });
  const second = await (await streamRequest()).text();
  expect(second).toContain('Again');
  expect(mock.abortedRequests).toBe(0);
});

test('a client that leaves mid-stream still aborts the upstream request at once', async () => {
  mock.enqueue({ stream: chatStream(['a', 'b', 'c', 'd', 'e', 'f']), gapMs: 100 });
  const controller = new AbortController();
  const res = await fetch(`${proxy.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'gpt-4o', stream: true, messages: [{ role: 'user', content: 'hi' }] }),
    signal: controller.signal,
  });
  const reader = res.body!.getReader();
  await reader.read();
  controller.abort();
  await expect.poll(() => mock.abortedRequests, { timeout: 2000 }).toBe(1);
});
