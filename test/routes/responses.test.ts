/* eslint-disable @typescript-eslint/no-explicit-any -- JSON answers are read back loosely in assertions */
// POST /v1/responses through real clients: the official openai SDK and the Vercel AI SDK's default
// `openai(model)` provider (which speaks the Responses API), against an OpenAI-type provider that serves
// the Responses API (pass-through) and an Anthropic provider (translated to and from chat).
import { createOpenAI } from '@ai-sdk/openai';
import { generateText, jsonSchema, stepCountIs, streamText, tool } from 'ai';
import OpenAI, { APIError } from 'openai';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { AnthropicUpstream, ResponsesUpstream } from '../support/scripted-model.js';
import { startProxy, type TestProxy } from '../support/proxy.js';

let responsesUp: ResponsesUpstream;
let anthropicUp: AnthropicUpstream;
let proxy: TestProxy;

beforeAll(async () => {
  responsesUp = await ResponsesUpstream.start();
  anthropicUp = await AnthropicUpstream.start();
  proxy = await startProxy({
    hot_reload: { enabled: false },
    providers: [
      { name: 'oa', type: 'openai', base_url: `${responsesUp.url}/v1`, models: ['gpt-4o-mini'], max_retries: 0, timeout: 5 },
      { name: 'claude', type: 'anthropic', base_url: anthropicUp.url, models: ['claude-*'], max_retries: 0, timeout: 5 },
    ],
  });
});

afterAll(async () => {
  await proxy.close();
  await responsesUp.close();
  await anthropicUp.close();
});

const WEATHER = { type: 'function' as const, name: 'get_weather', description: 'Weather for a city', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] }, strict: false };

const cases = [
  { label: 'OpenAI-type provider (pass-through)', model: 'gpt-4o-mini', provider: 'oa', upstream: () => responsesUp, path: '/v1/responses' },
  { label: 'Anthropic provider (translated)', model: 'claude-sonnet-4-5', provider: 'claude', upstream: () => anthropicUp, path: '/v1/messages' },
];

