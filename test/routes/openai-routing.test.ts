// The OpenAI surface's routing (globs, pins, aliases, retries, fallback, Retry-After) and streaming
// failures, against two mock upstreams; endpoints and bad input are in openai.test.ts.
import { describe, expect, test } from 'vitest';
import { chatStream } from '../support/mock-openai.js';
import { chatBody, useOpenAIFixture } from './openai-fixture.js';

const f = useOpenAIFixture({
  // These tests fail providers on purpose, one after another: the breaker (tested on its own) would
  // open and turn later tests into fallbacks.
  circuit_breaker: { enabled: false },
});
const post = f.post;

describe('routing', () => {
  test('glob models route to the provider whose pattern matches', async () => {
    const res = await post('/v1/chat/completions', chatBody({ model: 'gpt-4-turbo' }));
    expect(res.headers.get('x-proxy-provider')).toBe('backup');
    expect(f.backup.requests[0].body?.model).toBe('gpt-4-turbo');
  });

  test('provider/model pins one provider and sends the bare model name', async () => {
    const res = await post('/v1/chat/completions', chatBody({ model: 'backup/gpt-4o' }));
    expect(res.status).toBe(200);
    expect(res.headers.get('x-proxy-provider')).toBe('backup');
    expect(f.backup.requests[0].body?.model).toBe('gpt-4o');
    expect(f.primary.requests).toHaveLength(0);
  });

  test('model_overrides: aliases resolve and defaults fill what the client left out', async () => {
    await post('/v1/chat/completions', chatBody({ model: 'alias-model', temperature: 1 }));
    expect(f.backup.requests[0].body).toMatchObject({ model: 'gpt-4-small', max_tokens: 55, temperature: 1 });
    await post('/v1/chat/completions', chatBody({ model: 'gpt-4-small', max_tokens: 7 }));
    expect(f.backup.requests[1].body).toMatchObject({ max_tokens: 7, temperature: 0.3 });
  });

  test('unknown model: 404 model_not_found in the OpenAI error shape', async () => {
    const res = await post('/v1/chat/completions', chatBody({ model: 'gpt-5' }));
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({
      error: { message: "Model 'gpt-5' is not supported by any available provider; did you mean 'gpt-4o'? (GET /v1/models lists them)", type: 'invalid_request_error', param: 'model', code: 'model_not_found' },
    });
  });

  test('a model served only by a disabled provider: 503 saying which and why', async () => {
    const res = await post('/v1/chat/completions', chatBody({ model: 'needs-key' }));
    expect(res.status).toBe(503);
    const body = await res.json();
    expect(body.error.code).toBe('provider_unavailable');
    expect(body.error.message).toBe("Model 'needs-key' is served only by disabled providers: keyless (UNSET_KEY is not set)");
  });

  test('retry then success on the same provider', async () => {
    f.primary.enqueue({ status: 500, body: { error: { message: 'boom' } } });
    const res = await post('/v1/chat/completions', chatBody());
    expect(res.status).toBe(200);
    expect(res.headers.get('x-proxy-provider')).toBe('primary');
    expect((await res.json())._proxy_info.attempt_number).toBe(2);
    expect(f.primary.requests).toHaveLength(2);
  });

  test('falls back to the next provider once retries are exhausted', async () => {
    f.primary.enqueue({ status: 503, body: { error: { message: 'down' } } }, { status: 502, body: 'bad gateway' });
    const res = await post('/v1/chat/completions', chatBody());
    expect(res.status).toBe(200);
    expect(res.headers.get('x-proxy-provider')).toBe('backup');
    expect((await res.json())._proxy_info.attempt_number).toBe(3);
    expect(f.primary.requests).toHaveLength(2);
    expect(f.backup.requests).toHaveLength(1);
  });

  test('a connection reset before the answer is retried', async () => {
    f.primary.enqueue({ cutAfter: 0 });
    const res = await post('/v1/chat/completions', chatBody());
    expect(res.status).toBe(200);
    expect(f.primary.requests).toHaveLength(2);
  });

  test('no retry and no fallback on a 400: the upstream status and message are relayed', async () => {
    f.primary.enqueue({ status: 400, body: { error: { message: 'bad temperature', type: 'invalid_request_error', param: 'temperature', code: 'invalid_value' } } });
    const res = await post('/v1/chat/completions', chatBody());
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ error: { message: 'bad temperature', type: 'invalid_request_error', param: 'temperature', code: 'invalid_value' } });
    expect(f.primary.requests).toHaveLength(1);
    expect(f.backup.requests).toHaveLength(0);
  });

  test('all providers failing: 503 naming each attempt, never leaking the provider key', async () => {
    f.primary.setScript(() => ({ status: 500, body: { error: { message: 'Incorrect API key provided: sk-primary-secret' } } }));
    f.backup.setScript(() => ({ status: 500, body: { error: { message: 'backup exploded' } } }));
    const res = await post('/v1/chat/completions', chatBody());
    expect(res.status).toBe(503);
    const text = await res.text();
    expect(text).not.toContain('sk-primary-secret');
    const body = JSON.parse(text);
    expect(body.error.code).toBe('provider_unavailable');
    expect(body.error.message).toContain('primary (attempt 1)');
    expect(body.error.message).toContain('backup (attempt 3): backup exploded');
  });

  test('Retry-After from the upstream is honoured before retrying', async () => {
    f.primary.enqueue({ status: 429, headers: { 'retry-after-ms': '300' }, body: { error: { message: 'slow down' } } });
    const started = Date.now();
    const res = await post('/v1/chat/completions', chatBody());
    expect(res.status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    expect(f.primary.requests).toHaveLength(2);
  });
});

