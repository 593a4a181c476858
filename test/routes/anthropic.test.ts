// POST /v1/messages with the official Anthropic SDK as client: served by an OpenAI-format provider
// (translated both ways) and by an Anthropic provider (passed through unchanged).
import Anthropic from '@anthropic-ai/sdk';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { NativeUpstream, fixtureBytes, fixtureJson } from '../providers/support/native-upstream.js';
import { chatChunk, chatCompletion, MockUpstream } from '../support/mock-openai.js';
import { mockProvider, startProxy, type TestProxy } from '../support/proxy.js';

let openai: MockUpstream;
let claude: NativeUpstream;
let proxy: TestProxy;
let client: Anthropic;
let url: string;

beforeAll(async () => {
  openai = await MockUpstream.start('openai-mock');
  claude = await NativeUpstream.start();
  const env = { ANTHROPIC_KEY: 'sk-ant-upstream-secret' };
  proxy = await startProxy(
    {
      auth: { api_keys: ['client-key'] },
      providers: [
        mockProvider('openai-mock', openai.url, { models: ['gpt-*'], max_retries: 0 }),
        { name: 'claude', type: 'anthropic', base_url: claude.url, api_key_env: 'ANTHROPIC_KEY', models: ['claude-*'], max_retries: 0, timeout: 5 },
      ],
    },
    env,
  );
  url = proxy.url;
  client = new Anthropic({ apiKey: 'client-key', baseURL: url, maxRetries: 0 });
});
afterEach(() => {
  openai.reset();
  claude.reset();
});
afterAll(async () => {
  await proxy.close();
  await openai.close();
  await claude.close();
});

const tools = [{ name: 'get_weather', description: 'Weather for a city', input_schema: { type: 'object' as const, properties: { city: { type: 'string' } }, required: ['city'] } }];

