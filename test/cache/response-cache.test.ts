import OpenAI from 'openai';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { chatCompletion, chatStream, MockUpstream } from '../support/mock-openai.js';
import { mockProvider, startProxy, type TestProxy } from '../support/proxy.js';

let mock: MockUpstream;
const open: TestProxy[] = [];

const chat = (extra: Record<string, unknown> = {}) => ({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }], temperature: 0, ...extra });

beforeAll(async () => {
  mock = await MockUpstream.start('up');
});
afterEach(async () => {
  await Promise.all(open.splice(0).map((p) => p.close()));
  mock.reset();
});
afterAll(async () => {
  await mock.close();
});

async function proxyWith(caching: Record<string, unknown> = {}, extra: Record<string, unknown> = {}): Promise<TestProxy> {
  const proxy = await startProxy({ caching: { enabled: true, ...caching }, providers: [mockProvider('up', mock.url)], ...extra });
  open.push(proxy);
  return proxy;
}

/** A parsed JSON answer, read loosely by the assertions. */
type Parsed = Record<string, ReturnType<typeof JSON.parse>>;

async function post(proxy: TestProxy, path: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${proxy.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, cache: res.headers.get('x-proxy-cache'), headers: res.headers, text, json: (): Parsed => JSON.parse(text) };
}

const upstreamChats = () => mock.calls('/v1/chat/completions').length;

