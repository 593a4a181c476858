// A Responses conversation continues on any replica: with Redis configured the stored answers are
// shared, so turn 2 (previous_response_id) on replica B reaches the conversation replica A stored,
// and GET/DELETE /v1/responses/:id work everywhere. The translated path (an Anthropic provider) is
// used, so replica B has to rebuild the whole conversation from the shared store.
import OpenAI from 'openai';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startProxy, type TestProxy } from '../support/proxy.js';
import { deletePrefix, keysUnder, REDIS_URL, uniquePrefix } from '../support/redis.js';
import { AnthropicUpstream } from '../support/scripted-model.js';

let upstream: AnthropicUpstream;
let a: TestProxy;
let b: TestProxy;
const prefix = uniquePrefix();

beforeAll(async () => {
  upstream = await AnthropicUpstream.start();
  const config = {
    hot_reload: { enabled: false },
    redis: { url: REDIS_URL, key_prefix: prefix },
    providers: [{ name: 'claude', type: 'anthropic', base_url: upstream.url, models: ['claude-*'], max_retries: 0, timeout: 5 }],
  };
  a = await startProxy(config);
  b = await startProxy(config);
});

afterAll(async () => {
  await a?.close();
  await b?.close();
  await upstream.close();
  await deletePrefix(prefix);
});

const client = (proxy: TestProxy) => new OpenAI({ baseURL: `${proxy.url}/v1`, apiKey: 'unused', maxRetries: 0 });

test('turn 1 on replica A, turn 2 by previous_response_id on replica B; GET and DELETE on either', async () => {
  const first = await client(a).responses.create({ model: 'claude-sonnet-4-5', input: 'my name is Ada' });
  expect(first.output_text).toBe('You said: my name is Ada');
  expect(await keysUnder(`${prefix}resp:`)).toContain(`${prefix}resp:${first.id}`);

  const before = upstream.requests.length;
  const second = await client(b).responses.create({ model: 'claude-sonnet-4-5', previous_response_id: first.id, input: 'what is my name?' });
  expect(second.status).toBe('completed');
  // Replica B sent the whole conversation, which only replica A had seen.
  const sent = upstream.requests[before].body as { messages: Array<{ role: string; content: unknown }> };
  expect(JSON.stringify(sent.messages)).toContain('my name is Ada');
  expect(sent.messages.map((m) => m.role)).toEqual(['user', 'assistant', 'user']);

  expect((await client(b).responses.retrieve(first.id)).id).toBe(first.id);
  expect((await client(a).responses.retrieve(second.id)).previous_response_id).toBe(first.id);
  await client(b).responses.delete(first.id);
  await expect(client(a).responses.retrieve(first.id)).rejects.toMatchObject({ status: 404 });
  // The chain is broken now on every replica, with the error naming the parameter.
  await expect(client(a).responses.create({ model: 'claude-sonnet-4-5', previous_response_id: second.id, input: 'again' })).rejects.toMatchObject({
    status: 400,
    error: { param: 'previous_response_id' },
  });
});
