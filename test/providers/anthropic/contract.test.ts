// The Anthropic adapter against a real HTTP upstream: the request it sends is checked against the
// Messages API's documented shape, and recorded answers and streams are replayed to it.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ProviderError } from '../../../src/errors.js';
import { createAnthropicAdapter } from '../../../src/providers/anthropic/adapter.js';
import { chatRequestSchema } from '../../../src/providers/canonical.js';
import type { ProviderAdapter } from '../../../src/providers/types.js';
import {
  NativeUpstream,
  attempt,
  awkwardSplits,
  buildAdapter,
  collect,
  fixtureBytes,
  fixtureJson,
  streamedText,
  streamedToolCalls,
  type LogLine,
} from '../support/native-upstream.js';

/** Fields of OpenAI's chat format the Messages API does not have: none may reach it. */
const OPENAI_ONLY = ['stream_options', 'n', 'presence_penalty', 'frequency_penalty', 'logit_bias', 'user', 'stop', 'max_completion_tokens', 'response_format', 'parallel_tool_calls', 'seed', 'logprobs', 'reasoning_effort'];

let upstream: NativeUpstream;
let adapter: ProviderAdapter;
let logs: LogLine[];

beforeAll(async () => {
  upstream = await NativeUpstream.start();
  ({ adapter, logs } = buildAdapter(
    createAnthropicAdapter,
    {
      name: 'claude',
      type: 'anthropic',
      models: ['claude-*'],
      anthropic_beta: 'prompt-caching-2024-07-31',
      custom_headers: { 'x-team': 'search' },
    },
    upstream.url,
    { model_overrides: { 'claude-overridden': { max_tokens: 999 } } },
  ));
});
afterEach(() => upstream.reset());
afterAll(async () => {
  await adapter.close();
  await upstream.close();
});

const chat = (body: Record<string, unknown>) => chatRequestSchema.parse({ model: 'claude-sonnet-4-5', ...body });

