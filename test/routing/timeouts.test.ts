import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { chatChunk, MockUpstream } from '../support/mock-openai.js';
import { mockProvider, startProxy, type TestProxy } from '../support/proxy.js';

const chat = { model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] };

let a: MockUpstream;
let b: MockUpstream;
let proxy: TestProxy | null = null;

async function post(body: Record<string, unknown> = chat): Promise<Response> {
  return fetch(`${proxy!.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
}

beforeAll(async () => {
  a = await MockUpstream.start('a');
  b = await MockUpstream.start('b');
});

afterEach(async () => {
  await proxy?.close();
  proxy = null;
  a.reset();
  b.reset();
});

afterAll(async () => {
  await a.close();
  await b.close();
});

describe('timeouts', () => {
  test("a provider slower than its per-attempt timeout is abandoned for the next candidate", async () => {
    proxy = await startProxy({ providers: [mockProvider('a', a.url, { timeout: 0.2, max_retries: 0 }), mockProvider('b', b.url, { priority: 2 })] });
    a.enqueue({ delayMs: 2000 });
    const res = await post();
    expect(res.status).toBe(200);
    expect(res.headers.get('x-proxy-provider')).toBe('b');
    expect((await res.json())._proxy_info.attempt_number).toBe(2);
    expect(a.abortedRequests).toBe(1);
  });

  test('every attempt timing out is a 504 upstream_timeout', async () => {
    proxy = await startProxy({ providers: [mockProvider('a', a.url, { timeout: 0.15, max_retries: 1 })] });
    a.enqueue({ delayMs: 2000 }, { delayMs: 2000 });
    const res = await post();
    expect(res.status).toBe(504);
    expect((await res.json()).error.code).toBe('upstream_timeout');
    expect(a.calls('/v1/chat/completions')).toHaveLength(2);
  });

  test("the per-attempt timeout bounds a stream's wait for its first chunk, not only for headers", async () => {
    proxy = await startProxy({ providers: [mockProvider('a', a.url, { timeout: 0.2, max_retries: 0 }), mockProvider('b', b.url, { priority: 2 })] });
    // Headers at once, then only a comment, then the first chunk after a long gap.
    a.enqueue({ stream: [': keep-alive\n\n', `data: ${chatChunk({ content: 'late' })}\n\n`], gapMs: 1000 });
    const res = await post({ ...chat, stream: true });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-proxy-provider')).toBe('b');
    const text = await res.text();
    expect(text).toContain('" b"');
    expect(text).not.toContain('late');
  });

  test('server.request_timeout bounds the whole request across retries: exhausted budget is a 504', async () => {
    proxy = await startProxy({
      server: { request_timeout: 0.5 },
      providers: [mockProvider('a', a.url, { timeout: 0.3, max_retries: 5, retry_delay: 0.001 })],
    });
    a.setScript(() => ({ delayMs: 2000 }));
    const res = await post();
    expect(res.status).toBe(504);
    const body = await res.json();
    expect(body.error.code).toBe('upstream_timeout');
    expect(body.error.message).toContain('Request timeout of 0.5s exhausted');
    // Six attempts were allowed by max_retries; the budget stopped it after two.
    expect(a.calls('/v1/chat/completions')).toHaveLength(2);
  });

  test('a stream that stalls between chunks longer than stream_idle_timeout is cut and reported in-stream', async () => {
    proxy = await startProxy({ server: { stream_idle_timeout: 0.2 }, providers: [mockProvider('a', a.url, { max_retries: 0 })] });
    a.enqueue({ stream: [`data: ${chatChunk({ role: 'assistant', content: 'Hel' })}\n\n`, `data: ${chatChunk({ content: 'lo' })}\n\n`], gapMs: 2000 });
    const res = await post({ ...chat, stream: true });
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toContain('Hel');
    expect(text).not.toContain('"lo"');
    const events = text.split('\n\n').filter(Boolean);
    const last = JSON.parse(events[events.length - 1].replace(/^data: /, ''));
    expect(last.error.code).toBe('upstream_timeout');
    expect(text).not.toContain('[DONE]');
  });
});