describe.each(cases)('$label', ({ model, provider, upstream, path }) => {
  const client = () => new OpenAI({ baseURL: `${proxy.url}/v1`, apiKey: 'unused', maxRetries: 0 });

  test('openai SDK: responses.create with instructions, answered as a response object', async () => {
    const before = upstream().requests.length;
    const response = await client().responses.create({ model, instructions: 'Be brief.', input: 'hello there' });
    expect(response.object).toBe('response');
    expect(response.id).toMatch(/^resp_/);
    expect(response.status).toBe('completed');
    expect(response.output_text).toBe('You said: hello there');
    expect(response.usage).toMatchObject({ input_tokens: expect.any(Number), output_tokens: expect.any(Number), total_tokens: expect.any(Number) });
    expect(response.usage!.input_tokens).toBeGreaterThan(0);
    const sent = upstream().requests.slice(before);
    expect(sent.map((r) => r.path)).toEqual([path]);
    if (provider === 'claude') expect(sent[0].body.system).toBe('Be brief.');
    else expect(sent[0].body.instructions).toBe('Be brief.');
  });

  test('openai SDK: streamed, the typed event sequence from response.created to response.completed', async () => {
    const stream = await client().responses.create({ model, input: [{ role: 'user', content: [{ type: 'input_text', text: 'stream me please' }] }], stream: true });
    const types: string[] = [];
    let text = '';
    let final: any = null;
    for await (const event of stream) {
      types.push(event.type);
      if (event.type === 'response.output_text.delta') text += event.delta;
      if (event.type === 'response.completed') final = event.response;
    }
    expect(types[0]).toBe('response.created');
    expect(types).toContain('response.output_item.added');
    expect(types).toContain('response.output_text.delta');
    expect(types).toContain('response.output_item.done');
    expect(types.at(-1)).toBe('response.completed');
    expect(text).toBe('You said: stream me please');
    expect(final.output[0].content[0].text).toBe(text);
    expect(final.usage.output_tokens).toBeGreaterThan(0);
  });

  test('openai SDK: a function-call round trip with function_call_output, stateless and by previous_response_id', async () => {
    const first = await client().responses.create({ model, input: 'weather in Paris?', tools: [WEATHER] });
    const call = first.output.find((item) => item.type === 'function_call') as any;
    expect(call).toMatchObject({ type: 'function_call', name: 'get_weather', arguments: '{"city":"Paris"}', status: 'completed' });
    expect(call.call_id).toEqual(expect.any(String));

    // Stateless: the whole conversation as input.
    const stateless = await client().responses.create({
      model,
      tools: [WEATHER],
      input: [{ role: 'user', content: 'weather in Paris?' }, call, { type: 'function_call_output', call_id: call.call_id, output: '18C and sunny' }],
    });
    expect(stateless.output_text).toBe('Weather: 18C and sunny');

    // Stored: only the tool's output, continuing the first response.
    const chained = await client().responses.create({
      model,
      tools: [WEATHER],
      previous_response_id: first.id,
      input: [{ type: 'function_call_output', call_id: call.call_id, output: '21C' }],
    });
    expect(chained.output_text).toBe('Weather: 21C');
    expect(chained.previous_response_id).toBe(first.id);
  });

  test('Vercel AI SDK openai(model): generateText, streamText and a tool call over two steps', async () => {
    const openai = createOpenAI({ baseURL: `${proxy.url}/v1`, apiKey: 'unused' });
    const plain = await generateText({ model: openai(model), prompt: 'hi from the AI SDK', maxRetries: 0 });
    expect(plain.text).toBe('You said: hi from the AI SDK');
    expect(plain.usage.inputTokens).toBeGreaterThan(0);

    const streamed = streamText({ model: openai(model), prompt: 'streaming via the AI SDK', maxRetries: 0 });
    let text = '';
    for await (const delta of streamed.textStream) text += delta;
    expect(text).toBe('You said: streaming via the AI SDK');
    expect((await streamed.usage).outputTokens).toBeGreaterThan(0);

    const withTool = await generateText({
      model: openai(model),
      prompt: 'what is the weather in Paris?',
      maxRetries: 0,
      stopWhen: stepCountIs(3),
      tools: {
        get_weather: tool({
          description: 'Weather for a city',
          inputSchema: jsonSchema<{ city: string }>({ type: 'object', properties: { city: { type: 'string' } }, required: ['city'] }),
          execute: async ({ city }) => `19C in ${city}`,
        }),
      },
    });
    expect(withTool.steps[0].toolCalls[0]).toMatchObject({ toolName: 'get_weather', input: { city: 'Paris' } });
    expect(withTool.text).toBe('Weather: 19C in Paris');
  });

  test('Vercel AI SDK: streamText with a tool call', async () => {
    const openai = createOpenAI({ baseURL: `${proxy.url}/v1`, apiKey: 'unused' });
    const result = streamText({
      model: openai(model),
      prompt: 'weather?',
      maxRetries: 0,
      stopWhen: stepCountIs(3),
      tools: { get_weather: tool({ inputSchema: jsonSchema<{ city: string }>({ type: 'object', properties: { city: { type: 'string' } } }), execute: async () => 'rainy' }) },
    });
    let text = '';
    for await (const delta of result.textStream) text += delta;
    expect(text).toBe('Weather: rainy');
    expect((await result.steps)[0].toolCalls[0].toolName).toBe('get_weather');
  });

  test('usage and cost reach _proxy_info and the metrics, the provider header is set', async () => {
    const res = await fetch(`${proxy.url}/v1/responses`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model, input: 'count me' }) });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-proxy-provider')).toBe(provider);
    const body = (await res.json()) as any;
    expect(body._proxy_info).toMatchObject({ provider, attempt_number: 1 });
    expect(body._proxy_info.cost_usd).toBeGreaterThan(0);
    const metrics = await (await fetch(`${proxy.url}/metrics/prometheus`)).text();
    expect(metrics).toMatch(new RegExp(`llm_proxy_requests_total\\{provider="${provider}",endpoint="/v1/responses",status="200"\\} [1-9]`));
    expect(metrics).toMatch(new RegExp(`llm_proxy_tokens_total\\{provider="${provider}",model="[^"]+",operation="prompt"\\} [1-9]`));
  });
});

