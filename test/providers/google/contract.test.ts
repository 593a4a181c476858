// The Gemini adapter against a real HTTP upstream: requests checked against the Gemini API's shape,
// recorded answers and CRLF-framed streams replayed, split at awkward byte boundaries and cut.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ProviderError } from '../../../src/errors.js';
import { chatRequestSchema, embeddingRequestSchema } from '../../../src/providers/canonical.js';
import { createGoogleAdapter } from '../../../src/providers/google/adapter.js';
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

const OPENAI_ONLY = ['model', 'messages', 'max_tokens', 'stop', 'n', 'temperature', 'tools', 'tool_choice', 'stream', 'stream_options', 'user', 'response_format', 'logit_bias', 'parallel_tool_calls'];

let upstream: NativeUpstream;
let adapter: ProviderAdapter;

beforeAll(async () => {
  upstream = await NativeUpstream.start();
  // The base URL carries the API version path, as the default does.
  ({ adapter } = buildAdapter(createGoogleAdapter, { name: 'gemini', type: 'google', models: ['gemini-*'] }, `${upstream.url}/v1beta`));
});
afterEach(() => upstream.reset());
afterAll(async () => {
  await adapter.close();
  await upstream.close();
});

const chat = (body: Record<string, unknown>) => chatRequestSchema.parse({ model: 'gemini-2.5-flash', ...body });

describe('google adapter, plain', () => {
  it('posts to models/{model}:generateContent with the key header and a Gemini-shaped body', async () => {
    upstream.reply({ body: fixtureJson('google', 'generate-text.json') });
    const result = await adapter.chat(
      chat({
        messages: [
          { role: 'system', content: 'Be nice.' },
          { role: 'user', content: 'Hello' },
        ],
        max_tokens: 50,
        stop: 'END',
        temperature: 0.5,
        user: 'u',
        logit_bias: { '5': 1 },
        parallel_tool_calls: true,
        stream_options: { include_usage: true },
      }),
      attempt('gemini-2.5-flash'),
    );
    const received = upstream.last;
    expect(received.method).toBe('POST');
    expect(received.url).toBe('/v1beta/models/gemini-2.5-flash:generateContent');
    expect(received.headers['x-goog-api-key']).toBe('test-key-123456');
    expect(received.headers.authorization).toBeUndefined();
    expect(received.url).not.toContain('key=');
    expect(received.json).toEqual({
      systemInstruction: { parts: [{ text: 'Be nice.' }] },
      contents: [{ role: 'user', parts: [{ text: 'Hello' }] }],
      generationConfig: { maxOutputTokens: 50, stopSequences: ['END'], temperature: 0.5 },
    });
    for (const field of OPENAI_ONLY) expect(received.json).not.toHaveProperty(field);
    expect(result.data).toMatchObject({ choices: [{ message: { content: 'Hello! Bonjour! こんにちは 👋' }, finish_reason: 'stop' }], usage: { total_tokens: 41 } });
  });

  it('round-trips parallel tool calls', async () => {
    upstream.reply({ body: fixtureJson('google', 'generate-tool-calls.json') });
    const tools = [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: { location: { type: 'string' } } } } }];
    const first = await adapter.chat(chat({ messages: [{ role: 'user', content: 'Paris and London?' }], tools }), attempt('gemini-2.5-pro'));
    const assistant = (first.data.choices as { message: { tool_calls: { id: string }[] } }[])[0].message;
    expect(assistant.tool_calls).toHaveLength(2);

    upstream.reply({ body: fixtureJson('google', 'generate-text.json') });
    await adapter.chat(
      chat({
        messages: [
          { role: 'user', content: 'Paris and London?' },
          assistant,
          { role: 'tool', tool_call_id: assistant.tool_calls[0].id, content: '{"temp":20}' },
          { role: 'tool', tool_call_id: assistant.tool_calls[1].id, content: '{"temp":15}' },
        ],
        tools,
      }),
      attempt('gemini-2.5-pro'),
    );
    const contents = upstream.last.json.contents as { role: string; parts: Record<string, unknown>[] }[];
    expect(contents[1]).toEqual({
      role: 'model',
      parts: [
        { functionCall: { name: 'get_weather', args: { location: 'Paris', unit: 'celsius' } }, thoughtSignature: 'CiQB0e2Kb7cQ2Jd/k0sig+A==' },
        { functionCall: { name: 'get_weather', args: { location: 'London', unit: 'celsius' } } },
      ],
    });
    expect(contents[2].parts.map((p) => p.functionResponse)).toEqual([
      { name: 'get_weather', response: { temp: 20 } },
      { name: 'get_weather', response: { temp: 15 } },
    ]);
  });

  it('relays a 400 with its message, not retryable', async () => {
    upstream.reply({ status: 400, body: fixtureJson('google', 'error-invalid-argument.json') });
    const error = await adapter.chat(chat({ messages: [{ role: 'user', content: 'x' }] }), attempt('gemini-2.5-flash')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProviderError);
    expect(error).toMatchObject({ status: 400, retryable: false, type: 'INVALID_ARGUMENT', message: '* GenerateContentRequest.contents: contents is not specified\n' });
  });

  it('unwraps the array-wrapped 429 and marks it retryable', async () => {
    upstream.reply({ status: 429, body: fixtureJson('google', 'error-resource-exhausted.json') });
    const error = await adapter.chat(chat({ messages: [{ role: 'user', content: 'x' }] }), attempt('gemini-2.5-flash')).catch((e: unknown) => e);
    expect(error).toMatchObject({ status: 429, retryable: true, type: 'RESOURCE_EXHAUSTED', message: 'You exceeded your current quota, please check your plan and billing details.' });
  });
  it('sends images as inlineData and fileData parts', async () => {
    upstream.reply({ body: fixtureJson('google', 'generate-text.json') });
    await adapter.chat(chatRequestSchema.parse(fixtureJson('requests', 'chat-images.json')), attempt('gemini-2.5-flash'));
    expect(upstream.last.json.contents).toEqual([
      {
        role: 'user',
        parts: [
          { text: 'What is in these two images?' },
          { inlineData: { mimeType: 'image/png', data: 'iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAYAAABytg0kAAAAEUlEQVR4nGP4z8DwH4QZYAwAR8oH+WdZbrcAAAAASUVORK5CYII=' } },
          { fileData: { mimeType: 'image/jpeg', fileUri: 'https://upload.wikimedia.org/wikipedia/commons/a/a7/Camponotus_flavomarginatus_ant.jpg' } },
        ],
      },
    ]);
    expect(upstream.last.json.systemInstruction).toEqual({ parts: [{ text: 'Describe images precisely.' }] });
  });
});

