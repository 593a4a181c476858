import { describe, expect, test } from 'vitest';
import { costOf, countedUsage, priceOf, StreamText, UsageLedger } from '../../src/observability/usage.js';

describe('prices', () => {
  test('exact names first, config over defaults, then the longest known prefix', () => {
    expect(priceOf({}, 'gpt-4o')).toEqual({ input_per_1k: 0.0025, output_per_1k: 0.01 });
    expect(priceOf({}, 'gpt-4o-mini-2024-07-18')).toEqual({ input_per_1k: 0.00015, output_per_1k: 0.0006 });
    expect(priceOf({}, 'openai/gpt-4o-2024-08-06')).toEqual({ input_per_1k: 0.0025, output_per_1k: 0.01 });
    expect(priceOf({ 'gpt-4o': { input_per_1k: 1, output_per_1k: 1 } }, 'gpt-4o-2024-08-06')).toEqual({ input_per_1k: 1, output_per_1k: 1 });
    expect(priceOf({}, 'mystery-model')).toBeNull();
  });

  test('cost of an answer', () => {
    expect(costOf({}, 'gpt-4o', { prompt_tokens: 1000, completion_tokens: 500, total_tokens: 1500 })).toBeCloseTo(0.0075, 10);
    expect(costOf({}, 'text-embedding-3-small', { prompt_tokens: 2000, completion_tokens: 0, total_tokens: 2000 })).toBeCloseTo(0.00004, 10);
    expect(costOf({}, 'mystery-model', { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 })).toBeNull();
  });
});

describe('counting streams without usage', () => {
  test('collects delta content and completion text, skipping chunks it cannot read', () => {
    const text = new StreamText();
    text.add(JSON.stringify({ choices: [{ index: 0, delta: { role: 'assistant', content: 'Hello' } }] }));
    text.add('{"choices": [ broken');
    text.add(JSON.stringify({ choices: [{ index: 0, delta: { content: ' world' } }] }));
    text.add(JSON.stringify({ choices: [{ index: 0, text: '!!' }] }));
    expect(text.text()).toBe('Hello world!!');
  });

  test('estimates prompt and completion tokens', () => {
    const usage = countedUsage({ messages: [{ role: 'user', content: 'abcdefgh' }, { role: 'user', content: [{ type: 'text', text: 'abcd' }] }] }, 'abcdefghijkl');
    expect(usage).toEqual({ prompt_tokens: 3 + 4 + 2 + 4 + 1, completion_tokens: 3, total_tokens: 17 });
    expect(countedUsage({ prompt: ['abcd', 'abcdefgh'] }, '').prompt_tokens).toBe(3);
  });
});

describe('ledger', () => {
  test('totals per provider, model and key hash prefix', () => {
    const ledger = new UsageLedger();
    ledger.record('openai', 'gpt-4o', 'a'.repeat(64), { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 }, 0.001);
    ledger.record('openai', 'gpt-4o-mini', null, { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 }, null);
    const snapshot = ledger.snapshot();
    expect(snapshot.by_provider.openai).toEqual({ requests: 2, prompt_tokens: 11, completion_tokens: 6, total_tokens: 17, cost_usd: 0.001 });
    expect(snapshot.by_api_key['a'.repeat(16)].requests).toBe(1);
    expect(snapshot.by_api_key.anonymous.requests).toBe(1);
    expect(Object.keys(snapshot.by_model)).toEqual(['gpt-4o', 'gpt-4o-mini']);
  });
});
