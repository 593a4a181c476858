import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { ProxyError } from '../../../src/errors.js';
import { anthropicRequestSchema, anthropicToChat } from '../../../src/providers/anthropic/inbound-request.js';
import { chatToAnthropicMessage } from '../../../src/providers/anthropic/inbound-response.js';
import { AnthropicEventEncoder } from '../../../src/providers/anthropic/inbound-stream.js';
import { AnthropicStreamTransform } from '../../../src/providers/anthropic/stream.js';
import type { MessageEvent } from '../../../src/providers/types.js';
import { fixtureJson, sseEvents } from '../support/native-upstream.js';

const logger = pino({ level: 'silent' });

function encode(chunks: string[]): { type: string; [k: string]: unknown }[] {
  const encoder = new AnthropicEventEncoder('claude-sonnet-4-5');
  const events: MessageEvent[] = [...chunks.flatMap((c) => encoder.push(c)), ...encoder.end()];
  return events.map((e) => {
    const data = JSON.parse(e.data) as { type: string };
    expect(data.type).toBe(e.event);
    return data;
  });
}

/** Rebuilds the message an Anthropic SDK would accumulate from the events. */
function accumulate(events: { type: string; [k: string]: unknown }[]): { content: Record<string, unknown>[]; stop_reason: unknown; usage: unknown } {
  const content: Record<string, unknown>[] = [];
  const json: string[] = [];
  let stop: unknown = null;
  let usage: unknown = null;
  for (const e of events) {
    if (e.type === 'content_block_start') {
      expect(e.index).toBe(content.length);
      content.push({ ...(e.content_block as object) });
      json.push('');
    } else if (e.type === 'content_block_delta') {
      const block = content[e.index as number];
      const delta = e.delta as Record<string, string>;
      if (delta.type === 'text_delta') block.text = String(block.text) + delta.text;
      if (delta.type === 'thinking_delta') block.thinking = String(block.thinking) + delta.thinking;
      if (delta.type === 'signature_delta') block.signature = delta.signature;
      if (delta.type === 'input_json_delta') json[e.index as number] += delta.partial_json;
    } else if (e.type === 'content_block_stop') {
      const i = e.index as number;
      if (content[i].type === 'tool_use') content[i].input = JSON.parse(json[i] || '{}');
    } else if (e.type === 'message_delta') {
      stop = (e.delta as { stop_reason: unknown }).stop_reason;
      usage = e.usage;
    }
  }
  return { content, stop_reason: stop, usage };
}

describe('anthropicToChat', () => {
  it('translates an Anthropic SDK request into the canonical chat request', () => {
    const request = anthropicRequestSchema.parse(fixtureJson('anthropic', 'request-sdk.json'));
    const chat = anthropicToChat(request, logger);
    expect(chat).toMatchObject({
      model: 'claude-sonnet-4-5',
      max_tokens: 1024,
      stop: ['###'],
      temperature: 0.7,
      user: 'user-7',
      tool_choice: 'required',
      parallel_tool_calls: false,
    });
    expect(chat.messages).toEqual([
      { role: 'system', content: 'You are a weather bot.' },
      { role: 'user', content: [{ type: 'text', text: "What's the weather here?" }, { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } }] },
      {
        role: 'assistant',
        content: 'Checking.',
        tool_calls: [
          { id: 'toolu_01', type: 'function', function: { name: 'get_weather', arguments: '{"location":"Paris"}' } },
          { id: 'toolu_02', type: 'function', function: { name: 'get_weather', arguments: '{"location":"Lyon"}' } },
        ],
      },
      { role: 'tool', tool_call_id: 'toolu_01', content: '21C, sunny' },
      { role: 'tool', tool_call_id: 'toolu_02', content: '18C' },
      { role: 'user', content: [{ type: 'image_url', image_url: { url: 'https://example.com/radar.png' } }, { type: 'text', text: 'And tomorrow?' }] },
    ]);
    expect(chat.tools).toEqual([
      { type: 'function', function: { name: 'get_weather', description: 'Weather for a city', parameters: { type: 'object', properties: { location: { type: 'string' } }, required: ['location'] } } },
    ]);
    for (const key of ['top_k', 'thinking', 'metadata', 'system', 'stop_sequences']) expect(chat).not.toHaveProperty(key);
  });

  it('asks for usage in streams, since message_delta reports it', () => {
    const chat = anthropicToChat(anthropicRequestSchema.parse({ model: 'm', max_tokens: 5, stream: true, messages: [{ role: 'user', content: 'hi' }] }), logger);
    expect(chat).toMatchObject({ stream: true, stream_options: { include_usage: true } });
  });

  it('rejects what the canonical format cannot hold as a 400', () => {
    const request = anthropicRequestSchema.parse({ model: 'm', max_tokens: 5, stop_sequences: ['a', 'b', 'c', 'd', 'e'], messages: [{ role: 'user', content: 'hi' }] });
    expect(() => anthropicToChat(request, logger)).toThrow(ProxyError);
  });
});

