/* eslint-disable @typescript-eslint/no-explicit-any -- JSON answers are read back loosely */
// Guardrails as real clients see them: the openai and Anthropic SDKs get a blocked request as a normal
// API error and a filtered stream as a finished one; placeholders come back whole when the answer
// arrives one character per chunk; decisions are counted in Prometheus metrics and the admin API.
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { EchoUpstream } from '../support/echo-upstream.js';
import { startProxy, type TestProxy } from '../support/proxy.js';

const ADMIN = 'sk-admin-guardrail-clients-0123456789';
const EMAIL = 'bob.jones@example.org';
const IBAN = 'GB82 WEST 1234 5698 7654 32';

let upstream: EchoUpstream;
let proxy: TestProxy;
let openai: OpenAI;
let anthropic: Anthropic;

beforeAll(async () => {
  upstream = await new EchoUpstream().listen();
  proxy = await startProxy({
    hot_reload: { enabled: false },
    auth: { admin_keys: [ADMIN] },
    request_logs: { flush_interval_ms: 20 },
    guardrails: {
      definitions: [
        { name: 'pii', type: 'pii', phases: ['input'], action: 'mask' },
        { name: 'project-words', type: 'regex', patterns: ['(?i)project[- ]nightingale'], phases: ['input', 'output'], action: 'block' },
        { name: 'secrets', type: 'secrets', phases: ['output'], action: 'block' },
      ],
      default: ['pii', 'project-words', 'secrets'],
      stream: { window_chars: 16, overlap_chars: 48 },
    },
    providers: [
      { name: 'oa', type: 'openai', base_url: `${upstream.url}/v1`, models: ['gpt-*'], max_retries: 0, timeout: 5 },
      { name: 'claude', type: 'anthropic', base_url: upstream.url, models: ['claude-*'], max_retries: 0, timeout: 5 },
    ],
  });
  openai = new OpenAI({ baseURL: `${proxy.url}/v1`, apiKey: ADMIN, maxRetries: 0 });
  anthropic = new Anthropic({ baseURL: proxy.url, apiKey: ADMIN, maxRetries: 0 });
});

afterAll(async () => {
  await proxy.close();
  await upstream.close();
});

