import { describe, expect, it } from 'vitest';
import { ProviderError } from '../../../src/errors.js';
import { AnthropicStreamTransform } from '../../../src/providers/anthropic/stream.js';
import { sseEvents, streamedText, streamedToolCalls } from '../support/native-upstream.js';

function run(name: string, includeUsage = false): Record<string, unknown>[] {
  const transform = new AnthropicStreamTransform('anthropic', 'claude-x', includeUsage);
  const chunks = sseEvents('anthropic', name).flatMap((event) => transform.push(event));
  chunks.push(...transform.end());
  return chunks.map((c) => JSON.parse(c) as Record<string, unknown>);
}

const choiceOf = (chunk: Record<string, unknown>) => (chunk.choices as { delta: Record<string, unknown>; finish_reason: string | null }[])[0];

describe('AnthropicStreamTransform', () => {
  it('streams text with the role first, finish_reason last and the message id on every chunk', () => {
    const chunks = run('stream-text.sse');
    expect(choiceOf(chunks[0]).delta).toEqual({ role: 'assistant', content: '' });
    expect(streamedText(chunks)).toBe('Grüße, 世界! 🌍');
    expect(choiceOf(chunks[chunks.length - 1]).finish_reason).toBe('stop');
    expect(chunks.slice(0, -1).every((c) => choiceOf(c).finish_reason === null)).toBe(true);
    expect(new Set(chunks.map((c) => c.id))).toEqual(new Set(['msg_01StreamText']));
    expect(chunks.every((c) => c.object === 'chat.completion.chunk' && c.model === 'claude-sonnet-4-5-20250929')).toBe(true);
  });

  it('adds a usage chunk with empty choices when include_usage is set', () => {
    const chunks = run('stream-text.sse', true);
    const last = chunks[chunks.length - 1];
    expect(last.choices).toEqual([]);
    expect(last.usage).toMatchObject({ prompt_tokens: 35, completion_tokens: 15, total_tokens: 50, prompt_tokens_details: { cached_tokens: 10 } });
    expect(run('stream-text.sse').some((c) => 'usage' in c)).toBe(false);
  });

  it('gives each tool_use block its own tool_calls index, id and name once, arguments in pieces', () => {
    const chunks = run('stream-tool-calls.sse');
    expect(streamedText(chunks)).toBe('Checking both cities.');
    expect(streamedToolCalls(chunks)).toEqual([
      { id: 'toolu_01T1x1fJ34qAmk2tNTrN7Up6', name: 'get_weather', arguments: '{"location": "San Francisco, CA"}' },
      { id: 'toolu_01Xq2YbZ9aUj1kqD5rC3vN8m', name: 'get_time', arguments: '{"timezone": "Asia/Tokyo"}' },
    ]);
    const withIds = chunks.flatMap((c) => (choiceOf(c).delta.tool_calls as { id?: string }[] | undefined) ?? []).filter((t) => t.id);
    expect(withIds).toHaveLength(2);
    expect(choiceOf(chunks[chunks.length - 1]).finish_reason).toBe('tool_calls');
  });

  it('streams thinking as reasoning_content and carries each block whole with its signature', () => {
    const chunks = run('stream-thinking.sse');
    const reasoning = chunks.map((c) => choiceOf(c).delta.reasoning_content ?? '').join('');
    expect(reasoning).toBe('27 * 453 = 10800 + 1431 = 12231.');
    const blocks = chunks.flatMap((c) => (choiceOf(c).delta.thinking_blocks as unknown[] | undefined) ?? []);
    expect(blocks).toEqual([
      {
        type: 'thinking',
        thinking: '27 * 453 = 10800 + 1431 = 12231.',
        signature: 'EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxBdjrkzLoky3dl1pkiMOYds+/pMiHAOJbgCNHmrmuz/7kAa7TjEtTs7DBq8fj+h2LYnBjHqxgSJNgGgVMqEAh0fQ/',
      },
      { type: 'redacted_thinking', data: 'EmwKAhgBEgy3va3pzix/LafPsn4a' },
    ]);
    expect(streamedText(chunks)).toBe('12,231');
  });

  it('throws a retryable ProviderError for an overloaded_error event', () => {
    const transform = new AnthropicStreamTransform('anthropic', 'claude-x', false);
    const events = sseEvents('anthropic', 'stream-error.sse');
    const before = events.slice(0, -1).flatMap((e) => transform.push(e));
    expect(before.length).toBeGreaterThan(0);
    let thrown: unknown;
    try {
      transform.push(events[events.length - 1]);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ProviderError);
    expect(thrown).toMatchObject({ status: 529, retryable: true, message: 'Overloaded', type: 'overloaded_error' });
  });

  it('reports a stream that ends without message_stop as cut', () => {
    const transform = new AnthropicStreamTransform('anthropic', 'claude-x', false);
    for (const event of sseEvents('anthropic', 'stream-text.sse').slice(0, 4)) transform.push(event);
    expect(() => transform.end()).toThrow(ProviderError);
  });

  it('turns a malformed event into a ProviderError', () => {
    const transform = new AnthropicStreamTransform('anthropic', 'claude-x', false);
    expect(() => transform.push({ event: 'content_block_delta', data: '{"type":"content_block_delta",', id: null })).toThrow(ProviderError);
  });
});
