// The guardrails section is checked at start (and by validate-config) like every other: names unique
// and known, patterns that compile, types and entities that exist, unknown keys named. The issue's own
// example configuration loads as written.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/load.js';

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
