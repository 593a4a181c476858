// The proxy both OpenAI-surface test files run against: two mock upstreams (primary, backup) and a
// keyless provider, model overrides with an alias, a small body limit; reset between tests.
import { afterAll, afterEach, beforeAll } from 'vitest';
import { MockUpstream } from '../support/mock-openai.js';
import { mockProvider, startProxy, type TestProxy } from '../support/proxy.js';

export interface OpenAIFixture {
  primary: MockUpstream;
  backup: MockUpstream;
  proxy: TestProxy;
}

export const chatBody = (extra: Record<string, unknown> = {}) => ({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }], ...extra });

/** Starts the fixture around the calling file's tests; `extra` is merged into the proxy's config. */
export function useOpenAIFixture(extra: Record<string, unknown> = {}): OpenAIFixture & { post: (path: string, body: unknown, headers?: Record<string, string>) => Promise<Response> } {
  const f = {} as OpenAIFixture;
  beforeAll(async () => {
    f.primary = await MockUpstream.start('primary');
    f.backup = await MockUpstream.start('backup');
    f.proxy = await startProxy(
      {
        server: { body_limit_mb: 0.01 },
        model_overrides: { 'gpt-4-small': { max_tokens: 55, temperature: 0.3 }, 'alias-model': { alias_for: 'gpt-4-small' } },
        providers: [
          mockProvider('primary', f.primary.url, { models: ['gpt-4o', 'text-embedding-3-small', 'dall-e-3', 'gpt-3.5-turbo-instruct'], api_key_env: 'PRIMARY_KEY' }),
          mockProvider('backup', f.backup.url, { models: ['gpt-4*', 'text-embedding-*'], priority: 2 }),
          mockProvider('keyless', f.backup.url, { models: ['needs-key'], api_key_env: 'UNSET_KEY' }),
        ],
        ...extra,
      },
      { PRIMARY_KEY: 'sk-primary-secret' },
    );
  });
  afterEach(() => {
    f.primary.reset();
    f.backup.reset();
  });
  afterAll(async () => {
    await f.proxy.close();
    await f.primary.close();
    await f.backup.close();
  });
  const post = (path: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> =>
    fetch(`${f.proxy.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });
  return Object.assign(f, { post });
}