describe('chatToAnthropicMessage', () => {
  it('answers with text and tool_use blocks, stop reason and usage without cached tokens in input_tokens', () => {
    const message = chatToAnthropicMessage(
      {
        id: 'chatcmpl-123',
        object: 'chat.completion',
        choices: [
          {
            index: 0,
            message: {
              role: 'assistant',
              content: 'Checking both.',
              tool_calls: [
                { id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"location":"Paris"}' } },
                { id: 'call_2', type: 'function', function: { name: 'get_weather', arguments: 'not json' } },
              ],
            },
            finish_reason: 'tool_calls',
          },
        ],
        usage: { prompt_tokens: 50, completion_tokens: 20, total_tokens: 70, prompt_tokens_details: { cached_tokens: 30 } },
      },
      'claude-sonnet-4-5',
    );
    expect(message).toEqual({
      id: 'msg_chatcmpl-123',
      type: 'message',
      role: 'assistant',
      model: 'claude-sonnet-4-5',
      content: [
        { type: 'text', text: 'Checking both.' },
        { type: 'tool_use', id: 'call_1', name: 'get_weather', input: { location: 'Paris' } },
        { type: 'tool_use', id: 'call_2', name: 'get_weather', input: {} },
      ],
      stop_reason: 'tool_use',
      stop_sequence: null,
      usage: { input_tokens: 20, output_tokens: 20, cache_creation_input_tokens: 0, cache_read_input_tokens: 30 },
    });
  });

  it.each([
    ['stop', 'end_turn'],
    ['length', 'max_tokens'],
    ['content_filter', 'refusal'],
  ])('maps finish_reason %s to stop_reason %s', (finish, stop) => {
    const message = chatToAnthropicMessage({ choices: [{ message: { content: 'x' }, finish_reason: finish }] }, 'm');
    expect(message.stop_reason).toBe(stop);
  });
});

describe('AnthropicEventEncoder', () => {
  it('turns an OpenAI stream with text and two tool calls into well-formed Anthropic events', () => {
    const chunks = sseEvents('anthropic', 'inbound-openai-stream.sse')
      .map((e) => e.data)
      .filter((d) => d !== '[DONE]');
    const events = encode(chunks);
    expect(events.map((e) => e.type)).toEqual([
      'message_start',
      'content_block_start',
      'content_block_delta',
      'content_block_delta',
      'content_block_stop',
      'content_block_start',
      'content_block_delta',
      'content_block_delta',
      'content_block_stop',
      'content_block_start',
      'content_block_delta',
      'content_block_stop',
      'message_delta',
      'message_stop',
    ]);
    expect(events[0]).toMatchObject({ message: { id: 'msg_chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT', role: 'assistant', model: 'claude-sonnet-4-5' } });
    expect(accumulate(events)).toEqual({
      content: [
        { type: 'text', text: 'Let me look that up.' },
        { type: 'tool_use', id: 'call_DdmO9pD3xa9XTPNJ32zg2hcA', name: 'get_weather', input: { location: 'Paris' } },
        { type: 'tool_use', id: 'call_ABZ8f8a7ZTx5v2QJd1k9qWcE', name: 'get_time', input: { tz: 'Europe/Paris' } },
      ],
      stop_reason: 'tool_use',
      usage: { input_tokens: 20, output_tokens: 40, cache_read_input_tokens: 100 },
    });
  });

  it('rebuilds thinking blocks, signature and redacted data intact, from the chunks the Anthropic adapter emits', () => {
    const transform = new AnthropicStreamTransform('anthropic', 'claude', true);
    const chunks = sseEvents('anthropic', 'stream-thinking.sse').flatMap((e) => transform.push(e));
    const { content, stop_reason } = accumulate(encode(chunks));
    expect(content).toEqual([
      {
        type: 'thinking',
        thinking: '27 * 453 = 10800 + 1431 = 12231.',
        signature: 'EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxBdjrkzLoky3dl1pkiMOYds+/pMiHAOJbgCNHmrmuz/7kAa7TjEtTs7DBq8fj+h2LYnBjHqxgSJNgGgVMqEAh0fQ/',
      },
      { type: 'redacted_thinking', data: 'EmwKAhgBEgy3va3pzix/LafPsn4a' },
      { type: 'text', text: '12,231' },
    ]);
    expect(stop_reason).toBe('end_turn');
  });

  it('still frames a message when the stream had no chunks', () => {
    expect(encode([]).map((e) => e.type)).toEqual(['message_start', 'message_delta', 'message_stop']);
  });
});
