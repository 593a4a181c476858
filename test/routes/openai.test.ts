import OpenAI from 'openai';
import { describe, expect, test } from 'vitest';
import { chatChunk, chatCompletion, chatStream } from '../support/mock-openai.js';
import { chatBody, useOpenAIFixture } from './openai-fixture.js';

const f = useOpenAIFixture();
const post = f.post;

describe('endpoints', () => {
  test('chat: the upstream answer comes back byte-compatible, with _proxy_info and headers', async () => {
    const res = await post('/v1/chat/completions', chatBody(), { 'x-request-id': 'req-123' });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-request-id')).toBe('req-123');
    expect(res.headers.get('x-proxy-provider')).toBe('primary');
    expect(Number(res.headers.get('x-proxy-overhead-ms'))).toBeGreaterThanOrEqual(0);
    const body = await res.json();
    const { _proxy_info: info, ...rest } = body;
    expect(rest).toEqual(chatCompletion('Hello from primary'));
    expect(info).toMatchObject({ provider: 'primary', attempt_number: 1, request_id: 'req-123' });
    expect(info.response_time).toBeGreaterThan(0);
    // The upstream received the client's bytes and the provider's key.
    const [call] = f.primary.calls('/v1/chat/completions');
    expect(call.raw).toBe(JSON.stringify(chatBody()));
    expect(call.headers.authorization).toBe('Bearer sk-primary-secret');
  });

  test('unknown request fields pass through to the provider untouched', async () => {
    await post('/v1/chat/completions', chatBody({ reasoning_effort: 'high', new_param: { nested: [1, 2] } }));
    expect(f.primary.requests[0].body).toMatchObject({ reasoning_effort: 'high', new_param: { nested: [1, 2] } });
  });

  test('a request id is generated when the client sends none', async () => {
    const res = await post('/v1/chat/completions', chatBody());
    expect(res.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  test('chat streamed: chunks relayed in order, [DONE] last, usage passed through', async () => {
    const res = await post('/v1/chat/completions', chatBody({ stream: true, stream_options: { include_usage: true } }));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(res.headers.get('x-proxy-provider')).toBe('primary');
    const text = await res.text();
    expect(text).toBe(chatStream(['Hello', ' from', ' primary'], 'gpt-4o', true).join(''));
    expect(f.primary.requests[0].body).toMatchObject({ stream: true, stream_options: { include_usage: true } });
  });

  test('completions, plain and streamed', async () => {
    const plain = await post('/v1/completions', { model: 'gpt-3.5-turbo-instruct', prompt: 'Say hi' });
    expect(plain.status).toBe(200);
    expect((await plain.json()).choices[0].text).toBe('Hello from primary');
    const streamed = await post('/v1/completions', { model: 'gpt-3.5-turbo-instruct', prompt: 'Say hi', stream: true });
    const text = await streamed.text();
    expect(text).toContain('"text":"Hello"');
    expect(text.endsWith('data: [DONE]\n\n')).toBe(true);
  });

  test('embeddings and images', async () => {
    const emb = await post('/v1/embeddings', { model: 'text-embedding-3-small', input: ['a', 'b'] });
    expect(emb.status).toBe(200);
    expect((await emb.json()).data).toHaveLength(2);
    const img = await post('/v1/images/generations', { model: 'dall-e-3', prompt: 'a cat' });
    expect(img.status).toBe(200);
    expect((await img.json()).data[0].url).toContain('primary');
  });

  test('GET /v1/models merges enabled providers and GET /providers lists them', async () => {
    const models = await (await fetch(`${f.proxy.url}/v1/models`)).json();
    expect(models.object).toBe('list');
    const ids = models.data.map((m: { id: string }) => m.id);
    expect(ids).toEqual(['gpt-4o', 'text-embedding-3-small', 'dall-e-3', 'gpt-3.5-turbo-instruct']);
    expect(models.data[0]).toMatchObject({ id: 'gpt-4o', object: 'model', owned_by: 'primary', provider_type: 'openai_compatible', enabled: true, forced: false });
    expect(typeof models.data[0].created).toBe('number');
    const providers = await (await fetch(`${f.proxy.url}/providers`)).json();
    expect(providers.providers.map((p: { name: string; priority: number }) => [p.name, p.priority])).toEqual([
      ['primary', 1],
      ['backup', 2],
      ['keyless', 1],
    ]);
    expect(providers.providers[2]).toMatchObject({ enabled: false, status: 'disabled', disabled_reason: 'UNSET_KEY is not set' });
  });
});

describe('the official openai SDK as client', () => {
  const client = () => new OpenAI({ baseURL: `${f.proxy.url}/v1`, apiKey: 'unused', maxRetries: 0 });

  test('chat, streamed chat, completions, embeddings, images, models', async () => {
    const sdk = client();
    const chat = await sdk.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] });
    expect(chat.choices[0].message.content).toBe('Hello from primary');

    const stream = await sdk.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }], stream: true });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
    expect(text).toBe('Hello from primary');

    const completion = await sdk.completions.create({ model: 'gpt-3.5-turbo-instruct', prompt: 'x' });
    expect(completion.choices[0].text).toBe('Hello from primary');

    const embedding = await sdk.embeddings.create({ model: 'text-embedding-3-small', input: 'x' });
    expect(embedding.data[0].embedding.map((v) => Math.round(v * 100) / 100)).toEqual([0.1, 0.2, 0.3]);

    const image = await sdk.images.generate({ model: 'dall-e-3', prompt: 'a cat' });
    expect(image.data?.[0].url).toContain('primary');

    const models = [];
    for await (const model of sdk.models.list()) models.push(model.id);
    expect(models).toContain('gpt-4o');
  });

  test('errors surface as the SDK error classes with our code', async () => {
    const error = await client()
      .chat.completions.create({ model: 'no-such-model', messages: [{ role: 'user', content: 'hi' }] })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.NotFoundError);
    expect((error as InstanceType<typeof OpenAI.NotFoundError>).code).toBe('model_not_found');
  });

  test('an error inside a stream is raised by the SDK', async () => {
    f.primary.enqueue({ stream: [`data: ${chatChunk({ role: 'assistant', content: 'Hel' })}\n\n`, ''], cutAfter: 1, gapMs: 50 });
    const stream = await client().chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }], stream: true });
    const seen: string[] = [];
    const failure = await (async () => {
      for await (const chunk of stream) seen.push(chunk.choices[0]?.delta?.content ?? '');
    })().catch((e: unknown) => e);
    expect(seen).toEqual(['Hel']);
    expect(failure).toBeInstanceOf(Error);
    expect(String((failure as Error).message)).toMatch(/primary/);
  });
});