describe('lookups', () => {
  test('temperature 0 chat: MISS then HIT, one upstream call, same answer, cache_hit in _proxy_info', async () => {
    const proxy = await proxyWith();
    const first = await post(proxy, '/v1/chat/completions', chat());
    const second = await post(proxy, '/v1/chat/completions', chat({ user: 'someone-else', messages: [{ content: 'hi', role: 'user' }] }));
    expect([first.cache, second.cache]).toEqual(['MISS', 'HIT']);
    expect(upstreamChats()).toBe(1);
    const { _proxy_info: missInfo, ...missBody } = first.json();
    const { _proxy_info: hitInfo, ...hitBody } = second.json();
    expect(hitBody).toEqual(missBody);
    expect(hitBody).toEqual(chatCompletion('Hello from up'));
    expect(missInfo.cache_hit).toBe(false);
    expect(hitInfo).toMatchObject({ cache_hit: true, provider: 'up', attempt_number: 0 });
    expect(second.headers.get('x-proxy-provider')).toBe('up');
    const stats = await proxy.gateway.cache.stats();
    expect(stats).toMatchObject({ backend: 'memory', hits: 1, misses: 1, entries: 1, hit_rate: 0.5 });
    expect(stats.bytes).toBeGreaterThan(100);
  });

  test('a different parameter is a different entry', async () => {
    const proxy = await proxyWith();
    await post(proxy, '/v1/chat/completions', chat());
    const other = await post(proxy, '/v1/chat/completions', chat({ max_tokens: 5 }));
    expect(other.cache).toBe('MISS');
    expect(upstreamChats()).toBe(2);
  });

  test('embeddings are cached by default', async () => {
    const proxy = await proxyWith();
    const body = { model: 'text-embedding-3-small', input: ['a', 'b'] };
    const first = await post(proxy, '/v1/embeddings', body);
    const second = await post(proxy, '/v1/embeddings', body);
    expect([first.cache, second.cache]).toEqual(['MISS', 'HIT']);
    expect(second.json().data).toHaveLength(2);
    expect(mock.calls('/v1/embeddings')).toHaveLength(1);
  });

  test('non-deterministic requests bypass unless forced or cache_nondeterministic', async () => {
    const proxy = await proxyWith();
    const warm = chat({ temperature: 0.7 });
    expect((await post(proxy, '/v1/chat/completions', warm)).cache).toBe('BYPASS');
    expect((await post(proxy, '/v1/chat/completions', warm)).cache).toBe('BYPASS');
    expect(upstreamChats()).toBe(2);
    expect((await post(proxy, '/v1/chat/completions', warm, { 'x-proxy-cache': 'force' })).cache).toBe('MISS');
    expect((await post(proxy, '/v1/chat/completions', warm, { 'x-proxy-cache': 'force' })).cache).toBe('HIT');
    expect(upstreamChats()).toBe(3);

    const everything = await proxyWith({ cache_nondeterministic: true });
    mock.reset();
    expect((await post(everything, '/v1/chat/completions', chat({ temperature: 1 }))).cache).toBe('MISS');
    expect((await post(everything, '/v1/chat/completions', chat({ temperature: 1 }))).cache).toBe('HIT');
    expect(upstreamChats()).toBe(1);
  });

  test('x-proxy-cache: bypass and Cache-Control: no-store skip lookup and store; no-cache refreshes', async () => {
    const proxy = await proxyWith();
    expect((await post(proxy, '/v1/chat/completions', chat(), { 'x-proxy-cache': 'bypass' })).cache).toBe('BYPASS');
    expect((await post(proxy, '/v1/chat/completions', chat(), { 'cache-control': 'no-store' })).cache).toBe('BYPASS');
    expect((await post(proxy, '/v1/chat/completions', chat())).cache).toBe('MISS');
    const bypass = await post(proxy, '/v1/chat/completions', chat(), { 'x-proxy-cache': 'bypass' });
    expect(bypass.cache).toBe('BYPASS');
    expect(bypass.json()._proxy_info.cache_hit).toBe(false);
    expect((await post(proxy, '/v1/chat/completions', chat(), { 'cache-control': 'no-cache' })).cache).toBe('MISS');
    expect((await post(proxy, '/v1/chat/completions', chat())).cache).toBe('HIT');
    expect(upstreamChats()).toBe(5);
  });

  test('errors are never cached', async () => {
    const proxy = await proxyWith();
    mock.enqueue({ status: 400, body: { error: { message: 'bad thing', type: 'invalid_request_error', code: null, param: null } } });
    const failed = await post(proxy, '/v1/chat/completions', chat());
    expect(failed.status).toBe(400);
    const next = await post(proxy, '/v1/chat/completions', chat());
    expect(next.status).toBe(200);
    expect(next.cache).toBe('MISS');
    expect((await post(proxy, '/v1/chat/completions', chat())).cache).toBe('HIT');
  });

  test('entries are scoped per API key unless shared_across_keys', async () => {
    const keys = { auth: { api_keys: ['key-a', 'key-b'] } };
    const scoped = await proxyWith({}, keys);
    const as = (proxy: TestProxy, key: string) => post(proxy, '/v1/chat/completions', chat(), { authorization: `Bearer ${key}` });
    expect((await as(scoped, 'key-a')).cache).toBe('MISS');
    expect((await as(scoped, 'key-b')).cache).toBe('MISS');
    expect((await as(scoped, 'key-a')).cache).toBe('HIT');

    const shared = await proxyWith({ shared_across_keys: true }, keys);
    expect((await as(shared, 'key-a')).cache).toBe('MISS');
    expect((await as(shared, 'key-b')).cache).toBe('HIT');
  });

  test('caching off: no header, no _proxy_info.cache_hit, every request goes upstream', async () => {
    const proxy = await startProxy({ providers: [mockProvider('up', mock.url)] });
    open.push(proxy);
    const first = await post(proxy, '/v1/chat/completions', chat());
    await post(proxy, '/v1/chat/completions', chat());
    expect(first.cache).toBeNull();
    expect(first.json()._proxy_info.cache_hit).toBeUndefined();
    expect(upstreamChats()).toBe(2);
  });
});

