// Closing with requests in flight on keep-alive connections: each answer completes, then its
// connection closes, so close() does not wait for the keep-alive timeout. Without draining, close()
// hangs here for the app's 75 s keep-alive timeout and the tests time out.
import { Agent, request } from 'undici';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { MockUpstream, chatStream } from '../support/mock-openai.js';
import { mockProvider, startProxy, type TestProxy } from '../support/proxy.js';

let mock: MockUpstream;
let proxy: TestProxy;
let client: Agent;

beforeEach(async () => {
  mock = await MockUpstream.start('upstream');
  proxy = await startProxy({ providers: [mockProvider('upstream', mock.url)] });
  // Keep-alive, as the openai SDK's fetch does.
  client = new Agent({ keepAliveTimeout: 60_000 });
});

afterEach(async () => {
  await client.close();
  await mock.close();
});

const chat = (stream: boolean) =>
  request(`${proxy.url}/v1/chat/completions`, {
    dispatcher: client,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'gpt-4o', stream, messages: [{ role: 'user', content: 'in flight' }] }),
  });

test('an answer not yet started when closing begins says Connection: close, and close() then completes', async () => {
  // The connection has served a request already, as a pooled client's would, and is reused.
  const warm = await chat(false);
  await warm.body.text();
  mock.enqueue({ delayMs: 400 });
  const pending = chat(false);
  await expect.poll(() => mock.requests.filter((r) => r.raw.includes('in flight')).length).toBe(2);
  const closed = proxy.close();
  const res = await pending;
  expect(res.statusCode).toBe(200);
  expect(res.headers.connection).toBe('close');
  expect(((await res.body.json()) as { choices: unknown[] }).choices).toHaveLength(1);
  await closed;
  expect(proxy.app.server.listening).toBe(false);
});

test('a stream under way when closing begins runs to [DONE], then its connection closes and close() completes', async () => {
  mock.enqueue({ stream: chatStream(['one', 'two', 'three', 'four']), gapMs: 100 });
  const res = await chat(true);
  expect(res.statusCode).toBe(200);
  const chunks: string[] = [];
  const iterator = res.body[Symbol.asyncIterator]();
  chunks.push(String((await iterator.next()).value));
  const closed = proxy.close();
  for (let next = await iterator.next(); !next.done; next = await iterator.next()) chunks.push(String(next.value));
  const text = chunks.join('');
  expect(text).toContain('"four"');
  expect(text.trim().endsWith('data: [DONE]')).toBe(true);
  await closed;
  expect(proxy.app.server.listening).toBe(false);
});
