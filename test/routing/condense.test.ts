import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { chatCompletion, MockUpstream, type MockReply, type RecordedRequest } from '../support/mock-openai.js';
import { mockProvider, startProxy, type TestProxy } from '../support/proxy.js';

type Message = { role: string; content?: string | null; tool_calls?: Array<{ id: string; type: string; function: { name: string; arguments: string } }>; tool_call_id?: string };

const filler = (i: number) => `turn ${i}: ${'word '.repeat(50)}`;

/** A system message and `turns` alternating user/assistant messages of ~55 tokens each. */
function conversation(turns: number): Message[] {
  const messages: Message[] = [{ role: 'system', content: 'You are terse.' }];
  for (let i = 0; i < turns; i++) messages.push({ role: i % 2 === 0 ? 'user' : 'assistant', content: filler(i) });
  return messages;
}

const TOO_LONG: MockReply = {
  status: 400,
  body: {
    error: {
      message: "This model's maximum context length is 300 tokens. However, your messages resulted in 700 tokens. Please reduce the length of the messages.",
      type: 'invalid_request_error',
      param: 'messages',
      code: 'context_length_exceeded',
    },
  },
};

/** Rejects conversations of more than `max` messages, as an upstream with a small window would. */
function smallWindow(max: number, tooLong: MockReply = TOO_LONG) {
  return (req: RecordedRequest): MockReply | undefined => {
    const messages = (req.body?.messages as Message[] | undefined) ?? [];
    if (req.body?.model === 'summarizer') return { body: chatCompletion('SUMMARY: the user talked about words', 'summarizer') };
    if (req.body?.model === 'big-model') return undefined;
    return messages.length > max ? tooLong : undefined;
  };
}

let upstream: MockUpstream;
const proxies: TestProxy[] = [];

async function proxyWith(condensation: Record<string, unknown>, extra: Record<string, unknown> = {}): Promise<TestProxy> {
  const proxy = await startProxy({
    condensation: { enabled: true, ...condensation },
    providers: [mockProvider('main', upstream.url, { max_retries: 0 })],
    ...extra,
  });
  proxies.push(proxy);
  return proxy;
}