describe('bounds', () => {
  test('entries expire after ttl', async () => {
    const proxy = await proxyWith({ response_cache: { ttl: 0.15 } });
    expect((await post(proxy, '/v1/chat/completions', chat())).cache).toBe('MISS');
    expect((await post(proxy, '/v1/chat/completions', chat())).cache).toBe('HIT');
    await new Promise((resolve) => setTimeout(resolve, 250));
    expect((await post(proxy, '/v1/chat/completions', chat())).cache).toBe('MISS');
  });

  test('the size bound (in bytes) evicts the least recently used entries', async () => {
    const max = 1280;
    const proxy = await proxyWith({ response_cache: { max_size_mb: max / (1024 * 1024) } });
    const ask = (n: number) => post(proxy, '/v1/chat/completions', chat({ messages: [{ role: 'user', content: `q${n}` }] }));
    expect((await ask(1)).cache).toBe('MISS');
    const one = (await proxy.gateway.cache.stats()).bytes!;
    // The bound holds two of these answers, not three.
    expect(one).toBeGreaterThan(max / 3);
    expect(one).toBeLessThanOrEqual(max / 2);
    for (const n of [2, 3]) expect((await ask(n)).cache).toBe('MISS');
    const stats = await proxy.gateway.cache.stats();
    expect(stats.bytes).toBeLessThanOrEqual(max);
    expect(stats.entries).toBe(2);
    expect((await ask(3)).cache).toBe('HIT');
    expect((await ask(1)).cache).toBe('MISS');
  });

  test('compressed entries come back intact', async () => {
    const proxy = await proxyWith({ response_cache: { compression: true } });
    const first = await post(proxy, '/v1/embeddings', { model: 'text-embedding-3-small', input: 'x' });
    const second = await post(proxy, '/v1/embeddings', { model: 'text-embedding-3-small', input: 'x' });
    expect(second.cache).toBe('HIT');
    const strip = (body: Record<string, unknown>) => ({ ...body, _proxy_info: undefined });
    expect(strip(second.json())).toEqual(strip(first.json()));
  });

  test('clear() empties the cache and the runtime exposes it to POST /cache/clear', async () => {
    const proxy = await proxyWith();
    await post(proxy, '/v1/chat/completions', chat());
    expect(await proxy.gateway.cache.clear()).toEqual({ cleared: 1 });
    expect((await post(proxy, '/v1/chat/completions', chat())).cache).toBe('MISS');
    await proxy.gateway.caches.get('responses')!();
    expect((await proxy.gateway.cache.stats()).entries).toBe(0);
  });
});

