/* eslint-disable @typescript-eslint/no-explicit-any -- JSON answers are read back loosely */
// Guardrails on tool calls: the arguments of calls in a conversation's history are masked before they go
// upstream, and the arguments of the calls an answer makes are checked (blocked or their placeholders put
// back) in plain answers and in streams, where they are held whole and stay valid JSON. Real SDK clients,
// against an echo upstream whose tool call repeats the request's last user text.
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { EchoUpstream } from '../support/echo-upstream.js';
import { startProxy, type TestProxy } from '../support/proxy.js';

const ADMIN = 'sk-admin-guardrail-tools-0123456789';
const EMAIL = 'carol.smith@example.net';
const SECRET = `ghp_${'Ab3dE6'.repeat(6)}`;

let upstream: EchoUpstream;
let proxy: TestProxy;
let openai: OpenAI;
let anthropic: Anthropic;

beforeAll(async () => {
  upstream = await new EchoUpstream().listen();
  proxy = await startProxy({
    hot_reload: { enabled: false },
    auth: { admin_keys: [ADMIN] },
    guardrails: {
      definitions: [
        { name: 'pii', type: 'pii', phases: ['input'], action: 'mask' },
        { name: 'quoted', type: 'regex', patterns: ['say "[a-z]+"'], phases: ['input'], action: 'mask', label: 'QUOTED' },
        { name: 'secrets', type: 'secrets', phases: ['output'], action: 'block' },
      ],
      default: ['pii', 'quoted', 'secrets'],
      stream: { window_chars: 16, overlap_chars: 48 },
    },
    providers: [
      { name: 'oa', type: 'openai', base_url: `${upstream.url}/v1`, models: ['gpt-*'], max_retries: 0, timeout: 5 },
      { name: 'claude', type: 'anthropic', base_url: upstream.url, models: ['claude-*'], max_retries: 0, timeout: 5 },
    ],
  });
  openai = new OpenAI({ baseURL: `${proxy.url}/v1`, apiKey: ADMIN, maxRetries: 0 });
  anthropic = new Anthropic({ baseURL: proxy.url, apiKey: ADMIN, maxRetries: 0 });
});

afterAll(async () => {
  await proxy.close();
  await upstream.close();
});

afterEach(() => {
  upstream.tool = null;
  upstream.reply = null;
  upstream.chunkChars = 3;
});

const sentSince = (before: number) => upstream.requests.slice(before).map((r) => r.raw).join('\n');
const tools = [{ type: 'function' as const, function: { name: 'send', parameters: { type: 'object', properties: { to: { type: 'string' } } } } }];

describe('calls in the history are masked before they go upstream', () => {
  test('chat: an assistant tool call’s arguments', async () => {
    const before = upstream.requests.length;
    await openai.chat.completions.create({
      model: 'gpt-echo',
      messages: [
        { role: 'user', content: 'send it' },
        { role: 'assistant', content: null, tool_calls: [{ id: 'c1', type: 'function', function: { name: 'send', arguments: JSON.stringify({ to: EMAIL, cc: [EMAIL] }) } }] },
        { role: 'tool', tool_call_id: 'c1', content: 'sent' },
        { role: 'user', content: 'thanks' },
      ],
    });
    expect(sentSince(before)).not.toContain(EMAIL);
    const call = (upstream.requests.at(-1)!.body.messages as any[])[1].tool_calls[0];
    expect(JSON.parse(call.function.arguments)).toEqual({ to: '<EMAIL_1>', cc: ['<EMAIL_1>'] });
  });

  test('messages: a tool_use block’s input, to an Anthropic upstream and to a translated one', async () => {
    for (const model of ['claude-echo', 'gpt-echo']) {
      const before = upstream.requests.length;
      await anthropic.messages.create({
        model,
        max_tokens: 50,
        messages: [
          { role: 'user', content: 'send it' },
          { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_1', name: 'send', input: { to: EMAIL } }] },
          { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: 'ok' }, { type: 'text', text: 'thanks' }] },
        ],
      });
      expect(sentSince(before)).not.toContain(EMAIL);
      expect(sentSince(before)).toContain('<EMAIL_1>');
    }
  });

  test('responses: a function_call item’s arguments', async () => {
    const before = upstream.requests.length;
    await openai.responses.create({
      model: 'gpt-echo',
      input: [
        { role: 'user', content: 'send it' },
        { type: 'function_call', call_id: 'c1', name: 'send', arguments: JSON.stringify({ to: EMAIL }) },
        { type: 'function_call_output', call_id: 'c1', output: 'ok' },
      ],
    });
    expect(sentSince(before)).not.toContain(EMAIL);
    expect(sentSince(before)).toContain('<EMAIL_1>');
  });
});