describe('SDK clients', () => {
  test('openai: a blocked request is an APIError 400 with code guardrail_blocked', async () => {
    const error = await openai.chat.completions.create({ model: 'gpt-echo', messages: [{ role: 'user', content: 'status of Project Nightingale?' }] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect((error as InstanceType<typeof OpenAI.APIError>).code).toBe('guardrail_blocked');
    expect((error as InstanceType<typeof OpenAI.APIError>).message).toContain("'project-words'");
  });

  test('openai: a stream ended by an output guardrail finishes with content_filter, without the secret', async () => {
    upstream.reply = `Sure, the token is ghp_${'x1Y2z3'.repeat(6)} and more text follows here.`;
    try {
      const stream = await openai.chat.completions.create({ model: 'gpt-echo', stream: true, messages: [{ role: 'user', content: 'token?' }] });
      let text = '';
      let finish: string | null = null;
      for await (const chunk of stream) {
        text += chunk.choices[0]?.delta?.content ?? '';
        finish = chunk.choices[0]?.finish_reason ?? finish;
      }
      expect(finish).toBe('content_filter');
      expect(text).not.toContain('ghp_');
      expect(text.length).toBeLessThan(upstream.reply.length);
    } finally {
      upstream.reply = null;
    }
  });

  test('anthropic: a blocked request is a BadRequestError; a filtered stream ends with stop_reason refusal', async () => {
    const error = await anthropic.messages.create({ model: 'claude-echo', max_tokens: 50, messages: [{ role: 'user', content: 'project-nightingale plans' }] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Anthropic.BadRequestError);
    expect(String((error as Error).message)).toContain('project-words');

    upstream.reply = 'All fine until PROJECT NIGHTINGALE shows up in the answer.';
    try {
      const stream = anthropic.messages.stream({ model: 'claude-echo', max_tokens: 50, messages: [{ role: 'user', content: 'tell me' }] });
      const final = await stream.finalMessage();
      expect(final.stop_reason).toBe('refusal');
      expect(JSON.stringify(final.content)).not.toMatch(/nightingale/i);
    } finally {
      upstream.reply = null;
    }
  });

  test('openai responses: masked input comes back restored, one character per chunk', async () => {
    upstream.chunkChars = 1;
    try {
      const before = upstream.requests.length;
      const stream = await openai.responses.create({ model: 'gpt-echo', input: `mail ${EMAIL}, IBAN ${IBAN}`, stream: true });
      let text = '';
      for await (const event of stream) if (event.type === 'response.output_text.delta') text += event.delta;
      expect(text).toBe(`mail ${EMAIL}, IBAN ${IBAN}`);
      const sent = upstream.requests.slice(before).map((r) => r.raw).join('');
      expect(sent).toContain('<EMAIL_1>');
      expect(sent).toContain('<IBAN_1>');
      expect(sent).not.toContain(EMAIL);
    } finally {
      upstream.chunkChars = 3;
    }
  });

  test('chat streamed one character per chunk: a placeholder split across chunks is restored whole', async () => {
    upstream.chunkChars = 1;
    try {
      const stream = await openai.chat.completions.create({ model: 'claude-echo', stream: true, messages: [{ role: 'user', content: `a ${EMAIL} b ${EMAIL} c` }] });
      let text = '';
      for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
      expect(text).toBe(`a ${EMAIL} b ${EMAIL} c`);
    } finally {
      upstream.chunkChars = 3;
    }
  });
});

describe('decisions are visible', () => {
  test('Prometheus counts decisions and times checks per guardrail', async () => {
    await openai.chat.completions.create({ model: 'gpt-echo', messages: [{ role: 'user', content: `write to ${EMAIL}` }] });
    const text = await (await fetch(`${proxy.url}/metrics/prometheus`, { headers: { authorization: `Bearer ${ADMIN}` } })).text();
    expect(text).toMatch(/llm_proxy_guardrail_decisions_total\{guardrail="pii",phase="input",decision="mask"\} [1-9]/);
    expect(text).toMatch(/llm_proxy_guardrail_decisions_total\{guardrail="project-words",phase="input",decision="block"\} [1-9]/);
    expect(text).toMatch(/llm_proxy_guardrail_duration_seconds_count\{guardrail="pii",phase="input"\} [1-9]/);
  });

  test('the admin API lists guardrails with their decisions and the recent hits, without values', async () => {
    const get = (path: string) => fetch(`${proxy.url}${path}`, { headers: { authorization: `Bearer ${ADMIN}` } });
    await expect
      .poll(async () => ((await (await get('/v1/guardrails')).json()) as any).data.find((g: any) => g.name === 'pii').decisions.input.mask, { timeout: 5000 })
      .toBeGreaterThan(0);
    const list = (await (await get('/v1/guardrails')).json()) as any;
    expect(list.default).toEqual(['pii', 'project-words', 'secrets']);
    expect(list.data.find((g: any) => g.name === 'project-words')).toMatchObject({ type: 'regex', action: 'block', default: true });
    const hits = (await (await get('/v1/guardrails/hits?name=pii')).json()) as any;
    expect(hits.data.length).toBeGreaterThan(0);
    expect(hits.data[0]).toMatchObject({ guardrail: 'pii', phase: 'input', decision: 'mask' });
    expect(hits.data[0].entities).toContain('EMAIL');
    expect(JSON.stringify(hits)).not.toContain(EMAIL);
    expect((await get('/v1/guardrails/hits?name=nope')).status).toBe(404);
    expect((await get('/v1/guardrails/hits?limit=0')).status).toBe(400);
  });
});
