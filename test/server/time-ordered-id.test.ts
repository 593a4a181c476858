import { afterAll, beforeAll, expect, test } from 'vitest';
import { timeOrderedId } from '../../src/server/time-ordered-id.js';
import { MockUpstream } from '../support/mock-openai.js';
import { mockProvider, startProxy, type TestProxy } from '../support/proxy.js';

const V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

test('an id is a UUIDv7 whose first 48 bits are the Unix milliseconds it was made at', () => {
  const at = Date.UTC(2026, 11, 5, 10, 0, 0, 123);
  const id = timeOrderedId(at);
  expect(id).toMatch(V7);
  expect(Number.parseInt(id.replace('-', '').slice(0, 12), 16)).toBe(at);
  expect(timeOrderedId(0)).toMatch(/^00000000-0000-7/);
});

test('ids sort by the time they were made and never repeat', () => {
  const ids = Array.from({ length: 2000 }, (_, i) => timeOrderedId(1_700_000_000_000 + Math.floor(i / 10)));
  expect(new Set(ids).size).toBe(ids.length);
  for (let i = 10; i < ids.length; i += 10) expect(ids[i - 1] < ids[i]).toBe(true);
  const same = Array.from({ length: 10_000 }, () => timeOrderedId(42));
  expect(new Set(same).size).toBe(same.length);
});

let mock: MockUpstream;
let proxy: TestProxy;

beforeAll(async () => {
  mock = await MockUpstream.start('a');
  proxy = await startProxy({ providers: [mockProvider('a', mock.url)] });
});

afterAll(async () => {
  await proxy.close();
  await mock.close();
});

test('a request without x-request-id gets a time-ordered one; one the client sent is kept', async () => {
  const send = (headers: Record<string, string> = {}) =>
    fetch(`${proxy.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] }),
    });
  const before = Date.now();
  const first = await send();
  const second = await send();
  expect(first.status).toBe(200);
  const [a, b] = [first.headers.get('x-request-id')!, second.headers.get('x-request-id')!];
  expect(a).toMatch(V7);
  expect(Number.parseInt(a.replace('-', '').slice(0, 12), 16)).toBeGreaterThanOrEqual(before);
  expect(a < b || a.slice(0, 13) === b.slice(0, 13)).toBe(true);
  const kept = await send({ 'x-request-id': 'client-chosen-1' });
  expect(kept.headers.get('x-request-id')).toBe('client-chosen-1');
});
