import { describe, expect, it } from 'vitest';
import { toChatCompletion } from '../../../src/providers/google/response.js';
import { decodeToolCallId } from '../../../src/providers/google/tool-ids.js';
import { fixtureJson } from '../support/native-upstream.js';

type Choice = { index: number; message: Record<string, unknown>; finish_reason: string };
const choices = (c: Record<string, unknown>) => c.choices as Choice[];

describe('google toChatCompletion', () => {
  it('maps text, finish reason and usage (thoughts counted as completion tokens)', () => {
    const completion = toChatCompletion(fixtureJson('google', 'generate-text.json'), 'gemini');
    expect(completion).toMatchObject({
      id: 'QFx6aPWUFbKNz7IP6uzgiAo',
      object: 'chat.completion',
      model: 'gemini-2.5-flash',
      usage: { prompt_tokens: 9, completion_tokens: 32, total_tokens: 41, prompt_tokens_details: { cached_tokens: 4 }, completion_tokens_details: { reasoning_tokens: 20 } },
    });
    expect(choices(completion)[0]).toMatchObject({ index: 0, message: { role: 'assistant', content: 'Hello! Bonjour! こんにちは 👋' }, finish_reason: 'stop' });
  });

  it('maps parallel function calls to tool_calls, carrying the thought signature in the id', () => {
    const completion = toChatCompletion(fixtureJson('google', 'generate-tool-calls.json'), 'gemini');
    const [choice] = choices(completion);
    expect(choice.finish_reason).toBe('tool_calls');
    expect(choice.message.content).toBeNull();
    const calls = choice.message.tool_calls as { id: string; function: { name: string; arguments: string } }[];
    expect(calls.map((c) => [c.function.name, JSON.parse(c.function.arguments) as unknown])).toEqual([
      ['get_weather', { location: 'Paris', unit: 'celsius' }],
      ['get_weather', { location: 'London', unit: 'celsius' }],
    ]);
    expect(decodeToolCallId(calls[0].id).signature).toBe('CiQB0e2Kb7cQ2Jd/k0sig+A==');
    expect(decodeToolCallId(calls[1].id).signature).toBeUndefined();
    expect(calls[0].id).not.toBe(calls[1].id);
  });

  it('gives each candidate its own choice, thoughts as reasoning_content', () => {
    const completion = toChatCompletion(fixtureJson('google', 'generate-thinking-n2.json'), 'gemini');
    expect(choices(completion)).toEqual([
      { index: 0, message: { role: 'assistant', content: "There are 3 r's.", reasoning_content: 'Counting the letters one by one.' }, logprobs: null, finish_reason: 'stop' },
      { index: 1, message: { role: 'assistant', content: 'Strawberry has three r' }, logprobs: null, finish_reason: 'length' },
    ]);
  });

  it('answers a blocked prompt with a content_filter choice', () => {
    const completion = toChatCompletion(fixtureJson('google', 'generate-blocked.json'), 'gemini');
    expect(choices(completion)).toEqual([{ index: 0, message: { role: 'assistant', content: null }, logprobs: null, finish_reason: 'content_filter' }]);
    expect(completion.usage).toMatchObject({ prompt_tokens: 11, completion_tokens: 0 });
  });

  it.each([
    ['SAFETY', 'content_filter'],
    ['RECITATION', 'content_filter'],
    ['MAX_TOKENS', 'length'],
    ['STOP', 'stop'],
  ])('maps finishReason %s to %s', (reason, finish) => {
    const response = fixtureJson('google', 'generate-text.json');
    (response.candidates as Record<string, unknown>[])[0].finishReason = reason;
    expect(choices(toChatCompletion(response, 'g'))[0].finish_reason).toBe(finish);
  });
});