describe("an answer's tool calls get the request's values back, as valid JSON", () => {
  const asked = `mail ${EMAIL} and say "hello"`;

  test.each(['gpt-echo', 'claude-echo'])('chat on %s, plain and streamed (one character per chunk)', async (model) => {
    upstream.tool = 'send';
    const before = upstream.requests.length;
    const plain = await openai.chat.completions.create({ model, tools, messages: [{ role: 'user', content: asked }] });
    expect(sentSince(before)).not.toContain(EMAIL);
    expect(sentSince(before)).toContain('<QUOTED_1>');
    expect(JSON.parse(plain.choices[0].message.tool_calls![0].type === 'function' ? (plain.choices[0].message.tool_calls![0] as any).function.arguments : '')).toEqual({ to: asked });

    upstream.chunkChars = 1;
    const stream = await openai.chat.completions.create({ model, tools, stream: true, messages: [{ role: 'user', content: asked }] });
    let args = '';
    let finish: string | null = null;
    let name = '';
    for await (const chunk of stream) {
      for (const call of chunk.choices[0]?.delta?.tool_calls ?? []) {
        args += call.function?.arguments ?? '';
        name += call.function?.name ?? '';
      }
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    expect(name).toBe('send');
    expect(finish).toBe('tool_calls');
    expect(JSON.parse(args)).toEqual({ to: asked });
  });

  test.each(['claude-echo', 'gpt-echo'])('messages on %s, plain and streamed', async (model) => {
    upstream.tool = 'send';
    const plain = await anthropic.messages.create({ model, max_tokens: 50, messages: [{ role: 'user', content: asked }] });
    expect(plain.content[0]).toMatchObject({ type: 'tool_use', name: 'send', input: { to: asked } });
    upstream.chunkChars = 2;
    const final = await anthropic.messages.stream({ model, max_tokens: 50, messages: [{ role: 'user', content: asked }] }).finalMessage();
    expect(final.stop_reason).toBe('tool_use');
    expect(final.content[0]).toMatchObject({ type: 'tool_use', name: 'send', input: { to: asked } });
  });

  test('responses, plain and streamed: the deltas, the done event and the final response agree', async () => {
    upstream.tool = 'send';
    const plain = await openai.responses.create({ model: 'gpt-echo', input: asked });
    expect(JSON.parse((plain.output[0] as any).arguments)).toEqual({ to: asked });
    upstream.chunkChars = 1;
    const stream = await openai.responses.create({ model: 'gpt-echo', input: asked, stream: true });
    let deltas = '';
    let done = '';
    let completed = '';
    for await (const event of stream) {
      if (event.type === 'response.function_call_arguments.delta') deltas += event.delta;
      if (event.type === 'response.function_call_arguments.done') done = event.arguments;
      if (event.type === 'response.completed') completed = (event.response.output[0] as any).arguments;
    }
    expect(JSON.parse(deltas)).toEqual({ to: asked });
    expect(done).toBe(deltas);
    expect(completed).toBe(deltas);
  });
});

describe('a secret in a tool call the answer makes is blocked', () => {
  test('chat plain: 400 guardrail_blocked', async () => {
    upstream.tool = 'send';
    upstream.reply = `use ${SECRET}`;
    const error: any = await openai.chat.completions.create({ model: 'gpt-echo', tools, messages: [{ role: 'user', content: 'go' }] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect(error.code).toBe('guardrail_blocked');
    expect(error.error.phase).toBe('output');
  });

  test('streams end their own way and never carry the secret', async () => {
    upstream.tool = 'send';
    upstream.reply = `use ${SECRET}`;
    const chat = await openai.chat.completions.create({ model: 'gpt-echo', tools, stream: true, messages: [{ role: 'user', content: 'go' }] });
    let seen = '';
    let finish: string | null = null;
    for await (const chunk of chat) {
      seen += JSON.stringify(chunk);
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    expect(finish).toBe('content_filter');
    expect(seen).not.toContain('ghp_');

    const final = await anthropic.messages.stream({ model: 'claude-echo', max_tokens: 50, messages: [{ role: 'user', content: 'go' }] }).finalMessage();
    expect(final.stop_reason).toBe('refusal');
    expect(JSON.stringify(final)).not.toContain('ghp_');

    const responses = await openai.responses.create({ model: 'gpt-echo', input: 'go', stream: true });
    const types: string[] = [];
    let all = '';
    for await (const event of responses) {
      types.push(event.type);
      all += JSON.stringify(event);
    }
    expect(types.at(-1)).toBe('response.incomplete');
    expect(all).not.toContain('ghp_');
  });
});
