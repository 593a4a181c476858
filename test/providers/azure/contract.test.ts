// The Azure OpenAI adapter against a real HTTP upstream: deployment URLs, api-version, api-key
// header, pass-through bodies and answers, streams split and cut, and Azure's error vocabulary.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ProviderError } from '../../../src/errors.js';
import { createAzureAdapter } from '../../../src/providers/azure/adapter.js';
import { chatRequestSchema, completionRequestSchema, embeddingRequestSchema, imageRequestSchema } from '../../../src/providers/canonical.js';
import type { ProviderAdapter } from '../../../src/providers/types.js';
import { NativeUpstream, attempt, awkwardSplits, buildAdapter, collect, fixtureBytes, fixtureJson, streamedText } from '../support/native-upstream.js';

let upstream: NativeUpstream;
let adapter: ProviderAdapter;
let unified: ProviderAdapter;

beforeAll(async () => {
  upstream = await NativeUpstream.start();
  ({ adapter } = buildAdapter(
    createAzureAdapter,
    { name: 'azure', type: 'azure_openai', models: ['gpt-4o', 'text-embedding-3-small', 'dall-e-3'], api_version: '2024-10-21', deployments: { 'gpt-4o': 'prod-gpt4o' } },
    upstream.url,
  ));
  ({ adapter: unified } = buildAdapter(
    createAzureAdapter,
    { name: 'azure-v1', type: 'azure_openai', models: ['gpt-4o'], api_version: 'v1', deployments: { 'gpt-4o': 'prod-gpt4o' } },
    upstream.url,
  ));
});
afterEach(() => upstream.reset());
afterAll(async () => {
  await adapter.close();
  await unified.close();
  await upstream.close();
});

const chat = (body: Record<string, unknown>) => chatRequestSchema.parse({ model: 'gpt-4o', messages: [{ role: 'user', content: 'Hi' }], ...body });

