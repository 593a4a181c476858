import { afterAll, beforeAll, expect, test } from 'vitest';
import { MockUpstream } from '../support/mock-openai.js';
import { mockProvider, startProxy, type TestProxy } from '../support/proxy.js';

let mock: MockUpstream;
let withCors: TestProxy;
let withoutCors: TestProxy;

beforeAll(async () => {
  mock = await MockUpstream.start('a');
  withCors = await startProxy({ server: { cors_origins: ['https://app.example.com'] }, providers: [mockProvider('a', mock.url)] });
  withoutCors = await startProxy({ providers: [mockProvider('a', mock.url)] });
});

afterAll(async () => {
  await withCors.close();
  await withoutCors.close();
  await mock.close();
});

const preflight = (url: string, origin: string) =>
  fetch(`${url}/v1/chat/completions`, {
    method: 'OPTIONS',
    headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type' },
  });

test('a configured origin passes preflight and sees the proxy headers, streams included', async () => {
  const res = await preflight(withCors.url, 'https://app.example.com');
  expect(res.status).toBeLessThan(300);
  expect(res.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
  const stream = await fetch(`${withCors.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { origin: 'https://app.example.com', 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'm', stream: true, messages: [{ role: 'user', content: 'x' }] }),
  });
  expect(stream.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
  expect(stream.headers.get('access-control-expose-headers')).toContain('x-proxy-provider');
  await stream.text();
});

test('other origins, and every origin when none is configured, get no CORS grant', async () => {
  const other = await preflight(withCors.url, 'https://evil.example');
  expect(other.headers.get('access-control-allow-origin')).toBeNull();
  const none = await preflight(withoutCors.url, 'https://app.example.com');
  expect(none.headers.get('access-control-allow-origin')).toBeNull();
});
