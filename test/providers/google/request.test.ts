import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { chatRequestSchema } from '../../../src/providers/canonical.js';
import { toGeminiRequest } from '../../../src/providers/google/request.js';
import { toGeminiSchema } from '../../../src/providers/google/schema.js';

const logger = pino({ level: 'silent' });
const translate = (body: Record<string, unknown>) =>
  toGeminiRequest(chatRequestSchema.parse({ model: 'gemini-2.5-flash', ...body }), { logger, provider: 'google' });

describe('toGeminiRequest', () => {
  it('maps roles, the system prompt and generationConfig', () => {
    const body = translate({
      messages: [
        { role: 'system', content: 'You are terse.' },
        { role: 'user', content: 'Hi' },
        { role: 'assistant', content: 'Hello' },
        { role: 'user', content: 'Bye' },
        { role: 'user', content: 'really' },
      ],
      temperature: 0.3,
      top_p: 0.8,
      max_tokens: 100,
      stop: ['END', 'STOP'],
      n: 2,
      presence_penalty: 0.1,
      frequency_penalty: 0.2,
      seed: 42,
      response_format: { type: 'json_object' },
      user: 'someone',
      logit_bias: { '1': 2 },
    });
    expect(body).toEqual({
      systemInstruction: { parts: [{ text: 'You are terse.' }] },
      contents: [
        { role: 'user', parts: [{ text: 'Hi' }] },
        { role: 'model', parts: [{ text: 'Hello' }] },
        { role: 'user', parts: [{ text: 'Bye' }, { text: 'really' }] },
      ],
      generationConfig: {
        temperature: 0.3,
        topP: 0.8,
        maxOutputTokens: 100,
        stopSequences: ['END', 'STOP'],
        candidateCount: 2,
        presencePenalty: 0.1,
        frequencyPenalty: 0.2,
        seed: 42,
        responseMimeType: 'application/json',
      },
    });
  });

  it('turns tool calls into functionCall parts (signature restored) and tool results into functionResponse parts', () => {
    const body = translate({
      messages: [
        { role: 'user', content: 'Weather in Paris and London?' },
        {
          role: 'assistant',
          content: null,
          tool_calls: [
            { id: 'call_a__thought__CiQB0e2K+sig==', type: 'function', function: { name: 'get_weather', arguments: '{"location":"Paris"}' } },
            { id: 'call_b', type: 'function', function: { name: 'get_weather', arguments: '{"location":"London"}' } },
          ],
        },
        { role: 'tool', tool_call_id: 'call_a__thought__CiQB0e2K+sig==', content: '{"temp":21}' },
        { role: 'tool', tool_call_id: 'call_b', content: 'rainy' },
      ],
      tools: [
        {
          type: 'function',
          function: {
            name: 'get_weather',
            description: 'Current weather',
            parameters: { type: 'object', properties: { location: { type: 'string' } }, required: ['location'], additionalProperties: false },
          },
        },
        { type: 'function', function: { name: 'now', parameters: { type: 'object', properties: {} } } },
      ],
      tool_choice: { type: 'function', function: { name: 'get_weather' } },
    });
    expect(body.contents).toEqual([
      { role: 'user', parts: [{ text: 'Weather in Paris and London?' }] },
      {
        role: 'model',
        parts: [
          { functionCall: { name: 'get_weather', args: { location: 'Paris' } }, thoughtSignature: 'CiQB0e2K+sig==' },
          { functionCall: { name: 'get_weather', args: { location: 'London' } } },
        ],
      },
      {
        role: 'user',
        parts: [
          { functionResponse: { name: 'get_weather', response: { temp: 21 } } },
          { functionResponse: { name: 'get_weather', response: { content: 'rainy' } } },
        ],
      },
    ]);
    expect(body.tools).toEqual([
      {
        functionDeclarations: [
          { name: 'get_weather', description: 'Current weather', parameters: { type: 'object', properties: { location: { type: 'string' } }, required: ['location'] } },
          { name: 'now' },
        ],
      },
    ]);
    expect(body.toolConfig).toEqual({ functionCallingConfig: { mode: 'ANY', allowedFunctionNames: ['get_weather'] } });
  });

  it.each([
    ['auto', 'AUTO'],
    ['none', 'NONE'],
    ['required', 'ANY'],
  ])('maps tool_choice %s to %s', (choice, mode) => {
    const body = translate({
      messages: [{ role: 'user', content: 'x' }],
      tools: [{ type: 'function', function: { name: 'f', parameters: { type: 'object', properties: { a: { type: 'string' } } } } }],
      tool_choice: choice,
    });
    expect(body.toolConfig).toEqual({ functionCallingConfig: { mode } });
  });

  it('sends data: URL images as inlineData and http URLs as fileData', () => {
    const body = translate({
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'What is this?' },
            { type: 'image_url', image_url: { url: 'data:image/jpeg;base64,/9j/4AAQSkZJRg==' } },
            { type: 'image_url', image_url: { url: 'https://example.com/photo.png' } },
          ],
        },
      ],
    });
    expect((body.contents as { parts: unknown[] }[])[0].parts).toEqual([
      { text: 'What is this?' },
      { inlineData: { mimeType: 'image/jpeg', data: '/9j/4AAQSkZJRg==' } },
      { fileData: { mimeType: 'image/png', fileUri: 'https://example.com/photo.png' } },
    ]);
  });

  it('maps a json_schema response_format to responseSchema and reasoning_effort to a thinking budget', () => {
    const body = translate({
      messages: [{ role: 'user', content: 'x' }],
      response_format: {
        type: 'json_schema',
        json_schema: { name: 'r', strict: true, schema: { type: 'object', properties: { n: { type: ['integer', 'null'] } }, required: ['n'], additionalProperties: false } },
      },
      reasoning_effort: 'low',
    });
    expect(body.generationConfig).toEqual({
      responseMimeType: 'application/json',
      responseSchema: { type: 'object', properties: { n: { type: 'integer', nullable: true } }, required: ['n'] },
      thinkingConfig: { thinkingBudget: 1024, includeThoughts: true },
    });
  });
});

describe('toGeminiSchema', () => {
  it('inlines $ref, folds anyOf-with-null into nullable and keeps only Schema keywords', () => {
    const schema = toGeminiSchema({
      $schema: 'http://json-schema.org/draft-07/schema#',
      type: 'object',
      $defs: { Step: { type: 'object', properties: { text: { type: 'string', minLength: 1 } }, required: ['text'] } },
      properties: {
        steps: { type: 'array', items: { $ref: '#/$defs/Step' } },
        note: { anyOf: [{ type: 'string' }, { type: 'null' }], default: null },
        kind: { const: 'plan' },
      },
      required: ['steps', 'missing'],
      additionalProperties: false,
    });
    expect(schema).toEqual({
      type: 'object',
      properties: {
        steps: { type: 'array', items: { type: 'object', properties: { text: { type: 'string', minLength: 1 } }, required: ['text'] } },
        note: { type: 'string', nullable: true, default: null },
        kind: { type: 'string', enum: ['plan'] },
      },
      required: ['steps'],
    });
  });

  it('stops at a recursive $ref instead of looping', () => {
    const schema = toGeminiSchema({ $defs: { Node: { type: 'object', properties: { child: { $ref: '#/$defs/Node' } } } }, $ref: '#/$defs/Node' });
    expect(JSON.stringify(schema).length).toBeLessThan(10_000);
  });
});
