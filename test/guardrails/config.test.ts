// The guardrails section is checked at start (and by validate-config) like every other: names unique
// and known, patterns that compile, types and entities that exist, unknown keys named. The issue's own
// example configuration loads as written.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/load.js';
import { EchoUpstream } from '../support/echo-upstream.js';
import { startProxy } from '../support/proxy.js';

const PROVIDER = 'providers:\n  - name: openai\n    type: openai\n    models: [gpt-4o]\n';

function problems(text: string): string[] {
  const dir = mkdtempSync(path.join(tmpdir(), 'llm-proxy-guardrails-'));
  writeFileSync(path.join(dir, 'c.yaml'), PROVIDER + text);
  try {
    loadConfig({ file: path.join(dir, 'c.yaml'), env: {} });
    return [];
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return error.problems;
  }
}

describe('guardrails configuration', () => {
  test("the issue's example loads", () => {
    expect(
      problems(`guardrails:
  definitions:
    - { name: pii, type: pii, phases: [input, output], action: mask, on_error: block }
    - { name: secrets, type: secrets, phases: [input, output], action: block }
    - { name: project-words, type: regex, patterns: ["(?i)project[- ]nightingale"], phases: [input], action: block }
    - { name: policy, type: webhook, url: "http://127.0.0.1:9000/check", phases: [input], timeout_ms: 300, on_error: block }
  default: [pii, secrets]
`),
    ).toEqual([]);
  });

  test.each([
    ['guardrails:\n  definitions:\n    - { name: a, type: pii }\n    - { name: a, type: secrets }\n', "guardrails.definitions[1].name: 'a' is defined twice"],
    ['guardrails:\n  definitions: []\n  default: [pii]\n', "guardrails.default[0]: 'pii' is not a guardrail defined in guardrails.definitions"],
    ['guardrails:\n  definitions:\n    - { name: r, type: regex, patterns: ["(unclosed"] }\n', 'guardrails.definitions[0].patterns[0]'],
    ['guardrails:\n  definitions:\n    - { name: p, type: pii, entities: [emails] }\n', "guardrails.definitions[0].entities[0]: 'emails' is not one of"],
    ['guardrails:\n  definitions:\n    - { name: p, type: antivirus }\n', 'guardrails.definitions[0]'],
    ['guardrails:\n  definitions:\n    - { name: p, type: pii, action: redact }\n', "guardrails.definitions[0].action: 'redact' is not one of [block, mask, monitor]"],
    ['guardrails:\n  definitions:\n    - { name: p, type: pii, pattern: ["x"] }\n', 'guardrails.definitions[0].pattern: unknown key'],
    ['guardrails:\n  definitions:\n    - { name: w, type: webhook, url: "ftp://x" }\n', "guardrails.definitions[0].url: 'ftp://x' is not a valid http(s) URL"],
    ['guardrails:\n  definitions:\n    - { name: "has space", type: pii }\n', 'guardrails.definitions[0].name: must be 1–64 characters'],
    ['guardrails:\n  defualt: []\n', "guardrails.defualt: unknown key; did you mean 'default'?"],
  ])('%s', (text, expected) => {
    const found = problems(text);
    expect(found.some((p) => p.startsWith(expected)), found.join('\n')).toBe(true);
  });
});

describe('a reload', () => {
  test('applies changed guardrails to the next request, without a restart', async () => {
    const upstream = await new EchoUpstream().listen();
    const base = { hot_reload: { enabled: false }, providers: [{ name: 'oa', type: 'openai', base_url: `${upstream.url}/v1`, models: ['gpt-*'], max_retries: 0 }] };
    const proxy = await startProxy(base);
    const ask = () =>
      fetch(`${proxy.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'gpt-x', messages: [{ role: 'user', content: 'project nightingale' }] }) });
    try {
      expect((await ask()).status).toBe(200);
      writeFileSync(proxy.configFile, JSON.stringify({ ...base, guardrails: { definitions: [{ name: 'words', type: 'regex', patterns: ['(?i)nightingale'] }], default: ['words'] } }));
      expect(proxy.gateway.reload('test').success).toBe(true);
      const blocked = await ask();
      expect(blocked.status).toBe(400);
      expect(((await blocked.json()) as { error: { guardrail: string } }).error.guardrail).toBe('words');
    } finally {
      await proxy.close();
      await upstream.close();
    }
  });
});