async function chat(proxy: TestProxy, body: Record<string, unknown>): Promise<Response> {
  return fetch(`${proxy.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
}

const chatCalls = () => upstream.calls('/v1/chat/completions');

beforeAll(async () => {
  upstream = await MockUpstream.start('main');
});

afterEach(async () => {
  upstream.reset();
  await Promise.all(proxies.splice(0).map((p) => p.close()));
});

afterAll(async () => {
  await upstream.close();
});

describe('context condensation', () => {
  test('truncate: the oldest turns are dropped, system message and latest turn kept, and the answer says so', async () => {
    upstream.setScript(smallWindow(6));
    const proxy = await proxyWith({ fallback_strategies: ['truncate'] });
    const messages = conversation(11);
    const res = await chat(proxy, { model: 'gpt-4o', messages });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-proxy-condensed')).toBe('truncate');
    const body = await res.json();
    expect(body.choices[0].message.content).toBe('Hello from main');
    expect(body._proxy_info.condensed).toMatchObject({ strategy: 'truncate', trigger: 'context_length_error' });
    expect(body._proxy_info.condensed.messages_removed).toBeGreaterThan(0);
    expect(body._proxy_info.condensed.condensed_tokens).toBeLessThanOrEqual(240);
    expect(body._proxy_info.condensed.original_tokens).toBeGreaterThan(500);

    const calls = chatCalls();
    expect(calls).toHaveLength(2);
    const sent = calls[1].body!.messages as Message[];
    expect(sent.length).toBeLessThanOrEqual(6);
    expect(sent[0]).toEqual(messages[0]);
    expect(sent[sent.length - 1]).toEqual(messages[messages.length - 1]);
    // What is kept is the most recent part, in order.
    expect(sent.slice(1)).toEqual(messages.slice(messages.length - (sent.length - 1)));
  });

  test('truncate keeps an assistant tool call together with its result', async () => {
    upstream.setScript(smallWindow(5));
    const proxy = await proxyWith({ fallback_strategies: ['truncate'] });
    const messages: Message[] = [
      { role: 'system', content: 'You are terse.' },
      { role: 'user', content: filler(0) },
      { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'lookup', arguments: JSON.stringify({ q: 'word '.repeat(30) }) } }] },
      { role: 'tool', tool_call_id: 'call_1', content: filler(1) },
      { role: 'assistant', content: filler(2) },
      { role: 'user', content: filler(3) },
      { role: 'assistant', content: filler(4) },
      { role: 'user', content: 'and now?' },
    ];
    const res = await chat(proxy, { model: 'gpt-4o', messages });
    expect(res.status).toBe(200);
    const sent = chatCalls()[1].body!.messages as Message[];
    const calls = new Set(sent.flatMap((m) => m.tool_calls?.map((c) => c.id) ?? []));
    for (const m of sent) if (m.role === 'tool') expect(calls.has(m.tool_call_id!)).toBe(true);
    expect(sent.some((m) => m.role === 'tool')).toBe(sent.some((m) => m.tool_calls));
  });

  test('a too-long error inside an SSE stream, before any content, is condensed and retried', async () => {
    const streamedError = `data: ${JSON.stringify({ error: { message: 'prompt is too long: 700 tokens > 300 maximum', type: 'invalid_request_error' } })}\n\n`;
    upstream.setScript(smallWindow(6, { stream: [streamedError] }));
    const proxy = await proxyWith({ fallback_strategies: ['truncate'] });
    const res = await chat(proxy, { model: 'gpt-4o', messages: conversation(11), stream: true });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    expect(res.headers.get('x-proxy-condensed')).toBe('truncate');
    const text = await res.text();
    expect(text).toContain('Hello');
    expect(text).not.toContain('"error"');
    expect(text.trim().endsWith('data: [DONE]')).toBe(true);
    expect(chatCalls()).toHaveLength(2);
    expect((chatCalls()[1].body!.messages as Message[]).length).toBeLessThanOrEqual(6);
  });

  test('summarize: the oldest turns become a summary from summary_model, cached for the same turns', async () => {
    upstream.setScript(smallWindow(6));
    const proxy = await proxyWith({ fallback_strategies: ['summarize'], summary_model: 'summarizer', summary_max_tokens: 50 });
    const messages = conversation(11);
    const first = await chat(proxy, { model: 'gpt-4o', messages });
    expect(first.status).toBe(200);
    expect(first.headers.get('x-proxy-condensed')).toBe('summarize');
    const info = (await first.json())._proxy_info.condensed;
    expect(info).toMatchObject({ strategy: 'summarize', summary_cached: false });

    const summaryCalls = chatCalls().filter((c) => c.body!.model === 'summarizer');
    expect(summaryCalls).toHaveLength(1);
    expect(summaryCalls[0].body!.max_tokens).toBe(50);
    const excerpt = (summaryCalls[0].body!.messages as Message[])[1].content!;
    expect(excerpt).toContain('turn 0:');
    const retried = chatCalls().filter((c) => c.body!.model === 'gpt-4o')[1].body!.messages as Message[];
    expect(retried[0]).toEqual(messages[0]);
    expect(retried[1].role).toBe('system');
    expect(retried[1].content).toContain('SUMMARY: the user talked about words');
    expect(retried[retried.length - 1]).toEqual(messages[messages.length - 1]);

    const second = await chat(proxy, { model: 'gpt-4o', messages });
    expect((await second.json())._proxy_info.condensed.summary_cached).toBe(true);
    expect(chatCalls().filter((c) => c.body!.model === 'summarizer')).toHaveLength(1);

    // POST /cache/clear empties the summary cache.
    const cleared = await fetch(`${proxy.url}/cache/clear`, { method: 'POST' });
    expect((await cleared.json()).cleared).toContain('summaries');
    await chat(proxy, { model: 'gpt-4o', messages });
    expect(chatCalls().filter((c) => c.body!.model === 'summarizer')).toHaveLength(2);
  });

  test('strategies are tried in order: without a summary model, summarize is passed over for truncate', async () => {
    upstream.setScript(smallWindow(6));
    const proxy = await proxyWith({ fallback_strategies: ['summarize', 'truncate'] });
    const res = await chat(proxy, { model: 'gpt-4o', messages: conversation(11) });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-proxy-condensed')).toBe('truncate');
  });

  test('secondary_provider: the request goes to a model with a larger context window', async () => {
    upstream.setScript(smallWindow(6));
    const proxy = await proxyWith(
      { fallback_strategies: ['secondary_provider'] },
      { model_overrides: { 'small-model': { context_window: 300 }, 'big-model': { context_window: 100_000 }, 'huge-model': { context_window: 1_000_000 } } },
    );
    const messages = conversation(11);
    const res = await chat(proxy, { model: 'small-model', messages });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-proxy-condensed')).toBe('secondary_provider');
    const body = await res.json();
    expect(body._proxy_info.condensed).toMatchObject({ strategy: 'secondary_provider', model: 'big-model', messages_removed: 0 });
    const calls = chatCalls();
    expect(calls.map((c) => c.body!.model)).toEqual(['small-model', 'big-model']);
    expect(calls[1].body!.messages).toEqual(messages);
  });

  test('proactive mode condenses before sending when the estimate exceeds the known context window', async () => {
    upstream.setScript(smallWindow(6));
    const proxy = await proxyWith({ proactive: true, fallback_strategies: ['truncate'] }, { model_overrides: { 'gpt-4o': { context_window: 300 } } });
    const res = await chat(proxy, { model: 'gpt-4o', messages: conversation(11) });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-proxy-condensed')).toBe('truncate');
    expect((await res.json())._proxy_info.condensed.trigger).toBe('proactive');
    expect(chatCalls()).toHaveLength(1);
    expect((chatCalls()[0].body!.messages as Message[]).length).toBeLessThanOrEqual(6);

    // A short conversation is sent untouched, bytes and all.
    const short = { model: 'gpt-4o', messages: conversation(1) };
    const plain = await chat(proxy, short);
    expect(plain.headers.get('x-proxy-condensed')).toBeNull();
    expect(chatCalls()[1].raw).toBe(JSON.stringify(short));
  });

  test('configured error_patterns recognise a provider-specific message', async () => {
    // No limit in the message: the conversation shrinks to truncation_threshold (0.8) of its estimate.
    upstream.setScript(smallWindow(9, { status: 422, body: { error: { message: 'Input exceeds our quota of prompt words' } } }));
    const proxy = await proxyWith({ fallback_strategies: ['truncate'], error_patterns: ['quota of prompt words'] });
    const res = await chat(proxy, { model: 'gpt-4o', messages: conversation(11) });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-proxy-condensed')).toBe('truncate');
    const info = (await res.json())._proxy_info.condensed;
    expect(info.condensed_tokens).toBeLessThanOrEqual(info.original_tokens * 0.8);
    expect(info.condensed_tokens).toBeGreaterThan(info.original_tokens * 0.6);
  });

  test('when nothing can make it fit, the upstream error reaches the client; with condensation off it is relayed untouched', async () => {
    upstream.setScript(() => TOO_LONG);
    const proxy = await proxyWith({ fallback_strategies: ['truncate'] });
    const res = await chat(proxy, { model: 'gpt-4o', messages: [{ role: 'user', content: filler(0) }] });
    expect(res.status).toBe(400);
    expect((await res.json()).error.code).toBe('context_length_exceeded');
    expect(chatCalls()).toHaveLength(1);

    upstream.reset();
    upstream.setScript(smallWindow(6));
    const off = await proxyWith({ enabled: false });
    const relayed = await chat(off, { model: 'gpt-4o', messages: conversation(11) });
    expect(relayed.status).toBe(400);
    expect(relayed.headers.get('x-proxy-condensed')).toBeNull();
    expect(chatCalls()).toHaveLength(1);
  });
});
