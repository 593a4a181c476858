import { describe, expect, it } from 'vitest';
import { ProviderError } from '../../../src/errors.js';
import { GoogleStreamTransform } from '../../../src/providers/google/stream.js';
import { decodeToolCallId } from '../../../src/providers/google/tool-ids.js';
import { sseEvents, streamedText, streamedToolCalls } from '../support/native-upstream.js';

function run(name: string, includeUsage = false): Record<string, unknown>[] {
  const transform = new GoogleStreamTransform('google', 'gemini', includeUsage);
  const chunks = sseEvents('google', name).flatMap((event) => transform.push(event));
  chunks.push(...transform.end());
  return chunks.map((c) => JSON.parse(c) as Record<string, unknown>);
}
const choiceOf = (chunk: Record<string, unknown>) => (chunk.choices as { delta: Record<string, unknown>; finish_reason: string | null }[])[0];

describe('GoogleStreamTransform', () => {
  it('streams text with role first and finish_reason last', () => {
    const chunks = run('stream-text.sse');
    expect(choiceOf(chunks[0]).delta).toEqual({ role: 'assistant', content: '' });
    expect(streamedText(chunks)).toBe('Strawberries are red — très délicieuses 🍓!');
    expect(choiceOf(chunks[chunks.length - 1]).finish_reason).toBe('stop');
    expect(chunks.every((c) => c.id === 'StreamText01' && c.model === 'gemini-2.5-flash')).toBe(true);
  });

  it('ends with a usage chunk from the last usageMetadata when asked', () => {
    const chunks = run('stream-text.sse', true);
    expect(chunks[chunks.length - 1]).toMatchObject({ choices: [], usage: { prompt_tokens: 8, completion_tokens: 10, total_tokens: 18 } });
  });

  it('numbers function calls across chunks and finishes with tool_calls', () => {
    const chunks = run('stream-tool-calls.sse', true);
    const calls = streamedToolCalls(chunks);
    expect(calls.map((c) => [c.name, JSON.parse(c.arguments) as unknown])).toEqual([
      ['get_weather', { location: 'Paris' }],
      ['get_time', { timezone: 'Europe/London' }],
    ]);
    expect(decodeToolCallId(calls[0].id).signature).toBe('CiQB0e2Kb7cQ2Jd/k0sig+A==');
    expect(chunks.map((c) => choiceOf(c)?.delta.reasoning_content).filter(Boolean)).toEqual(['Let me check.']);
    const finish = chunks.map((c) => choiceOf(c)?.finish_reason).filter(Boolean);
    expect(finish).toEqual(['tool_calls']);
    expect(chunks[chunks.length - 1].usage).toMatchObject({ completion_tokens: 40, completion_tokens_details: { reasoning_tokens: 20 } });
  });

  it('throws an error event as a ProviderError with its status', () => {
    const transform = new GoogleStreamTransform('google', 'gemini', false);
    const [first, error] = sseEvents('google', 'stream-error.sse');
    expect(transform.push(first).length).toBeGreaterThan(0);
    expect(() => transform.push(error)).toThrow(ProviderError);
    try {
      transform.push(error);
    } catch (e) {
      expect(e).toMatchObject({ status: 503, retryable: true, message: 'The model is overloaded. Please try again later.', type: 'UNAVAILABLE' });
    }
  });

  it('reports a stream that ends before a finishReason as cut', () => {
    const transform = new GoogleStreamTransform('google', 'gemini', false);
    transform.push(sseEvents('google', 'stream-text.sse')[0]);
    expect(() => transform.end()).toThrow(/closed the stream/);
  });
});