describe('bad input', () => {
  test('malformed JSON: 400 invalid_request', async () => {
    const res = await post('/v1/chat/completions', '{"model": "gpt-4o", "messages": [');
    expect(res.status).toBe(400);
    const body = await res.json();
    expect(body.error.code).toBe('invalid_request');
    expect(body.error.message).toMatch(/Malformed JSON/);
    expect(f.primary.requests).toHaveLength(0);
  });

  test.each([
    [{ messages: [{ role: 'user', content: 'x' }] }, 'model'],
    [{ model: 'gpt-4o' }, 'messages'],
    [{ model: 42, messages: [] }, 'model'],
    [{ model: 'bad model!', messages: [{ role: 'user', content: 'x' }] }, 'model'],
    [{ model: 'x'.repeat(101), messages: [{ role: 'user', content: 'x' }] }, 'model'],
    [chatBody({ temperature: 3 }), 'temperature'],
    [chatBody({ max_tokens: 0 }), 'max_tokens'],
    [chatBody({ n: 0 }), 'n'],
    [chatBody({ logit_bias: { '50256': -101 } }), 'logit_bias.50256'],
    [{ model: 'gpt-4o', messages: [{ role: 'user' }] }, 'messages[0].content'],
    [{ model: 'gpt-4o', messages: [{ role: 'wizard', content: 'x' }] }, 'messages[0].role'],
  ])('invalid body %j → 400 with param %s', async (body, param) => {
    const res = await post('/v1/chat/completions', body);
    expect(res.status).toBe(400);
    const json = await res.json();
    expect(json.error).toMatchObject({ code: 'invalid_request', type: 'invalid_request_error', param });
  });

  test.each([
    [{ model: 'gpt-4o' }, 'messages is required'],
    [chatBody({ temperature: 'hot' }), 'temperature: Invalid input: expected number, received string'],
    [chatBody({ max_tokens: 'abc' }), 'max_tokens: Invalid input: expected number, received string'],
    [{ model: 'gpt-4o', messages: 'not a list' }, 'messages: Invalid input: expected array, received string'],
  ])('the 400 for %j says whether the field is missing or of the wrong type', async (body, message) => {
    const res = await post('/v1/chat/completions', body);
    expect(res.status).toBe(400);
    expect((await res.json()).error.message).toBe(message);
  });

  test('assistant content may be null when tool_calls are present', async () => {
    const res = await post('/v1/chat/completions', {
      model: 'gpt-4o',
      messages: [
        { role: 'user', content: 'weather?' },
        { role: 'assistant', content: null, tool_calls: [{ id: 'c1', type: 'function', function: { name: 'w', arguments: '{}' } }] },
        { role: 'tool', tool_call_id: 'c1', content: 'sunny' },
      ],
    });
    expect(res.status).toBe(200);
  });

  test('a body over server.body_limit_mb: 413 payload_too_large', async () => {
    const res = await post('/v1/chat/completions', chatBody({ messages: [{ role: 'user', content: 'x'.repeat(20_000) }] }));
    expect(res.status).toBe(413);
    expect((await res.json()).error.code).toBe('payload_too_large');
    expect(f.primary.requests).toHaveLength(0);
  });

  test('a JSON body that is not an object: 400', async () => {
    const res = await post('/v1/chat/completions', '[1,2]');
    expect(res.status).toBe(400);
    expect((await res.json()).error.code).toBe('invalid_request');
  });

  test('unknown routes answer 404 in the error shape', async () => {
    const res = await fetch(`${f.proxy.url}/v1/nope`);
    expect(res.status).toBe(404);
    expect((await res.json()).error.code).toBe('not_found');
  });
});
