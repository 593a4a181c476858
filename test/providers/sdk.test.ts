// The official `openai` SDK as client of the proxy, each native provider behind it on a mock
// upstream replaying recorded answers: plain, streamed and tool-call requests per provider.
import OpenAI from 'openai';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startProxy, type TestProxy } from '../support/proxy.js';
import { NativeUpstream, awkwardSplits, fixtureBytes, fixtureJson, type Reply } from './support/native-upstream.js';

interface Case {
  provider: string;
  model: string;
  text: { reply: Reply; content: string; usage: { prompt_tokens: number; completion_tokens: number } };
  stream: { reply: () => Reply; content: string; total_tokens: number };
  tools: { reply: Reply; calls: [string, unknown][] };
  streamTools: { reply: () => Reply; calls: [string, unknown][] };
}

const split = (provider: string, file: string) => () => {
  const sse = fixtureBytes(provider, file);
  return { sse, splitAt: awkwardSplits(sse) };
};

const azureTools = {
  id: 'chatcmpl-AzTools',
  object: 'chat.completion',
  created: 1733762820,
  model: 'gpt-4o-2024-08-06',
  choices: [
    {
      index: 0,
      finish_reason: 'tool_calls',
      logprobs: null,
      message: {
        role: 'assistant',
        content: null,
        tool_calls: [
          { id: 'call_x1', type: 'function', function: { name: 'get_weather', arguments: '{"location":"Oslo"}' } },
          { id: 'call_x2', type: 'function', function: { name: 'get_weather', arguments: '{"location":"Rome"}' } },
        ],
      },
    },
  ],
  usage: { prompt_tokens: 50, completion_tokens: 30, total_tokens: 80 },
};
const azureToolStream = () => {
  const base = { id: 'chatcmpl-AzTS', object: 'chat.completion.chunk', created: 1733762830, model: 'gpt-4o-2024-08-06' };
  const chunk = (delta: unknown, finish: string | null = null) => `data: ${JSON.stringify({ ...base, choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }] })}\n\n`;
  const text = [
    chunk({ role: 'assistant', content: null }),
    chunk({ tool_calls: [{ index: 0, id: 'call_s1', type: 'function', function: { name: 'get_weather', arguments: '' } }] }),
    chunk({ tool_calls: [{ index: 0, function: { arguments: '{"location":"Lima"}' } }] }),
    chunk({}, 'tool_calls'),
    'data: [DONE]\n\n',
  ].join('');
  const sse = Buffer.from(text);
  return { sse, splitAt: awkwardSplits(sse) };
};

const CASES: Case[] = [
  {
    provider: 'anthropic',
    model: 'claude-sonnet-4-5',
    text: { reply: { body: fixtureJson('anthropic', 'message-text.json') }, content: 'Hello! How can I help you today? ¿Qué tal? 👋', usage: { prompt_tokens: 2112, completion_tokens: 19 } },
    stream: { reply: split('anthropic', 'stream-text.sse'), content: 'Grüße, 世界! 🌍', total_tokens: 50 },
    tools: {
      reply: { body: fixtureJson('anthropic', 'message-tool-calls.json') },
      calls: [
        ['get_weather', { location: 'San Francisco, CA', unit: 'celsius' }],
        ['get_weather', { location: 'Tokyo, JP', unit: 'celsius' }],
      ],
    },
    streamTools: { reply: split('anthropic', 'stream-tool-calls.sse'), calls: [['get_weather', { location: 'San Francisco, CA' }], ['get_time', { timezone: 'Asia/Tokyo' }]] },
  },
  {
    provider: 'google',
    model: 'gemini-2.5-flash',
    text: { reply: { body: fixtureJson('google', 'generate-text.json') }, content: 'Hello! Bonjour! こんにちは 👋', usage: { prompt_tokens: 9, completion_tokens: 32 } },
    stream: { reply: split('google', 'stream-text.sse'), content: 'Strawberries are red — très délicieuses 🍓!', total_tokens: 18 },
    tools: {
      reply: { body: fixtureJson('google', 'generate-tool-calls.json') },
      calls: [
        ['get_weather', { location: 'Paris', unit: 'celsius' }],
        ['get_weather', { location: 'London', unit: 'celsius' }],
      ],
    },
    streamTools: { reply: split('google', 'stream-tool-calls.sse'), calls: [['get_weather', { location: 'Paris' }], ['get_time', { timezone: 'Europe/London' }]] },
  },
  {
    provider: 'cohere',
    model: 'command-a-03-2025',
    text: { reply: { body: fixtureJson('cohere', 'chat-text.json') }, content: 'Hallo! Schön, dich zu sehen 😊', usage: { prompt_tokens: 71, completion_tokens: 9 } },
    stream: { reply: split('cohere', 'stream-text.sse'), content: 'Bonjour à tous — ça va? ☕', total_tokens: 77 },
    tools: {
      reply: { body: fixtureJson('cohere', 'chat-tool-calls.json') },
      calls: [
        ['get_weather', { location: 'Toronto' }],
        ['get_weather', { location: 'Berlin' }],
      ],
    },
    streamTools: { reply: split('cohere', 'stream-tool-calls.sse'), calls: [['get_weather', { location: 'Toronto' }], ['get_time', { timezone: 'Europe/Berlin' }]] },
  },
  {
    provider: 'azure',
    model: 'gpt-4o',
    text: { reply: { body: fixtureJson('azure', 'chat.json') }, content: 'Hello from Azure — ¡hola! 🌤', usage: { prompt_tokens: 19, completion_tokens: 11 } },
    stream: { reply: split('azure', 'stream.sse'), content: 'Guten Tag — 你好 👋', total_tokens: 18 },
    tools: {
      reply: { body: azureTools },
      calls: [
        ['get_weather', { location: 'Oslo' }],
        ['get_weather', { location: 'Rome' }],
      ],
    },
    streamTools: { reply: azureToolStream, calls: [['get_weather', { location: 'Lima' }]] },
  },
];

