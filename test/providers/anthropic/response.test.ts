import { describe, expect, it } from 'vitest';
import { toChatCompletion } from '../../../src/providers/anthropic/response.js';
import { fixtureJson } from '../support/native-upstream.js';

describe('toChatCompletion', () => {
  it('turns a text message into a chat.completion with cache-aware usage', () => {
    const completion = toChatCompletion(fixtureJson('anthropic', 'message-text.json'), 'claude-x');
    expect(completion).toMatchObject({
      id: 'msg_01XFDUDYJgAACzvnptvVoYEL',
      object: 'chat.completion',
      model: 'claude-sonnet-4-5-20250929',
      choices: [{ index: 0, message: { role: 'assistant', content: 'Hello! How can I help you today? ¿Qué tal? 👋' }, finish_reason: 'stop' }],
      usage: {
        prompt_tokens: 12 + 100 + 2000,
        completion_tokens: 19,
        total_tokens: 2131,
        prompt_tokens_details: { cached_tokens: 2000 },
        cache_creation_input_tokens: 100,
        cache_read_input_tokens: 2000,
      },
    });
    expect(typeof completion.created).toBe('number');
  });

  it('turns several tool_use blocks into tool_calls with JSON-string arguments', () => {
    const completion = toChatCompletion(fixtureJson('anthropic', 'message-tool-calls.json'), 'claude-x');
    const choice = (completion.choices as { message: Record<string, unknown>; finish_reason: string }[])[0];
    expect(choice.finish_reason).toBe('tool_calls');
    expect(choice.message.content).toBe("I'll check the weather in both cities.");
    expect(choice.message.tool_calls).toEqual([
      { id: 'toolu_01A09q90qw90lq917835lq9', type: 'function', function: { name: 'get_weather', arguments: '{"location":"San Francisco, CA","unit":"celsius"}' } },
      { id: 'toolu_01B12x34yz56ab78cd90ef12', type: 'function', function: { name: 'get_weather', arguments: '{"location":"Tokyo, JP","unit":"celsius"}' } },
    ]);
  });

  it('carries thinking blocks unchanged and their text as reasoning_content', () => {
    const message = fixtureJson('anthropic', 'message-thinking.json');
    const completion = toChatCompletion(message, 'claude-x');
    const choice = (completion.choices as { message: Record<string, unknown> }[])[0];
    expect(choice.message.content).toBe('27 × 453 = 12,231');
    expect(choice.message.reasoning_content).toBe((message.content as { thinking?: string }[])[0].thinking);
    expect(choice.message.thinking_blocks).toEqual((message.content as unknown[]).slice(0, 2));
    expect(completion.usage).toMatchObject({ completion_tokens: 205, completion_tokens_details: { reasoning_tokens: 180 } });
  });

  it.each([
    ['end_turn', 'stop'],
    ['stop_sequence', 'stop'],
    ['max_tokens', 'length'],
    ['tool_use', 'tool_calls'],
    ['refusal', 'content_filter'],
    ['model_context_window_exceeded', 'length'],
  ])('maps stop_reason %s to %s', (stopReason, finish) => {
    const completion = toChatCompletion({ ...fixtureJson('anthropic', 'message-text.json'), stop_reason: stopReason }, 'm');
    expect((completion.choices as { finish_reason: string }[])[0].finish_reason).toBe(finish);
  });
});
