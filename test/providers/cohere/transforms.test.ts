import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { ProviderError } from '../../../src/errors.js';
import { chatRequestSchema } from '../../../src/providers/canonical.js';
import { toCohereRequest } from '../../../src/providers/cohere/request.js';
import { toChatCompletion } from '../../../src/providers/cohere/response.js';
import { CohereStreamTransform } from '../../../src/providers/cohere/stream.js';
import { fixtureJson, sseEvents, streamedText, streamedToolCalls } from '../support/native-upstream.js';

const logger = pino({ level: 'silent' });
const translate = (body: Record<string, unknown>, stream = false) =>
  toCohereRequest(chatRequestSchema.parse({ model: 'command-a', ...body }), { model: 'command-a-03-2025', stream, logger, provider: 'cohere' });

function run(name: string, includeUsage = false): Record<string, unknown>[] {
  const transform = new CohereStreamTransform('cohere', 'command-a', includeUsage);
  const chunks = sseEvents('cohere', name).flatMap((event) => transform.push(event));
  chunks.push(...transform.end());
  return chunks.map((c) => JSON.parse(c) as Record<string, unknown>);
}
const choiceOf = (chunk: Record<string, unknown>) => (chunk.choices as { delta: Record<string, unknown>; finish_reason: string | null }[])[0];

