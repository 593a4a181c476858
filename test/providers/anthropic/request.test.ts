import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { chatRequestSchema } from '../../../src/providers/canonical.js';
import { toAnthropicRequest } from '../../../src/providers/anthropic/request.js';

const logger = pino({ level: 'silent' });
const translate = (body: Record<string, unknown>, extra: { defaultMaxTokens?: number; stream?: boolean } = {}) =>
  toAnthropicRequest(chatRequestSchema.parse({ model: 'claude-x', ...body }), {
    model: 'claude-upstream',
    stream: extra.stream ?? false,
    defaultMaxTokens: extra.defaultMaxTokens,
    logger,
    provider: 'anthropic',
  });

const PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';

describe('toAnthropicRequest', () => {
  it('lifts system messages out, merges same-role turns and maps sampling parameters', () => {
    const body = translate({
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'developer', content: 'Answer in English.' },
        { role: 'user', content: 'Hi' },
        { role: 'user', content: [{ type: 'text', text: 'there' }] },
      ],
      temperature: 1.7,
      top_p: 0.9,
      stop: 'END',
      user: 'user-42',
      max_tokens: 300,
    });
    expect(body).toMatchObject({
      model: 'claude-upstream',
      system: 'Be brief.\n\nAnswer in English.',
      messages: [{ role: 'user', content: [{ type: 'text', text: 'Hi' }, { type: 'text', text: 'there' }] }],
      max_tokens: 300,
      temperature: 1,
      top_p: 0.9,
      stop_sequences: ['END'],
      metadata: { user_id: 'user-42' },
    });
    expect(body).not.toHaveProperty('stream');
    expect(body).not.toHaveProperty('user');
    expect(body).not.toHaveProperty('stop');
  });

  it('takes max_tokens from the request, then model_overrides, then 4096', () => {
    const messages = [{ role: 'user', content: 'x' }];
    expect(translate({ messages, max_completion_tokens: 77 }).max_tokens).toBe(77);
    expect(translate({ messages }, { defaultMaxTokens: 1234 }).max_tokens).toBe(1234);
    expect(translate({ messages }).max_tokens).toBe(4096);
  });

  it('turns tool calls into tool_use blocks and tool messages into tool_result blocks in one user turn', () => {
    const body = translate({
      messages: [
        { role: 'user', content: 'Weather in SF and Tokyo?' },
        {
          role: 'assistant',
          content: '',
          tool_calls: [
            { id: 'toolu_1', type: 'function', function: { name: 'get_weather', arguments: '{"location":"SF"}' } },
            { id: 'toolu_2', type: 'function', function: { name: 'get_weather', arguments: '{"location":"Tokyo"}' } },
          ],
        },
        { role: 'tool', tool_call_id: 'toolu_1', content: '18C' },
        { role: 'tool', tool_call_id: 'toolu_2', content: [{ type: 'text', text: '25C' }] },
        { role: 'user', content: 'Thanks. Which is warmer?' },
      ],
      tools: [
        { type: 'function', function: { name: 'get_weather', description: 'Weather for a place', parameters: { type: 'object', properties: { location: { type: 'string' } } } } },
        { type: 'function', function: { name: 'no_params' } },
      ],
      tool_choice: 'required',
      parallel_tool_calls: false,
    });
    expect(body.messages).toEqual([
      { role: 'user', content: [{ type: 'text', text: 'Weather in SF and Tokyo?' }] },
      {
        role: 'assistant',
        content: [
          { type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: { location: 'SF' } },
          { type: 'tool_use', id: 'toolu_2', name: 'get_weather', input: { location: 'Tokyo' } },
        ],
      },
      {
        role: 'user',
        content: [
          { type: 'tool_result', tool_use_id: 'toolu_1', content: '18C' },
          { type: 'tool_result', tool_use_id: 'toolu_2', content: [{ type: 'text', text: '25C' }] },
          { type: 'text', text: 'Thanks. Which is warmer?' },
        ],
      },
    ]);
    expect(body.tools).toEqual([
      { name: 'get_weather', description: 'Weather for a place', input_schema: { type: 'object', properties: { location: { type: 'string' } } } },
      { name: 'no_params', input_schema: { type: 'object', properties: {} } },
    ]);
    expect(body.tool_choice).toEqual({ type: 'any', disable_parallel_tool_use: true });
    expect(body).not.toHaveProperty('parallel_tool_calls');
  });

  it.each([
    ['auto', { type: 'auto' }],
    ['none', { type: 'none' }],
    ['required', { type: 'any' }],
    [{ type: 'function', function: { name: 'get_weather' } }, { type: 'tool', name: 'get_weather' }],
  ])('maps tool_choice %j', (choice, expected) => {
    const body = translate({
      messages: [{ role: 'user', content: 'x' }],
      tools: [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object' } } }],
      tool_choice: choice,
    });
    expect(body.tool_choice).toEqual(expected);
  });

  it('sends data: URL images as base64 sources and http URLs as url sources', () => {
    const body = translate({
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'Compare these' },
            { type: 'image_url', image_url: { url: `data:image/png;base64,${PNG}` } },
            { type: 'image_url', image_url: { url: 'https://example.com/cat.jpg', detail: 'high' } },
          ],
        },
      ],
    });
    expect((body.messages as { content: unknown[] }[])[0].content).toEqual([
      { type: 'text', text: 'Compare these' },
      { type: 'image', source: { type: 'base64', media_type: 'image/png', data: PNG } },
      { type: 'image', source: { type: 'url', url: 'https://example.com/cat.jpg' } },
    ]);
  });

  it('puts thinking blocks back first in the assistant turn, byte for byte', () => {
    const thinking = { type: 'thinking', thinking: 'Let me think… 🤔', signature: 'EuYBCkQYAiJA/+sig==' };
    const redacted = { type: 'redacted_thinking', data: 'EmwKAhgBEgy3va3p' };
    const body = translate({
      messages: [
        { role: 'user', content: 'q' },
        {
          role: 'assistant',
          content: 'Calling a tool',
          thinking_blocks: [thinking, redacted],
          tool_calls: [{ id: 'toolu_9', type: 'function', function: { name: 'calc', arguments: '{"x":1}' } }],
        },
        { role: 'tool', tool_call_id: 'toolu_9', content: '2' },
      ],
      thinking: { type: 'enabled', budget_tokens: 2048 },
    });
    const assistant = (body.messages as { content: unknown[] }[])[1];
    expect(assistant.content).toEqual([
      thinking,
      redacted,
      { type: 'text', text: 'Calling a tool' },
      { type: 'tool_use', id: 'toolu_9', name: 'calc', input: { x: 1 } },
    ]);
    expect(body.thinking).toEqual({ type: 'enabled', budget_tokens: 2048 });
  });

  it('maps reasoning_effort to a thinking budget that fits max_tokens, and drops temperature with thinking', () => {
    const body = translate({ messages: [{ role: 'user', content: 'x' }], reasoning_effort: 'high', temperature: 0.5 });
    expect(body.thinking).toEqual({ type: 'enabled', budget_tokens: 16_384 });
    expect(body.max_tokens as number).toBeGreaterThan(16_384);
    expect(body).not.toHaveProperty('temperature');
    expect(body).not.toHaveProperty('reasoning_effort');
  });

  it('maps a json_schema response_format to output_config and drops what Anthropic cannot take, with a debug line', () => {
    const lines: string[] = [];
    const debugLogger = pino({ level: 'debug' }, { write: (line: string) => lines.push(line) });
    const body = toAnthropicRequest(
      chatRequestSchema.parse({
        model: 'claude-x',
        messages: [{ role: 'user', content: 'x' }],
        response_format: { type: 'json_schema', json_schema: { name: 'out', schema: { type: 'object', properties: { a: { type: 'string' } } } } },
        presence_penalty: 0.5,
        frequency_penalty: 0.1,
        logit_bias: { '50256': -100 },
        n: 1,
        seed: 7,
        logprobs: true,
        top_k: 20,
      }),
      { model: 'claude-upstream', stream: true, logger: debugLogger, provider: 'anthropic' },
    );
    expect(body.output_config).toEqual({ format: { type: 'json_schema', schema: { type: 'object', properties: { a: { type: 'string' } } } } });
    expect(body.top_k).toBe(20);
    expect(body.stream).toBe(true);
    for (const key of ['presence_penalty', 'frequency_penalty', 'logit_bias', 'n', 'seed', 'logprobs', 'response_format']) {
      expect(body).not.toHaveProperty(key);
    }
    const dropped = lines.map((l) => JSON.parse(l) as { dropped?: string[] }).find((l) => l.dropped)?.dropped;
    expect(dropped).toEqual(expect.arrayContaining(['presence_penalty', 'frequency_penalty', 'logit_bias', 'n', 'seed', 'logprobs']));
  });
});
