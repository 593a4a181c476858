import { describe, expect, test } from 'vitest';
import { cacheKey, canonicalJson, normaliseRequest } from '../../src/cache/key.js';
import { replayChunks, StreamAssembler } from '../../src/cache/stream-entry.js';
import { configSchema } from '../../src/config/schema.js';

const config = configSchema.parse({ providers: [], model_overrides: { fast: { alias_for: 'gpt-4o-mini' } } });
const base = { model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }], temperature: 0 };

describe('cache key', () => {
  test('key order, null parameters and delivery-only fields do not change the key', () => {
    const key = cacheKey('chat', base, 'k1', config);
    expect(cacheKey('chat', { temperature: 0, messages: [{ content: 'hi', role: 'user' }], model: 'gpt-4o' }, 'k1', config)).toBe(key);
    expect(cacheKey('chat', { ...base, user: 'u-42', stream: true, stream_options: { include_usage: true }, top_p: null }, 'k1', config)).toBe(key);
  });

  test('anything that changes the answer changes the key', () => {
    const key = cacheKey('chat', base, 'k1', config);
    for (const changed of [{ ...base, temperature: 0.5 }, { ...base, model: 'gpt-4o-mini' }, { ...base, tools: [{ type: 'function', function: { name: 'f' } }] }, { ...base, seed: 1 }, { ...base, messages: [{ role: 'user', content: 'hi!' }] }]) {
      expect(cacheKey('chat', changed, 'k1', config)).not.toBe(key);
    }
    expect(cacheKey('completions', base, 'k1', config)).not.toBe(key);
    expect(cacheKey('chat', base, 'k2', config)).not.toBe(key);
    expect(cacheKey('chat', base, null, config)).not.toBe(key);
  });

  test('the model is taken after alias resolution', () => {
    expect(normaliseRequest({ model: 'fast' }, config)).toEqual({ model: 'gpt-4o-mini' });
    expect(cacheKey('chat', { ...base, model: 'fast' }, null, config)).toBe(cacheKey('chat', { ...base, model: 'gpt-4o-mini' }, null, config));
  });

  test('canonical JSON sorts keys at every depth and keeps array order', () => {
    expect(canonicalJson({ b: 1, a: { d: [2, 1], c: null } })).toBe('{"a":{"c":null,"d":[2,1]},"b":1}');
  });
});

describe('stream entries', () => {
  test('completions chunks assemble and replay', () => {
    const assembler = new StreamAssembler('completions');
    const chunk = (text: string, finish: string | null) => JSON.stringify({ id: 'c', object: 'text_completion', created: 1, model: 'm', choices: [{ index: 0, text, logprobs: null, finish_reason: finish }] });
    assembler.add(chunk('Hel', null));
    expect(assembler.result()).toBeNull();
    assembler.add(chunk('lo', 'stop'));
    const answer = assembler.result()!;
    expect(answer).toMatchObject({ object: 'text_completion', choices: [{ index: 0, text: 'Hello', finish_reason: 'stop' }] });
    const replayed = replayChunks('completions', answer, false).map((c) => JSON.parse(c));
    expect(replayed.map((c) => c.choices[0].text).join('')).toBe('Hello');
  });

  test('an error chunk or unreadable chunk means nothing is cached', () => {
    const assembler = new StreamAssembler('chat');
    assembler.add(JSON.stringify({ id: 'x', choices: [{ index: 0, delta: { content: 'a' }, finish_reason: 'stop' }] }));
    assembler.add(JSON.stringify({ error: { message: 'boom' } }));
    expect(assembler.result()).toBeNull();
  });

  test('every choice of n > 1 must finish', () => {
    const assembler = new StreamAssembler('chat');
    assembler.add(JSON.stringify({ id: 'x', choices: [{ index: 0, delta: { content: 'a' }, finish_reason: 'stop' }, { index: 1, delta: { content: 'b' }, finish_reason: null }] }));
    expect(assembler.result()).toBeNull();
    assembler.add(JSON.stringify({ id: 'x', choices: [{ index: 1, delta: {}, finish_reason: 'length' }] }));
    expect(assembler.result()!.choices).toEqual([
      { index: 0, message: { role: 'assistant', content: 'a', refusal: null }, logprobs: null, finish_reason: 'stop' },
      { index: 1, message: { role: 'assistant', content: 'b', refusal: null }, logprobs: null, finish_reason: 'length' },
    ]);
  });
});