describe('toCohereRequest', () => {
  it('maps messages, sampling names and ranges, and drops what Cohere cannot take', () => {
    const body = translate({
      messages: [
        { role: 'developer', content: 'Be brief.' },
        { role: 'user', content: [{ type: 'text', text: 'Describe' }, { type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA', detail: 'low' } }] },
      ],
      max_completion_tokens: 200,
      stop: 'DONE',
      temperature: 0.4,
      top_p: 1,
      top_k: 40,
      frequency_penalty: 1.5,
      presence_penalty: -1,
      seed: 3,
      n: 1,
      user: 'x',
      logit_bias: { '1': 1 },
      response_format: { type: 'json_schema', json_schema: { name: 'x', schema: { type: 'object' } } },
    });
    expect(body).toEqual({
      model: 'command-a-03-2025',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: [{ type: 'text', text: 'Describe' }, { type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA', detail: 'low' } }] },
      ],
      max_tokens: 200,
      stop_sequences: ['DONE'],
      temperature: 0.4,
      p: 0.99,
      k: 40,
      frequency_penalty: 1,
      presence_penalty: 0,
      seed: 3,
      response_format: { type: 'json_object', json_schema: { type: 'object' } },
    });
  });

  it('sends tool calls with their text as tool_plan and tool results as tool messages', () => {
    const body = translate(
      {
        messages: [
          { role: 'user', content: 'Weather?' },
          {
            role: 'assistant',
            content: 'I will check.',
            tool_calls: [{ id: 'get_weather_1', type: 'function', function: { name: 'get_weather', arguments: '{"location":"Toronto"}' } }],
          },
          { role: 'tool', tool_call_id: 'get_weather_1', content: '{"temp":5}' },
        ],
        tools: [
          { type: 'function', function: { name: 'get_weather', description: 'Weather', parameters: { type: 'object', properties: { location: { type: 'string' } } } } },
          { type: 'function', function: { name: 'other' } },
        ],
        tool_choice: { type: 'function', function: { name: 'get_weather' } },
      },
      true,
    );
    expect(body.stream).toBe(true);
    expect(body.messages).toEqual([
      { role: 'user', content: 'Weather?' },
      {
        role: 'assistant',
        tool_plan: 'I will check.',
        tool_calls: [{ id: 'get_weather_1', type: 'function', function: { name: 'get_weather', arguments: '{"location":"Toronto"}' } }],
      },
      { role: 'tool', tool_call_id: 'get_weather_1', content: '{"temp":5}' },
    ]);
    expect(body.tools).toEqual([
      { type: 'function', function: { name: 'get_weather', description: 'Weather', parameters: { type: 'object', properties: { location: { type: 'string' } } } } },
    ]);
    expect(body.tool_choice).toBe('REQUIRED');
  });

  it.each([
    ['required', 'REQUIRED'],
    ['none', 'NONE'],
    ['auto', undefined],
  ])('maps tool_choice %s', (choice, expected) => {
    const body = translate({ messages: [{ role: 'user', content: 'x' }], tools: [{ type: 'function', function: { name: 'f' } }], tool_choice: choice });
    expect(body.tool_choice).toBe(expected);
  });
});

describe('cohere toChatCompletion', () => {
  it('maps text, finish reason and token usage', () => {
    const completion = toChatCompletion(fixtureJson('cohere', 'chat-text.json'), 'command-a');
    expect(completion).toMatchObject({
      id: 'c14c80c3-18eb-4519-9460-6c92edd8cfb4',
      object: 'chat.completion',
      model: 'command-a',
      choices: [{ index: 0, message: { role: 'assistant', content: 'Hallo! Schön, dich zu sehen 😊' }, finish_reason: 'stop' }],
      usage: { prompt_tokens: 71, completion_tokens: 9, total_tokens: 80, prompt_tokens_details: { cached_tokens: 64 } },
    });
  });

  it('maps several tool calls, the tool plan as content', () => {
    const completion = toChatCompletion(fixtureJson('cohere', 'chat-tool-calls.json'), 'command-a');
    const choice = (completion.choices as { message: Record<string, unknown>; finish_reason: string }[])[0];
    expect(choice.finish_reason).toBe('tool_calls');
    expect(choice.message.content).toBe('I will look up the weather in Toronto and Berlin.');
    expect(choice.message.tool_calls).toEqual([
      { id: 'get_weather_1byjy32y4hvq', type: 'function', function: { name: 'get_weather', arguments: '{"location":"Toronto"}' } },
      { id: 'get_weather_8kz0p1x2c3vb', type: 'function', function: { name: 'get_weather', arguments: '{"location":"Berlin"}' } },
    ]);
  });

  it.each([
    ['MAX_TOKENS', 'length'],
    ['STOP_SEQUENCE', 'stop'],
    ['COMPLETE', 'stop'],
  ])('maps finish_reason %s to %s', (reason, finish) => {
    const completion = toChatCompletion({ ...fixtureJson('cohere', 'chat-text.json'), finish_reason: reason }, 'c');
    expect((completion.choices as { finish_reason: string }[])[0].finish_reason).toBe(finish);
  });
});

describe('CohereStreamTransform', () => {
  it('streams text with role first, finish last and usage when asked', () => {
    const chunks = run('stream-text.sse', true);
    expect(choiceOf(chunks[0]).delta).toEqual({ role: 'assistant', content: '' });
    expect(streamedText(chunks)).toBe('Bonjour à tous — ça va? ☕');
    expect(choiceOf(chunks[chunks.length - 2]).finish_reason).toBe('stop');
    expect(chunks[chunks.length - 1]).toMatchObject({ choices: [], usage: { prompt_tokens: 69, completion_tokens: 8, total_tokens: 77 } });
    expect(chunks.every((c) => c.id === '29f14a5a-11de-4cae-9800-25e4747408ea')).toBe(true);
  });

  it('streams the tool plan as content and several tool calls by index', () => {
    const chunks = run('stream-tool-calls.sse');
    expect(streamedText(chunks)).toBe('I will check both cities.');
    expect(streamedToolCalls(chunks)).toEqual([
      { id: 'get_weather_nsz5zm3w56q3', name: 'get_weather', arguments: '{"location":"Toronto"}' },
      { id: 'get_time_7qk2m4n6p8r0', name: 'get_time', arguments: '{"timezone":"Europe/Berlin"}' },
    ]);
    expect(choiceOf(chunks[chunks.length - 1]).finish_reason).toBe('tool_calls');
  });

  it('throws a message-end carrying an error as a ProviderError', () => {
    const transform = new CohereStreamTransform('cohere', 'command-a', false);
    const events = sseEvents('cohere', 'stream-error.sse');
    events.slice(0, -1).forEach((e) => transform.push(e));
    expect(() => transform.push(events[events.length - 1])).toThrow(ProviderError);
  });

  it('reports a stream without message-end as cut', () => {
    const transform = new CohereStreamTransform('cohere', 'command-a', false);
    sseEvents('cohere', 'stream-text.sse').slice(0, 3).forEach((e) => transform.push(e));
    expect(() => transform.end()).toThrow(/closed the stream/);
  });
});