describe('translated requests: what chat cannot carry is refused clearly', () => {
  const post = (body: unknown) =>
    fetch(`${proxy.url}/v1/responses`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }).then(async (r) => ({ status: r.status, body: (await r.json()) as any }));

  test('an unknown previous_response_id: 400 naming it, nothing sent upstream', async () => {
    const before = anthropicUp.requests.length;
    const res = await post({ model: 'claude-x', previous_response_id: 'resp_nowhere', input: 'go on' });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ param: 'previous_response_id', type: 'invalid_request_error' });
    expect(res.body.error.message).toContain("not in this gateway's response store");
    expect(anthropicUp.requests.length).toBe(before);
  });

  test('built-in tools (web_search) cannot be translated: 400 with the tool named', async () => {
    const res = await post({ model: 'claude-x', input: 'search', tools: [{ type: 'web_search' }] });
    expect(res.status).toBe(400);
    expect(res.body.error.param).toBe('tools[0].type');
  });

  test('bad input: no input, wrong types, malformed JSON', async () => {
    expect((await post({ model: 'claude-x' })).body.error).toMatchObject({ code: 'invalid_request', param: 'input' });
    expect((await post({ model: 'claude-x', input: 'x', max_output_tokens: 'many' })).body.error.param).toBe('max_output_tokens');
    expect((await post({ model: 'claude-x', input: [{ type: 'message', role: 'robot', content: 'x' }] })).body.error.param).toBe('input[0].role');
    const malformed = await fetch(`${proxy.url}/v1/responses`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"model":' });
    expect(malformed.status).toBe(400);
  });

  test('text.format json_schema becomes a structured-output request', async () => {
    const before = anthropicUp.requests.length;
    await post({ model: 'claude-x', input: 'json please', text: { format: { type: 'json_schema', name: 'answer', schema: { type: 'object' } } }, max_output_tokens: 50, temperature: 0.2 });
    const sent = anthropicUp.requests[before].body;
    expect(sent).toMatchObject({ max_tokens: 50, temperature: 0.2 });
  });

  test('GET and DELETE /v1/responses/:id read the gateway store; store: false keeps nothing', async () => {
    const stored = await post({ model: 'claude-x', input: 'remember me' });
    const got = await fetch(`${proxy.url}/v1/responses/${stored.body.id}`).then((r) => r.json() as Promise<any>);
    expect(got.output[0].content[0].text).toBe('You said: remember me');
    const notStored = await post({ model: 'claude-x', input: 'forget me', store: false });
    expect((await fetch(`${proxy.url}/v1/responses/${notStored.body.id}`)).status).toBe(404);
    expect((await fetch(`${proxy.url}/v1/responses/${stored.body.id}`, { method: 'DELETE' }).then((r) => r.json() as Promise<any>)).deleted).toBe(true);
    expect((await fetch(`${proxy.url}/v1/responses/${stored.body.id}`)).status).toBe(404);
  });
});

describe('a conversation can move between providers', () => {
  test('a response from the Anthropic provider continues on the OpenAI-type one: the conversation is spelled out', async () => {
    const client = new OpenAI({ baseURL: `${proxy.url}/v1`, apiKey: 'unused', maxRetries: 0 });
    const first = await client.responses.create({ model: 'claude-x', input: 'weather?', tools: [WEATHER] });
    const call = first.output.find((i) => i.type === 'function_call') as any;
    const before = responsesUp.requests.length;
    const next = await client.responses.create({ model: 'gpt-4o-mini', previous_response_id: first.id, tools: [WEATHER], input: [{ type: 'function_call_output', call_id: call.call_id, output: 'foggy' }] });
    expect(next.output_text).toBe('Weather: foggy');
    const sent = responsesUp.requests[before].body as any;
    expect(sent.previous_response_id).toBeUndefined();
    expect(sent.input.map((i: any) => i.type ?? 'message')).toEqual(['message', 'function_call', 'function_call_output']);
  });
});

describe('a stream cut mid-way', () => {
  test.each(cases)('$label: ends with response.failed and an error event; the SDK raises it', async ({ model, upstream }) => {
    upstream().cutNextStreamAfter = 3;
    const client = new OpenAI({ baseURL: `${proxy.url}/v1`, apiKey: 'unused', maxRetries: 0 });
    const stream = await client.responses.create({ model, input: 'a long answer that will be cut short', stream: true });
    const types: string[] = [];
    const error = await (async () => {
      for await (const event of stream) types.push(event.type);
    })().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(APIError);
    expect(types).toContain('response.failed');
    expect(types).not.toContain('response.completed');

    upstream().cutNextStreamAfter = 3;
    const raw = await fetch(`${proxy.url}/v1/responses`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model, input: 'cut again please now', stream: true }) });
    const text = await raw.text();
    expect(text).toMatch(/event: response\.failed\ndata: .*"status":"failed"/);
    expect(text.trimEnd()).toMatch(/event: error\ndata: \{"type":"error".*"code":"[a-z_]+"/);
  });
});