describe('azure adapter', () => {
  it('calls the deployment URL with api-version and api-key, passing bytes through both ways', async () => {
    const answer = fixtureBytes('azure', 'chat.json');
    upstream.reply({ body: answer });
    const raw = Buffer.from('{"model":"gpt-4o","messages":[{"role":"user","content":"Hi"}],"temperature":0.2}');
    const result = await adapter.chat(chat({ temperature: 0.2 }), attempt('gpt-4o', { rawBody: raw }));
    expect(upstream.last.url).toBe('/openai/deployments/prod-gpt4o/chat/completions?api-version=2024-10-21');
    expect(upstream.last.headers['api-key']).toBe('test-key-123456');
    expect(upstream.last.headers.authorization).toBeUndefined();
    expect(upstream.last.raw).toBe(raw.toString());
    expect(result.raw?.equals(answer)).toBe(true);
    expect(result.data).toMatchObject({ choices: [{ message: { content: 'Hello from Azure — ¡hola! 🌤' } }] });
  });

  it('uses the model name as the deployment when none is configured', async () => {
    upstream.reply({ body: fixtureJson('azure', 'embeddings.json') });
    await adapter.embeddings(embeddingRequestSchema.parse({ model: 'text-embedding-3-small', input: 'hi' }), attempt('text-embedding-3-small'));
    expect(upstream.last.url).toBe('/openai/deployments/text-embedding-3-small/embeddings?api-version=2024-10-21');
  });

  it('serves completions and images at their deployment paths', async () => {
    upstream.reply({ body: { id: 'cmpl-1', object: 'text_completion', choices: [{ text: 'ok', index: 0, finish_reason: 'stop' }] } }, { body: fixtureJson('azure', 'images.json') });
    await adapter.completions(completionRequestSchema.parse({ model: 'gpt-35-turbo-instruct', prompt: 'Say ok' }), attempt('gpt-35-turbo-instruct'));
    expect(upstream.last.url).toBe('/openai/deployments/gpt-35-turbo-instruct/completions?api-version=2024-10-21');
    const images = await adapter.images(imageRequestSchema.parse({ model: 'dall-e-3', prompt: 'a lighthouse' }), attempt('dall-e-3'));
    expect(upstream.last.url).toBe('/openai/deployments/dall-e-3/images/generations?api-version=2024-10-21');
    expect(images.data).toMatchObject({ data: [{ revised_prompt: 'A watercolor painting of a lighthouse at dawn.' }] });
  });

  it('with api_version v1 puts the deployment in the body of /openai/v1 calls', async () => {
    upstream.reply({ body: fixtureJson('azure', 'chat.json') });
    const raw = Buffer.from('{"model":"gpt-4o","messages":[{"role":"user","content":"Hi"}]}');
    await unified.chat(chat({}), attempt('gpt-4o', { rawBody: raw }));
    expect(upstream.last.url).toBe('/openai/v1/chat/completions');
    expect(upstream.last.json.model).toBe('prod-gpt4o');
  });

  it('relays a stream split at awkward byte boundaries, Azure filter chunks included', async () => {
    const sse = fixtureBytes('azure', 'stream.sse');
    upstream.reply({ sse, splitAt: awkwardSplits(sse) });
    const stream = await adapter.chatStream(chat({ stream: true, stream_options: { include_usage: true } }), attempt('gpt-4o'));
    const chunks = await collect(stream);
    expect(upstream.last.json).toMatchObject({ stream: true, stream_options: { include_usage: true } });
    expect(streamedText(chunks)).toBe('Guten Tag — 你好 👋');
    expect(chunks[chunks.length - 1]).toMatchObject({ choices: [], usage: { total_tokens: 18 } });
  });

  it('throws a ProviderError when the socket is destroyed mid-stream', async () => {
    const sse = fixtureBytes('azure', 'stream.sse');
    upstream.reply({ sse, splitAt: [500, 800], cutAfterPieces: 2 });
    const stream = await adapter.chatStream(chat({ stream: true }), attempt('gpt-4o'));
    const error = await collect(stream).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProviderError);
    expect((error as ProviderError).retryable).toBe(true);
  });

  it('maps a content-filter refusal to a 400 with Azure message and code content_filter', async () => {
    upstream.reply({ status: 400, body: fixtureJson('azure', 'error-content-filter.json') });
    const error = await adapter.chat(chat({}), attempt('gpt-4o')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProviderError);
    expect(error).toMatchObject({
      status: 400,
      retryable: false,
      code: 'content_filter',
      param: 'prompt',
      message: "The response was filtered due to the prompt triggering Azure OpenAI's content management policy. Please modify your prompt and retry.",
    });
  });

  it.each([
    [429, 'error-rate-limit.json', true],
    [404, 'error-deployment-not-found.json', false],
  ])('relays HTTP %i with its message', async (status, file, retryable) => {
    upstream.reply({ status, body: fixtureJson('azure', file), headers: { 'retry-after': '6' } });
    const error = await adapter.chat(chat({}), attempt('gpt-4o')).catch((e: unknown) => e);
    expect(error).toMatchObject({ status, retryable, message: fixtureJson<{ error: { message: string } }>('azure', file).error.message });
  });

  it('lists deployment aliases and the resource models, and checks health', async () => {
    upstream.reply({ body: fixtureJson('azure', 'models.json') }, { body: fixtureJson('azure', 'models.json') });
    const models = await adapter.listModels(AbortSignal.timeout(5000));
    expect(upstream.last.url).toBe('/openai/models?api-version=2024-10-21');
    expect(models.map((m) => m.id)).toEqual(['gpt-4o', 'text-embedding-3-small', 'dall-e-3', 'gpt-4o-2024-08-06']);
    expect(models[3].capabilities).toEqual(['inference', 'chat_completion']);
    await adapter.healthCheck(AbortSignal.timeout(5000));
    expect(upstream.last.headers['api-key']).toBe('test-key-123456');
  });
});