describe('/v1/messages backed by an OpenAI-format provider', () => {
  it('answers a plain request, translated both ways', async () => {
    const message = await client.messages.create({ model: 'gpt-4o', max_tokens: 100, system: 'Be brief.', messages: [{ role: 'user', content: 'Hi' }] });
    expect(message).toMatchObject({ type: 'message', role: 'assistant', model: 'gpt-4o', stop_reason: 'end_turn' });
    expect(message.content).toEqual([{ type: 'text', text: 'Hello from openai-mock' }]);
    expect(message.usage).toMatchObject({ input_tokens: 9, output_tokens: 3 });
    const [call] = openai.calls('/v1/chat/completions');
    expect(call.body).toEqual({ model: 'gpt-4o', max_tokens: 100, messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Hi' }] });
  });

  it('streams, with usage in message_delta', async () => {
    const stream = client.messages.stream({ model: 'gpt-4o', max_tokens: 100, messages: [{ role: 'user', content: 'Hi' }] });
    const types: string[] = [];
    stream.on('streamEvent', (event) => types.push(event.type));
    const message = await stream.finalMessage();
    expect(message.content).toEqual([{ type: 'text', text: 'Hello from openai-mock' }]);
    expect(message.usage.output_tokens).toBe(3);
    expect(types[0]).toBe('message_start');
    expect(types.slice(-2)).toEqual(['message_delta', 'message_stop']);
    expect(openai.calls().at(-1)!.body).toMatchObject({ stream: true, stream_options: { include_usage: true } });
  });

  it('returns tool calls as tool_use blocks and sends tool results back as tool messages', async () => {
    openai.enqueue({
      body: chatCompletion('', 'gpt-4o', {
        choices: [
          {
            index: 0,
            message: { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Oslo"}' } }] },
            finish_reason: 'tool_calls',
          },
        ],
      }),
    });
    const first = await client.messages.create({ model: 'gpt-4o', max_tokens: 100, tools, messages: [{ role: 'user', content: 'Weather in Oslo?' }] });
    expect(first.stop_reason).toBe('tool_use');
    expect(first.content).toEqual([{ type: 'tool_use', id: 'call_1', name: 'get_weather', input: { city: 'Oslo' } }]);
    expect(openai.calls().at(-1)!.body?.tools).toEqual([{ type: 'function', function: { name: 'get_weather', description: 'Weather for a city', parameters: tools[0].input_schema } }]);

    await client.messages.create({
      model: 'gpt-4o',
      max_tokens: 100,
      tools,
      messages: [
        { role: 'user', content: 'Weather in Oslo?' },
        { role: 'assistant', content: first.content },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'call_1', content: '3C, snow' }] },
      ],
    });
    expect(openai.calls().at(-1)!.body?.messages).toEqual([
      { role: 'user', content: 'Weather in Oslo?' },
      { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Oslo"}' } }] },
      { role: 'tool', tool_call_id: 'call_1', content: '3C, snow' },
    ]);
  });

  it('streams tool calls as tool_use blocks', async () => {
    const events = [
      chatChunk({ role: 'assistant', content: '' }),
      chatChunk({ tool_calls: [{ index: 0, id: 'call_a', type: 'function', function: { name: 'get_weather', arguments: '' } }] }),
      chatChunk({ tool_calls: [{ index: 0, function: { arguments: '{"city":' } }] }),
      chatChunk({ tool_calls: [{ index: 0, function: { arguments: '"Rome"}' } }] }),
      chatChunk({ tool_calls: [{ index: 1, id: 'call_b', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Bern"}' } }] }),
      chatChunk({}, 'tool_calls'),
    ];
    openai.enqueue({ stream: [...events.map((e) => `data: ${e}\n\n`), 'data: [DONE]\n\n'] });
    const message = await client.messages.stream({ model: 'gpt-4o', max_tokens: 100, tools, messages: [{ role: 'user', content: 'Rome and Bern?' }] }).finalMessage();
    expect(message.stop_reason).toBe('tool_use');
    expect(message.content).toEqual([
      { type: 'tool_use', id: 'call_a', name: 'get_weather', input: { city: 'Rome' } },
      { type: 'tool_use', id: 'call_b', name: 'get_weather', input: { city: 'Bern' } },
    ]);
  });

  it('ends a stream cut mid-way with an error event the SDK raises', async () => {
    const events = [chatChunk({ role: 'assistant', content: '' }), chatChunk({ content: 'Partial' }), chatChunk({ content: ' answer' })];
    openai.enqueue({ stream: events.map((e) => `data: ${e}\n\n`), cutAfter: 2 });
    const stream = client.messages.stream({ model: 'gpt-4o', max_tokens: 100, messages: [{ role: 'user', content: 'Hi' }] });
    await expect(stream.finalMessage()).rejects.toThrow(/closed the stream|reset|connection/i);
  });

  it('answers errors in Anthropic shape: validation, unknown model, missing key', async () => {
    const bad = await client.messages.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'Hi' }] } as unknown as Anthropic.MessageCreateParamsNonStreaming).catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(Anthropic.BadRequestError);
    expect((bad as InstanceType<typeof Anthropic.BadRequestError>).error).toMatchObject({ type: 'error', error: { type: 'invalid_request_error', message: expect.stringContaining('max_tokens') } });

    const unknown = await client.messages.create({ model: 'nope-1', max_tokens: 5, messages: [{ role: 'user', content: 'Hi' }] }).catch((e: unknown) => e);
    expect(unknown).toBeInstanceOf(Anthropic.NotFoundError);

    const anonymous = new Anthropic({ apiKey: 'wrong', baseURL: url, maxRetries: 0 });
    const denied = await anonymous.messages.create({ model: 'gpt-4o', max_tokens: 5, messages: [{ role: 'user', content: 'Hi' }] }).catch((e: unknown) => e);
    expect(denied).toBeInstanceOf(Anthropic.AuthenticationError);
    expect((denied as InstanceType<typeof Anthropic.AuthenticationError>).error).toMatchObject({ type: 'error', error: { type: 'authentication_error' } });
  });
});

describe('/v1/messages backed by an Anthropic provider (pass-through)', () => {
  it('forwards the request unchanged with the provider key and returns the message unchanged', async () => {
    claude.reply({ body: fixtureJson('anthropic', 'message-thinking.json') });
    const params = {
      model: 'claude-sonnet-4-5',
      max_tokens: 2048,
      thinking: { type: 'enabled' as const, budget_tokens: 1024 },
      messages: [{ role: 'user' as const, content: 'What is 27 * 453?' }],
    };
    const message = await client.messages.create(params, { headers: { 'anthropic-beta': 'interleaved-thinking-2025-05-14' } });
    const received = claude.last;
    expect(received.url).toBe('/v1/messages');
    expect(received.json).toEqual(params);
    expect(received.headers['x-api-key']).toBe('sk-ant-upstream-secret');
    expect(received.headers['anthropic-version']).toBe('2023-06-01');
    expect(received.headers['anthropic-beta']).toBe('interleaved-thinking-2025-05-14');
    const { _proxy_info: _info, ...rest } = message as unknown as Record<string, unknown>;
    expect(rest).toEqual(fixtureJson('anthropic', 'message-thinking.json'));
  });

  it('relays the stream event for event, thinking signatures intact', async () => {
    const sse = fixtureBytes('anthropic', 'stream-thinking.sse');
    claude.reply({ sse, splitAt: [100, 333, 777] });
    const stream = client.messages.stream({ model: 'claude-sonnet-4-5', max_tokens: 2048, messages: [{ role: 'user', content: '27 * 453?' }] });
    const events: string[] = [];
    stream.on('streamEvent', (event) => events.push(JSON.stringify(event)));
    const message = await stream.finalMessage();
    const upstreamEvents = sse
      .toString('utf8')
      .split('\n\n')
      .filter(Boolean)
      .map((block) => JSON.stringify(JSON.parse(block.split('\n')[1].slice('data: '.length))));
    expect(events).toEqual(upstreamEvents);
    expect(message.content[0]).toEqual({
      type: 'thinking',
      thinking: '27 * 453 = 10800 + 1431 = 12231.',
      signature: 'EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxBdjrkzLoky3dl1pkiMOYds+/pMiHAOJbgCNHmrmuz/7kAa7TjEtTs7DBq8fj+h2LYnBjHqxgSJNgGgVMqEAh0fQ/',
    });
  });

  it('relays an upstream 400 with its message in Anthropic shape', async () => {
    claude.reply({ status: 400, body: fixtureJson('anthropic', 'error-invalid-request.json') });
    const error = await client.messages.create({ model: 'claude-sonnet-4-5', max_tokens: 5, messages: [{ role: 'user', content: 'x' }] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Anthropic.BadRequestError);
    expect((error as InstanceType<typeof Anthropic.BadRequestError>).error).toMatchObject({
      error: { type: 'invalid_request_error', message: 'messages.1.content.0.tool_result: unexpected `tool_use_id` found in `tool_result` blocks' },
    });
  });

  it('turns an error event mid-stream into an SDK error', async () => {
    claude.reply({ sse: fixtureBytes('anthropic', 'stream-error.sse') });
    const stream = client.messages.stream({ model: 'claude-sonnet-4-5', max_tokens: 5, messages: [{ role: 'user', content: 'x' }] });
    await expect(stream.finalMessage()).rejects.toThrow(/Overloaded/);
  });
});
