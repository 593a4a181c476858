// The Cohere adapter against a real HTTP upstream: v2 chat and embed requests checked against the
// documented shape, recorded answers and streams replayed, split at awkward boundaries and cut.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ProviderError } from '../../../src/errors.js';
import { chatRequestSchema, embeddingRequestSchema } from '../../../src/providers/canonical.js';
import { createCohereAdapter } from '../../../src/providers/cohere/adapter.js';
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
} from '../support/native-upstream.js';

const OPENAI_ONLY = ['n', 'user', 'logit_bias', 'stop', 'top_p', 'top_k', 'stream_options', 'max_completion_tokens', 'parallel_tool_calls'];

let upstream: NativeUpstream;
let adapter: ProviderAdapter;

beforeAll(async () => {
  upstream = await NativeUpstream.start();
  ({ adapter } = buildAdapter(createCohereAdapter, { name: 'cohere', type: 'cohere', models: ['command-*', 'embed-*'] }, upstream.url));
});
afterEach(() => upstream.reset());
afterAll(async () => {
  await adapter.close();
  await upstream.close();
});

const chat = (body: Record<string, unknown>) => chatRequestSchema.parse({ model: 'command-a-03-2025', ...body });

describe('cohere adapter', () => {
  it('posts /v2/chat with bearer auth and no OpenAI-only fields', async () => {
    upstream.reply({ body: fixtureJson('cohere', 'chat-text.json') });
    const result = await adapter.chat(
      chat({
        messages: [{ role: 'user', content: 'Hallo' }],
        n: 1,
        user: 'u',
        logit_bias: { '1': 1 },
        stop: ['x'],
        top_p: 0.5,
        top_k: 10,
        stream_options: { include_usage: true },
        max_completion_tokens: 20,
        parallel_tool_calls: false,
      }),
      attempt('command-a-03-2025'),
    );
    const received = upstream.last;
    expect(received.url).toBe('/v2/chat');
    expect(received.headers.authorization).toBe('Bearer test-key-123456');
    expect(received.json).toMatchObject({ model: 'command-a-03-2025', messages: [{ role: 'user', content: 'Hallo' }], max_tokens: 20, stop_sequences: ['x'], p: 0.5, k: 10 });
    expect(received.json).not.toHaveProperty('stream');
    for (const field of OPENAI_ONLY) expect(received.json).not.toHaveProperty(field);
    expect(result.data).toMatchObject({ choices: [{ message: { content: 'Hallo! Schön, dich zu sehen 😊' } }], usage: { total_tokens: 80 } });
  });

  it('sends images as image_url content items', async () => {
    upstream.reply({ body: fixtureJson('cohere', 'chat-text.json') });
    await adapter.chat(chatRequestSchema.parse(fixtureJson('requests', 'chat-images.json')), attempt('command-a-vision-07-2025'));
    expect(upstream.last.json.messages).toEqual([
      { role: 'system', content: 'Describe images precisely.' },
      {
        role: 'user',
        content: [
          { type: 'text', text: 'What is in these two images?' },
          { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAYAAABytg0kAAAAEUlEQVR4nGP4z8DwH4QZYAwAR8oH+WdZbrcAAAAASUVORK5CYII=', detail: 'low' } },
          { type: 'image_url', image_url: { url: 'https://upload.wikimedia.org/wikipedia/commons/a/a7/Camponotus_flavomarginatus_ant.jpg' } },
        ],
      },
    ]);
  });

  it('returns tool calls', async () => {
    upstream.reply({ body: fixtureJson('cohere', 'chat-tool-calls.json') });
    const result = await adapter.chat(
      chat({ messages: [{ role: 'user', content: 'Weather?' }], tools: [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object' } } }] }),
      attempt('command-a-03-2025'),
    );
    expect(upstream.last.json.tools).toEqual([{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object' } } }]);
    expect((result.data.choices as { message: { tool_calls: unknown[] } }[])[0].message.tool_calls).toHaveLength(2);
  });

  it.each([
    [400, 'error-bad-request.json', false],
    [429, 'error-rate-limit.json', true],
  ])('maps HTTP %i to a ProviderError with the upstream message', async (status, file, retryable) => {
    upstream.reply({ status, body: fixtureJson('cohere', file) });
    const error = await adapter.chat(chat({ messages: [{ role: 'user', content: 'x' }] }), attempt('command-a')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProviderError);
    expect(error).toMatchObject({ status, retryable, message: fixtureJson<{ message: string }>('cohere', file).message });
  });

  it('streams text split at awkward byte boundaries, with usage', async () => {
    const sse = fixtureBytes('cohere', 'stream-text.sse');
    upstream.reply({ sse, splitAt: awkwardSplits(sse) });
    const chunks = await collect(
      await adapter.chatStream(chat({ messages: [{ role: 'user', content: 'x' }], stream: true, stream_options: { include_usage: true } }), attempt('command-a')),
    );
    expect(upstream.last.json.stream).toBe(true);
    expect(streamedText(chunks)).toBe('Bonjour à tous — ça va? ☕');
    expect(chunks[chunks.length - 1]).toMatchObject({ choices: [], usage: { total_tokens: 77 } });
  });

  it('streams several tool calls', async () => {
    const sse = fixtureBytes('cohere', 'stream-tool-calls.sse');
    upstream.reply({ sse, splitAt: awkwardSplits(sse) });
    const chunks = await collect(await adapter.chatStream(chat({ messages: [{ role: 'user', content: 'x' }], stream: true }), attempt('command-a')));
    expect(streamedToolCalls(chunks).map((c) => c.name)).toEqual(['get_weather', 'get_time']);
  });

  it('throws a ProviderError when the socket is destroyed mid-stream', async () => {
    const sse = fixtureBytes('cohere', 'stream-text.sse');
    upstream.reply({ sse, splitAt: [300, 420], cutAfterPieces: 2 });
    const stream = await adapter.chatStream(chat({ messages: [{ role: 'user', content: 'x' }], stream: true }), attempt('command-a'));
    const error = await collect(stream).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProviderError);
    expect((error as ProviderError).kind).toBe('reset');
  });

  it('embeds through /v2/embed with an input_type and float embeddings', async () => {
    upstream.reply({ body: fixtureJson('cohere', 'embed.json') }, { body: fixtureJson('cohere', 'embed.json') });
    const request = embeddingRequestSchema.parse({ model: 'embed-v4.0', input: ['hello', 'goodbye'], input_type: 'search_query', dimensions: 256 });
    const result = await adapter.embeddings(request, attempt('embed-v4.0'));
    expect(upstream.last.url).toBe('/v2/embed');
    expect(upstream.last.json).toEqual({ model: 'embed-v4.0', texts: ['hello', 'goodbye'], input_type: 'search_query', embedding_types: ['float'], output_dimension: 256 });
    expect(result.data).toMatchObject({ data: [{ index: 0, embedding: [0.016296387, -0.008354187, -0.04699707, 0.25] }, { index: 1 }], usage: { prompt_tokens: 2 } });

    await adapter.embeddings(embeddingRequestSchema.parse({ model: 'embed-v4.0', input: 'hello' }), attempt('embed-v4.0'));
    expect(upstream.last.json.input_type).toBe('search_document');
  });

  it('lists models and checks health on /v1/models', async () => {
    upstream.reply({ body: fixtureJson('cohere', 'models.json') }, { body: fixtureJson('cohere', 'models.json') });
    const models = await adapter.listModels(AbortSignal.timeout(5000));
    expect(models.map((m) => m.id)).toEqual(['command-a-03-2025', 'embed-v4.0']);
    expect(models[0].context_window).toBe(256000);
    expect(upstream.last.url).toBe('/v1/models?page_size=1000');
    await adapter.healthCheck(AbortSignal.timeout(5000));
    expect(upstream.last.url).toBe('/v1/models?page_size=1');
  });
});