describe('google adapter, streamed', () => {
  it('uses streamGenerateContent?alt=sse and survives splits mid-character and inside CRLF', async () => {
    const sse = fixtureBytes('google', 'stream-text.sse');
    upstream.reply({ sse, splitAt: awkwardSplits(sse) });
    const chunks = await collect(
      await adapter.chatStream(chat({ messages: [{ role: 'user', content: 'x' }], stream: true, stream_options: { include_usage: true } }), attempt('gemini-2.5-flash')),
    );
    expect(upstream.last.url).toBe('/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse');
    expect(upstream.last.json).not.toHaveProperty('stream');
    expect(streamedText(chunks)).toBe('Strawberries are red — très délicieuses 🍓!');
    expect(chunks[chunks.length - 1]).toMatchObject({ choices: [], usage: { total_tokens: 18 } });
  });

  it('streams tool calls with distinct indexes', async () => {
    const sse = fixtureBytes('google', 'stream-tool-calls.sse');
    upstream.reply({ sse, splitAt: awkwardSplits(sse) });
    const chunks = await collect(await adapter.chatStream(chat({ messages: [{ role: 'user', content: 'x' }], stream: true }), attempt('gemini-2.5-pro')));
    expect(streamedToolCalls(chunks).map((c) => c.name)).toEqual(['get_weather', 'get_time']);
  });

  it('throws a ProviderError when the socket is destroyed mid-stream', async () => {
    const sse = fixtureBytes('google', 'stream-text.sse');
    upstream.reply({ sse, splitAt: [250, 300], cutAfterPieces: 2 });
    const stream = await adapter.chatStream(chat({ messages: [{ role: 'user', content: 'x' }], stream: true }), attempt('gemini-2.5-flash'));
    const error = await collect(stream).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProviderError);
    expect((error as ProviderError).kind).toBe('reset');
  });

  it('throws an in-stream error as a ProviderError', async () => {
    upstream.reply({ sse: fixtureBytes('google', 'stream-error.sse') });
    const stream = await adapter.chatStream(chat({ messages: [{ role: 'user', content: 'x' }], stream: true }), attempt('gemini-2.5-flash'));
    await expect(collect(stream)).rejects.toMatchObject({ status: 503, retryable: true });
  });
});

describe('google adapter, embeddings and models', () => {
  it('embeds through batchEmbedContents, float and base64', async () => {
    upstream.reply({ body: fixtureJson('google', 'embed.json') }, { body: fixtureJson('google', 'embed.json') });
    const request = embeddingRequestSchema.parse({ model: 'gemini-embedding-001', input: ['alpha', 'beta'], dimensions: 4 });
    const result = await adapter.embeddings(request, attempt('gemini-embedding-001'));
    expect(upstream.last.url).toBe('/v1beta/models/gemini-embedding-001:batchEmbedContents');
    expect(upstream.last.json).toEqual({
      requests: [
        { model: 'models/gemini-embedding-001', content: { parts: [{ text: 'alpha' }] }, outputDimensionality: 4 },
        { model: 'models/gemini-embedding-001', content: { parts: [{ text: 'beta' }] }, outputDimensionality: 4 },
      ],
    });
    expect(result.data).toMatchObject({ object: 'list', data: [{ index: 0, embedding: [0.0123, -0.0456, 0.0789, 0.5] }, { index: 1 }] });

    const b64 = await adapter.embeddings({ ...request, encoding_format: 'base64' }, attempt('gemini-embedding-001'));
    const encoded = (b64.data.data as { embedding: string }[])[1].embedding;
    expect(Array.from(new Float32Array(new Uint8Array(Buffer.from(encoded, 'base64')).buffer))).toEqual([-0.25, 0.125, 0.0625, -1.5]);
  });

  it('lists models without the models/ prefix and checks health', async () => {
    upstream.reply({ body: fixtureJson('google', 'models.json') }, { body: fixtureJson('google', 'models.json') });
    const models = await adapter.listModels(AbortSignal.timeout(5000));
    expect(models).toEqual([
      expect.objectContaining({ id: 'gemini-2.5-flash', context_window: 1048576, max_tokens: 65536 }),
      expect.objectContaining({ id: 'gemini-embedding-001' }),
    ]);
    expect(upstream.last.url).toBe('/v1beta/models?pageSize=1000');
    await adapter.healthCheck(AbortSignal.timeout(5000));
    expect(upstream.last.url).toBe('/v1beta/models?pageSize=1');
    expect(upstream.last.headers['x-goog-api-key']).toBe('test-key-123456');
  });
});