describe('streaming failures', () => {
  test('a failure before the first chunk falls back to the next provider', async () => {
    f.primary.setScript(() => ({ status: 500, body: { error: { message: 'nope' } } }));
    const res = await post('/v1/chat/completions', chatBody({ stream: true }));
    expect(res.status).toBe(200);
    expect(res.headers.get('x-proxy-provider')).toBe('backup');
    expect(await res.text()).toContain('" backup"');
  });

  test('a socket cut mid-stream ends the client stream with an SSE error event, not a clean end', async () => {
    // The gap lets the relayed chunks reach the client before the cut (a cut before the first
    // chunk is retried instead, as nothing was sent yet).
    f.primary.enqueue({ stream: chatStream(['a', 'b', 'c']), cutAfter: 2, gapMs: 50 });
    const res = await post('/v1/chat/completions', chatBody({ stream: true }));
    const text = await res.text();
    const events = text.trim().split('\n\n');
    expect(events).toHaveLength(3);
    const last = JSON.parse(events[2].slice('data: '.length));
    expect(last.error.code).toBe('upstream_error');
    expect(text).not.toContain('[DONE]');
    expect(f.backup.requests).toHaveLength(0);
  });

  test('a stream split at awkward byte boundaries is reassembled into whole events', async () => {
    const whole = chatStream(['héllo', ' wörld']).join('');
    const bytes = Buffer.from(whole);
    const pieces: Buffer[] = [];
    // 7-byte writes split lines, blank lines and the two-byte UTF-8 characters.
    for (let i = 0; i < bytes.length; i += 7) pieces.push(bytes.subarray(i, i + 7));
    f.primary.enqueue({ stream: pieces, gapMs: 1 });
    const res = await post('/v1/chat/completions', chatBody({ stream: true }));
    expect(await res.text()).toBe(whole);
  });

  test('a client that disconnects aborts the upstream request', async () => {
    f.primary.enqueue({ stream: chatStream(Array.from({ length: 50 }, (_, i) => `w${i}`)), gapMs: 50 });
    const controller = new AbortController();
    const res = await fetch(`${f.proxy.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(chatBody({ stream: true })),
      signal: controller.signal,
    });
    const reader = res.body!.getReader();
    await reader.read();
    controller.abort();
    await expect.poll(() => f.primary.abortedRequests, { timeout: 3000 }).toBe(1);
  });

  test('a client that disconnects during a slow non-streamed request aborts it too', async () => {
    f.primary.enqueue({ delayMs: 2000 });
    const controller = new AbortController();
    const pending = fetch(`${f.proxy.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(chatBody()),
      signal: controller.signal,
    }).catch(() => null);
    await expect.poll(() => f.primary.requests.length).toBe(1);
    controller.abort();
    await pending;
    await expect.poll(() => f.primary.abortedRequests, { timeout: 3000 }).toBe(1);
    expect(f.backup.requests).toHaveLength(0);
  });
});