describe('streams', () => {
  test('a cached answer is replayed as a valid SSE stream the openai SDK reads', async () => {
    const proxy = await proxyWith();
    await post(proxy, '/v1/chat/completions', chat());
    const client = new OpenAI({ baseURL: `${proxy.url}/v1`, apiKey: 'unused', maxRetries: 0 });
    const { data: stream, response } = await client.chat.completions
      .create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }], temperature: 0, stream: true, stream_options: { include_usage: true } })
      .withResponse();
    expect(response.headers.get('x-proxy-cache')).toBe('HIT');
    let text = '';
    let finish: string | null = null;
    let usage: unknown = null;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      finish = chunk.choices[0]?.finish_reason ?? finish;
      if (chunk.usage) usage = chunk.usage;
    }
    expect(text).toBe('Hello from up');
    expect(finish).toBe('stop');
    expect(usage).toEqual({ prompt_tokens: 9, completion_tokens: 3, total_tokens: 12 });
    expect(upstreamChats()).toBe(1);
  });

  test('a streamed answer is cached once complete and serves plain and streamed requests', async () => {
    const proxy = await proxyWith();
    const first = await post(proxy, '/v1/chat/completions', chat({ stream: true }));
    expect(first.cache).toBe('MISS');
    expect(first.text).toContain('data: [DONE]');
    const plain = await post(proxy, '/v1/chat/completions', chat());
    expect(plain.cache).toBe('HIT');
    expect(plain.json().choices[0]).toMatchObject({ message: { role: 'assistant', content: 'Hello from up' }, finish_reason: 'stop' });

    const client = new OpenAI({ baseURL: `${proxy.url}/v1`, apiKey: 'unused', maxRetries: 0 });
    const stream = await client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }], temperature: 0, stream: true });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    expect(text).toBe('Hello from up');
    expect(upstreamChats()).toBe(1);
  });

  test('a stream cut mid-way is not cached', async () => {
    const proxy = await proxyWith();
    mock.enqueue({ stream: chatStream(['Hel', 'lo', ' there']), cutAfter: 3, gapMs: 20 });
    const cut = await post(proxy, '/v1/chat/completions', chat({ stream: true }));
    expect(cut.text).toContain('"error"');
    expect((await post(proxy, '/v1/chat/completions', chat())).cache).toBe('MISS');
  });

  test('tool calls survive the trip through a stream into the cache', async () => {
    const proxy = await proxyWith();
    const call = (delta: Record<string, unknown>, finish: string | null = null) =>
      `data: ${JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', created: 1, model: 'gpt-4o', choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
    mock.enqueue({
      stream: [
        call({ role: 'assistant', content: null, tool_calls: [{ index: 0, id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '' } }] }),
        call({ tool_calls: [{ index: 0, function: { arguments: '{"city":' } }] }),
        call({ tool_calls: [{ index: 0, function: { arguments: '"Paris"}' } }] }),
        call({}, 'tool_calls'),
        'data: [DONE]\n\n',
      ],
    });
    await post(proxy, '/v1/chat/completions', chat({ stream: true }));
    const plain = await post(proxy, '/v1/chat/completions', chat());
    expect(plain.cache).toBe('HIT');
    expect(plain.json().choices[0]).toMatchObject({
      finish_reason: 'tool_calls',
      message: { tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }] },
    });
  });
});

describe('coalescing', () => {
  test('20 concurrent identical requests make one upstream call', async () => {
    const proxy = await proxyWith();
    mock.setScript(() => ({ delayMs: 150, body: chatCompletion('shared answer') }));
    const answers = await Promise.all(Array.from({ length: 20 }, () => post(proxy, '/v1/chat/completions', chat())));
    expect(upstreamChats()).toBe(1);
    expect(answers.every((a) => a.status === 200 && a.json().choices[0].message.content === 'shared answer')).toBe(true);
    expect(answers.filter((a) => a.cache === 'MISS')).toHaveLength(1);
    expect(answers.filter((a) => a.cache === 'HIT')).toHaveLength(19);
    expect((await proxy.gateway.cache.stats()).coalesced).toBe(19);
  });

  test('streamed and plain requests coalesce on one streamed call', async () => {
    const proxy = await proxyWith();
    mock.setScript(() => ({ stream: chatStream(['one', ' call']), gapMs: 30 }));
    const answers = await Promise.all([
      post(proxy, '/v1/chat/completions', chat({ stream: true })),
      ...Array.from({ length: 5 }, () => post(proxy, '/v1/chat/completions', chat())),
      ...Array.from({ length: 5 }, () => post(proxy, '/v1/chat/completions', chat({ stream: true }))),
    ]);
    expect(upstreamChats()).toBe(1);
    expect(answers.slice(1, 6).every((a) => a.json().choices[0].message.content === 'one call')).toBe(true);
    expect(answers.slice(6).every((a) => a.text.includes('"content":"one call"') && a.text.endsWith('data: [DONE]\n\n'))).toBe(true);
  });

  test('an error is shared by the waiting requests and not cached', async () => {
    const proxy = await proxyWith();
    mock.enqueue({ delayMs: 100, status: 400, body: { error: { message: 'nope', type: 'invalid_request_error', code: null, param: null } } });
    const answers = await Promise.all(Array.from({ length: 5 }, () => post(proxy, '/v1/chat/completions', chat())));
    expect(answers.map((a) => a.status)).toEqual([400, 400, 400, 400, 400]);
    expect(upstreamChats()).toBe(1);
    expect((await post(proxy, '/v1/chat/completions', chat())).cache).toBe('MISS');
  });
});