describe('anthropic adapter, plain', () => {
  it('sends a Messages API request with its headers and no OpenAI-only fields', async () => {
    upstream.reply({ body: fixtureJson('anthropic', 'message-text.json') });
    const result = await adapter.chat(
      chat({
        messages: [
          { role: 'system', content: 'Be brief.' },
          { role: 'user', content: 'Hello' },
        ],
        stream_options: { include_usage: true },
        n: 1,
        presence_penalty: 0.2,
        frequency_penalty: 0.2,
        logit_bias: { '1': 1 },
        user: 'u-1',
        stop: ['\n\n'],
        max_completion_tokens: 64,
        response_format: { type: 'json_object' },
        seed: 1,
        logprobs: false,
      }),
      attempt('claude-sonnet-4-5-20250929'),
    );
    const received = upstream.last;
    expect(received.method).toBe('POST');
    expect(received.url).toBe('/v1/messages');
    expect(received.headers['x-api-key']).toBe('test-key-123456');
    expect(received.headers['anthropic-version']).toBe('2023-06-01');
    expect(received.headers['anthropic-beta']).toBe('prompt-caching-2024-07-31');
    expect(received.headers['x-team']).toBe('search');
    expect(received.headers.authorization).toBeUndefined();
    expect(received.json).toMatchObject({
      model: 'claude-sonnet-4-5-20250929',
      max_tokens: 64,
      system: 'Be brief.',
      messages: [{ role: 'user', content: [{ type: 'text', text: 'Hello' }] }],
      stop_sequences: ['\n\n'],
      metadata: { user_id: 'u-1' },
    });
    for (const field of OPENAI_ONLY) expect(received.json).not.toHaveProperty(field);
    expect(received.json.messages).not.toContainEqual(expect.objectContaining({ role: 'system' }));
    expect(logs.some((l) => Array.isArray(l.dropped) && (l.dropped as string[]).includes('presence_penalty'))).toBe(true);

    expect(result.data).toMatchObject({
      object: 'chat.completion',
      choices: [{ message: { role: 'assistant', content: 'Hello! How can I help you today? ¿Qué tal? 👋' }, finish_reason: 'stop' }],
      usage: { prompt_tokens: 2112, completion_tokens: 19, total_tokens: 2131 },
    });
  });

  it('takes max_tokens from model_overrides when the request has none', async () => {
    upstream.reply({ body: fixtureJson('anthropic', 'message-text.json') });
    await adapter.chat(chat({ model: 'claude-overridden', messages: [{ role: 'user', content: 'x' }] }), attempt('claude-overridden'));
    expect(upstream.last.json.max_tokens).toBe(999);
  });

  it('round-trips several tool calls', async () => {
    upstream.reply({ body: fixtureJson('anthropic', 'message-tool-calls.json') });
    const result = await adapter.chat(
      chat({
        messages: [{ role: 'user', content: 'Weather in SF and Tokyo?' }],
        tools: [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: { location: { type: 'string' } }, required: ['location'] } } }],
        tool_choice: 'auto',
      }),
      attempt('claude-sonnet-4-5'),
    );
    expect(upstream.last.json.tools).toEqual([
      { name: 'get_weather', input_schema: { type: 'object', properties: { location: { type: 'string' } }, required: ['location'] } },
    ]);
    expect(upstream.last.json.tool_choice).toEqual({ type: 'auto' });
    const message = (result.data.choices as { message: { tool_calls: { function: { arguments: string } }[] } }[])[0].message;
    expect(message.tool_calls).toHaveLength(2);
    expect(JSON.parse(message.tool_calls[1].function.arguments)).toEqual({ location: 'Tokyo, JP', unit: 'celsius' });
  });

  it.each([
    [529, 'error-overloaded.json', true, 'Overloaded', 'overloaded_error'],
    [429, 'error-rate-limit.json', true, 'Number of request tokens has exceeded your per-minute rate limit', 'rate_limit_error'],
    [400, 'error-invalid-request.json', false, 'messages.1.content.0.tool_result: unexpected `tool_use_id` found in `tool_result` blocks', 'invalid_request_error'],
  ])('maps HTTP %i to a ProviderError with the upstream message', async (status, file, retryable, message, type) => {
    upstream.reply({ status, body: fixtureJson('anthropic', file), headers: { 'retry-after': '7' } });
    const error = await adapter.chat(chat({ messages: [{ role: 'user', content: 'x' }] }), attempt('claude-x')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProviderError);
    expect(error).toMatchObject({ status, retryable, message, type, kind: 'http', retryAfterMs: 7000 });
  });
  it('sends images as base64 and url sources', async () => {
    upstream.reply({ body: fixtureJson('anthropic', 'message-text.json') });
    await adapter.chat(chatRequestSchema.parse(fixtureJson('requests', 'chat-images.json')), attempt('claude-sonnet-4-5'));
    expect(upstream.last.json.messages).toEqual([
      {
        role: 'user',
        content: [
          { type: 'text', text: 'What is in these two images?' },
          { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAYAAABytg0kAAAAEUlEQVR4nGP4z8DwH4QZYAwAR8oH+WdZbrcAAAAASUVORK5CYII=' } },
          { type: 'image', source: { type: 'url', url: 'https://upload.wikimedia.org/wikipedia/commons/a/a7/Camponotus_flavomarginatus_ant.jpg' } },
        ],
      },
    ]);
  });
});