const upstreams = new Map<string, NativeUpstream>();
let proxy: TestProxy;
let client: OpenAI;

beforeAll(async () => {
  for (const c of CASES) upstreams.set(c.provider, await NativeUpstream.start());
  const url = (p: string) => upstreams.get(p)!.url;
  const common = { max_retries: 0, timeout: 5 };
  proxy = await startProxy(
    {
      providers: [
        { name: 'anthropic', type: 'anthropic', base_url: url('anthropic'), api_key_env: 'ANTHROPIC_KEY', models: ['claude-*'], ...common },
        { name: 'google', type: 'google', base_url: `${url('google')}/v1beta`, api_key_env: 'GOOGLE_KEY', models: ['gemini-*'], ...common },
        { name: 'cohere', type: 'cohere', base_url: url('cohere'), api_key_env: 'COHERE_KEY', models: ['command-*'], ...common },
        { name: 'azure', type: 'azure_openai', base_url: url('azure'), api_key_env: 'AZURE_KEY', models: ['gpt-4o'], deployments: { 'gpt-4o': 'prod-4o' }, ...common },
      ],
    },
    { ANTHROPIC_KEY: 'ak', GOOGLE_KEY: 'gk', COHERE_KEY: 'ck', AZURE_KEY: 'zk' },
  );
  client = new OpenAI({ apiKey: 'unused', baseURL: `${proxy.url}/v1`, maxRetries: 0 });
});
afterEach(() => {
  for (const upstream of upstreams.values()) upstream.reset();
});
afterAll(async () => {
  await proxy.close();
  for (const upstream of upstreams.values()) await upstream.close();
});

const tools: OpenAI.ChatCompletionTool[] = [
  { type: 'function', function: { name: 'get_weather', description: 'Weather', parameters: { type: 'object', properties: { location: { type: 'string' } }, required: ['location'] } } },
  { type: 'function', function: { name: 'get_time', parameters: { type: 'object', properties: { timezone: { type: 'string' } } } } },
];

describe.each(CASES)('openai SDK through the proxy to $provider', (c) => {
  const upstream = () => upstreams.get(c.provider)!;

  it('plain chat', async () => {
    upstream().reply(c.text.reply);
    const completion = await client.chat.completions.create({ model: c.model, messages: [{ role: 'user', content: 'Hello' }] });
    expect(completion.choices[0].message.content).toBe(c.text.content);
    expect(completion.choices[0].finish_reason).toBe('stop');
    expect(completion.usage).toMatchObject(c.text.usage);
    expect(upstream().requests).toHaveLength(1);
  });

  it('streamed chat with usage', async () => {
    upstream().reply(c.stream.reply());
    const stream = await client.chat.completions.create({ model: c.model, messages: [{ role: 'user', content: 'Hello' }], stream: true, stream_options: { include_usage: true } });
    let text = '';
    let usage: OpenAI.CompletionUsage | null | undefined;
    let finish: string | null = null;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta?.content ?? '';
      finish = chunk.choices[0]?.finish_reason ?? finish;
      if (chunk.usage) usage = chunk.usage;
    }
    expect(text).toBe(c.stream.content);
    expect(finish).toBe('stop');
    expect(usage?.total_tokens).toBe(c.stream.total_tokens);
  });

  it('tool calls', async () => {
    upstream().reply(c.tools.reply);
    const completion = await client.chat.completions.create({ model: c.model, messages: [{ role: 'user', content: 'Weather?' }], tools });
    const choice = completion.choices[0];
    expect(choice.finish_reason).toBe('tool_calls');
    const calls = (choice.message.tool_calls ?? []).map((call) => (call.type === 'function' ? [call.function.name, JSON.parse(call.function.arguments)] : null));
    expect(calls).toEqual(c.tools.calls);
  });

  it('streamed tool calls, assembled by the SDK', async () => {
    upstream().reply(c.streamTools.reply());
    const final = await client.chat.completions.stream({ model: c.model, messages: [{ role: 'user', content: 'Weather?' }], tools }).finalChatCompletion();
    const choice = final.choices[0];
    expect(choice.finish_reason).toBe('tool_calls');
    const calls = (choice.message.tool_calls ?? []).map((call) => (call.type === 'function' ? [call.function.name, JSON.parse(call.function.arguments)] : null));
    expect(calls).toEqual(c.streamTools.calls);
  });
});
