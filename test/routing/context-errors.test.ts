import { describe, expect, test } from 'vitest';
import { configSchema } from '../../src/config/schema.js';
import { ProviderError } from '../../src/errors.js';
import type { ChatMessage } from '../../src/providers/canonical.js';
import { planDrop, transcript, withSummary } from '../../src/routing/condense-plan.js';
import { asContextLengthError, contextWindow, isContextLengthError, limitFromMessage } from '../../src/routing/context-errors.js';
import { encodingFor, TokenCounter, tokenUpperBound } from '../../src/routing/tokens.js';

const httpError = (message: string, status = 400, code: string | null = null) => new ProviderError({ provider: 'p', status, kind: 'http', retryable: status >= 500, message, code });

describe('context-length errors', () => {
  test.each([
    ['openai', "This model's maximum context length is 8192 tokens. However, your messages resulted in 9000 tokens.", 8192],
    ['anthropic', 'prompt is too long: 210000 tokens > 200000 maximum', 200000],
    ['google', 'The input token count (1200000) exceeds the maximum number of tokens allowed (1048576).', 1048576],
    ['cohere', 'too many tokens: total number of tokens in the prompt cannot exceed 4081', null],
  ] as const)('%s wording is recognised and its limit read', (type, message, limit) => {
    expect(isContextLengthError(httpError(message), type === 'openai' ? 'openai' : type, [])).toBe(true);
    expect(limitFromMessage(message)).toBe(limit);
  });

  test('the OpenAI code alone is enough; an in-stream error (502, protocol) is recognised by its text', () => {
    expect(isContextLengthError(httpError('whatever', 400, 'context_length_exceeded'), 'openai', [])).toBe(true);
    const inStream = new ProviderError({ provider: 'p', status: 502, kind: 'http', retryable: true, message: 'prompt is too long: 5 tokens > 4 maximum' });
    expect(isContextLengthError(inStream, 'openai_compatible', [])).toBe(true);
  });

  test('other failures are not mistaken for it, timeouts included', () => {
    expect(isContextLengthError(httpError('Invalid temperature'), 'openai', [])).toBe(false);
    expect(isContextLengthError(new ProviderError({ provider: 'p', status: null, kind: 'timeout', retryable: true, message: 'request took too long' }), 'openai', [])).toBe(false);
    expect(isContextLengthError(new Error('maximum context length is 5'), 'openai', [])).toBe(false);
  });

  test('configured patterns are regexes (case-insensitive); an invalid one is matched literally', () => {
    expect(isContextLengthError(httpError('Input exceeds WORD budget'), 'openai', ['word budget'])).toBe(true);
    expect(isContextLengthError(httpError('limit [x] hit'), 'openai', ['limit [x'])).toBe(true);
    expect(isContextLengthError(httpError('limit x hit'), 'openai', ['limit [x'])).toBe(false);
  });

  test('re-labelled as a non-retryable client error that does not count against the provider', () => {
    const relabelled = asContextLengthError(new ProviderError({ provider: 'p', status: 502, kind: 'http', retryable: true, message: 'prompt is too long' }));
    expect(relabelled).toMatchObject({ status: 400, retryable: false, code: 'context_length_exceeded', message: 'prompt is too long' });
    expect(relabelled.isProviderFault).toBe(false);
  });

  test('context windows: model_overrides (with or without a provider prefix) before well-known models', () => {
    const config = configSchema.parse({ providers: [], model_overrides: { 'gpt-4o': { context_window: 1000 }, 'my-model': { context_window: 42 } } });
    expect(contextWindow(config, 'gpt-4o')).toBe(1000);
    expect(contextWindow(config, 'openai/gpt-4o')).toBe(1000);
    expect(contextWindow(config, 'my-model')).toBe(42);
    expect(contextWindow(config, 'claude-sonnet-4-5')).toBe(200_000);
    expect(contextWindow(config, 'unknown-model')).toBeNull();
  });
});

describe('token counting', () => {
  test('uses a real BPE tokenizer, per model family', async () => {
    expect(encodingFor('gpt-4o-mini')).toBe('o200k_base');
    expect(encodingFor('openai/gpt-4.1')).toBe('o200k_base');
    expect(encodingFor('claude-3-haiku')).toBe('cl100k_base');
    const counter = await TokenCounter.forModel('gpt-4o');
    expect(counter.text('hello world')).toBe(2);
    // Special-token text is counted as text, never rejected.
    expect(counter.text('<|endoftext|>')).toBeGreaterThan(1);
    expect(counter.request({ messages: [{ role: 'user', content: 'hello world' }] })).toBe(3 + 3 + 1 + 2);
  });

  test('the byte-based upper bound never under-counts', async () => {
    const counter = await TokenCounter.forModel('gpt-4o');
    const samples: Array<{ messages: ChatMessage[] }> = [
      { messages: [{ role: 'user', content: 'hi' }] },
      { messages: [{ role: 'system', content: 'Ünïcödé — 漢字 テスト 🚀🚀' }, { role: 'user', content: [{ type: 'text', text: 'look' }, { type: 'image_url', image_url: { url: 'x' } }] }] },
      { messages: [{ role: 'assistant', content: null, tool_calls: [{ id: 'c', type: 'function', function: { name: 'f', arguments: '{"a":1}' } }] }, { role: 'tool', tool_call_id: 'c', content: '1' }] },
    ];
    for (const body of samples) expect(tokenUpperBound(body)).toBeGreaterThanOrEqual(counter.request(body));
  });
});

describe('condensation plan', () => {
  const say = (role: ChatMessage['role'], text: string): ChatMessage => ({ role, content: text });

  test('drops the oldest turns, keeps system messages and the latest turn, and tool calls with their results', async () => {
    const counter = await TokenCounter.forModel('gpt-4o');
    const long = 'word '.repeat(40);
    const messages: ChatMessage[] = [
      say('system', 'rules'),
      say('user', `1 ${long}`),
      { role: 'assistant', content: null, tool_calls: [{ id: 'c1', type: 'function', function: { name: 'f', arguments: '{}' } }] },
      { role: 'tool', tool_call_id: 'c1', content: long },
      say('assistant', `2 ${long}`),
      say('user', `3 ${long}`),
    ];
    const total = counter.request({ messages });
    const plan = planDrop(messages, counter, total - 30, 3)!;
    expect(plan.dropped).toEqual([messages[1]]);
    const tighter = planDrop(messages, counter, total - 100, 3)!;
    // The tool call and its result go together.
    expect(tighter.dropped).toEqual(messages.slice(1, 4));
    expect(tighter.kept).toEqual([messages[0], messages[4], messages[5]]);
    expect(tighter.tokens).toBeLessThanOrEqual(total - 100);
    // Nothing can make system + latest turn smaller.
    expect(planDrop(messages, counter, 20, 3)).toBeNull();
    expect(planDrop(messages, counter, total + 10, 3)).toBeNull();
  });

  test('the summary takes the place of the removed turns, after the leading system messages', () => {
    const kept = [say('system', 'rules'), say('user', 'latest')];
    expect(withSummary(kept, 'they met')).toEqual([say('system', 'rules'), say('system', 'Summary of the earlier part of this conversation:\nthey met'), say('user', 'latest')]);
    expect(transcript([say('user', 'hi'), { role: 'assistant', content: null, tool_calls: [{ id: 'c', type: 'function', function: { name: 'f', arguments: '{}' } }] }])).toBe(
      'user: hi\n\nassistant: [called f({})]',
    );
  });
});