describe('anthropic adapter, streamed', () => {
  it('translates a stream written in pieces split mid-line and mid-character', async () => {
    const sse = fixtureBytes('anthropic', 'stream-text.sse');
    upstream.reply({ sse, splitAt: awkwardSplits(sse) });
    const stream = await adapter.chatStream(chat({ messages: [{ role: 'user', content: 'Hi' }], stream: true, stream_options: { include_usage: true } }), attempt('claude-x'));
    expect(upstream.last.json.stream).toBe(true);
    expect(upstream.last.headers.accept).toBe('text/event-stream');
    const chunks = await collect(stream);
    expect(streamedText(chunks)).toBe('Grüße, 世界! 🌍');
    expect(chunks[chunks.length - 1]).toMatchObject({ choices: [], usage: { prompt_tokens: 35, completion_tokens: 15 } });
  });

  it('streams several tool calls with distinct indexes', async () => {
    const sse = fixtureBytes('anthropic', 'stream-tool-calls.sse');
    upstream.reply({ sse, splitAt: awkwardSplits(sse) });
    const chunks = await collect(await adapter.chatStream(chat({ messages: [{ role: 'user', content: 'x' }], stream: true }), attempt('claude-x')));
    expect(streamedToolCalls(chunks).map((c) => [c.name, JSON.parse(c.arguments) as unknown])).toEqual([
      ['get_weather', { location: 'San Francisco, CA' }],
      ['get_time', { timezone: 'Asia/Tokyo' }],
    ]);
  });

  it('throws a ProviderError from the generator when the socket is destroyed mid-stream', async () => {
    const sse = fixtureBytes('anthropic', 'stream-text.sse');
    upstream.reply({ sse, splitAt: [400, 700], cutAfterPieces: 2 });
    const stream = await adapter.chatStream(chat({ messages: [{ role: 'user', content: 'x' }], stream: true }), attempt('claude-x'));
    const error = await collect(stream).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProviderError);
    expect((error as ProviderError).kind).toBe('reset');
  });

  it('throws the error event of a stream as a retryable ProviderError after the chunks before it', async () => {
    upstream.reply({ sse: fixtureBytes('anthropic', 'stream-error.sse') });
    const stream = await adapter.chatStream(chat({ messages: [{ role: 'user', content: 'x' }], stream: true }), attempt('claude-x'));
    const seen: string[] = [];
    const error = await (async () => {
      for await (const chunk of stream) seen.push(chunk);
    })().catch((e: unknown) => e);
    expect(streamedText(seen.map((c) => JSON.parse(c) as Record<string, unknown>))).toBe('Partial');
    expect(error).toMatchObject({ status: 529, retryable: true, message: 'Overloaded' });
  });

  it('throws before the stream starts when the upstream answers an error status', async () => {
    upstream.reply({ status: 529, body: fixtureJson('anthropic', 'error-overloaded.json') });
    await expect(adapter.chatStream(chat({ messages: [{ role: 'user', content: 'x' }], stream: true }), attempt('claude-x'))).rejects.toMatchObject({
      status: 529,
      retryable: true,
    });
  });

  it('aborts the upstream request when the consumer stops early', async () => {
    const sse = fixtureBytes('anthropic', 'stream-tool-calls.sse');
    upstream.reply({ sse, splitAt: [600, 1200, 1800, 2400] });
    const stream = await adapter.chatStream(chat({ messages: [{ role: 'user', content: 'x' }], stream: true }), attempt('claude-x'));
    await stream.next();
    await stream.return();
    await expect.poll(() => upstream.aborted, { timeout: 2000 }).toBe(1);
  });
});

describe('anthropic adapter, pass-through and models', () => {
  it('sends the client bytes unchanged and returns the upstream bytes unchanged', async () => {
    const answer = fixtureBytes('anthropic', 'message-thinking.json');
    upstream.reply({ body: answer });
    const raw = Buffer.from('{"model":"claude-sonnet-4-5","max_tokens":10,"messages":[{"role":"user","content":"hi"}],"thinking":{"type":"enabled","budget_tokens":1024}}');
    const result = await adapter.messages!(JSON.parse(raw.toString()) as Record<string, unknown>, attempt('claude-sonnet-4-5', { rawBody: raw }));
    expect(upstream.last.raw).toBe(raw.toString());
    expect(result.raw?.equals(answer)).toBe(true);
  });

  it('relays stream events verbatim, resolving the model when the bytes cannot go unchanged', async () => {
    const sse = fixtureBytes('anthropic', 'stream-thinking.sse');
    upstream.reply({ sse, splitAt: awkwardSplits(sse) });
    const events = [];
    const stream = await adapter.messagesStream!({ model: 'sonnet', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] }, attempt('claude-sonnet-4-5'));
    for await (const event of stream) events.push(event);
    expect(upstream.last.json).toMatchObject({ model: 'claude-sonnet-4-5', stream: true });
    const expected = sse
      .toString('utf8')
      .split('\n\n')
      .filter(Boolean)
      .map((block) => {
        const [eventLine, dataLine] = block.split('\n');
        return { event: eventLine.slice('event: '.length), data: dataLine.slice('data: '.length) };
      });
    expect(events).toEqual(expected);
  });

  it('lists models and checks health against /v1/models', async () => {
    upstream.reply({ body: fixtureJson('anthropic', 'models.json') }, { body: fixtureJson('anthropic', 'models.json') });
    const models = await adapter.listModels(AbortSignal.timeout(5000));
    expect(models.map((m) => m.id)).toEqual(['claude-sonnet-4-5-20250929', 'claude-3-5-haiku-20241022']);
    expect(upstream.last.url).toBe('/v1/models?limit=1000');
    expect(upstream.last.headers['x-api-key']).toBe('test-key-123456');
    await adapter.healthCheck(AbortSignal.timeout(5000));
    expect(upstream.last.url).toBe('/v1/models?limit=1');
  });

  it('fails the health check when the key is refused', async () => {
    upstream.reply({ status: 401, body: { type: 'error', error: { type: 'authentication_error', message: 'invalid x-api-key' } } });
    await expect(adapter.healthCheck(AbortSignal.timeout(5000))).rejects.toMatchObject({ status: 401, message: 'invalid x-api-key' });
  });
});
