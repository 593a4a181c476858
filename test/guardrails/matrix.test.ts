/* eslint-disable @typescript-eslint/no-explicit-any -- JSON answers are read back loosely */
// The guardrail coverage matrix, generated: every model endpoint, plain and streamed, pass-through
// and translated, × {input, output} × {mask, block, monitor}, against an upstream that records what
// it received and echoes the request's text back split into 3-character chunks. No masked value
// reaches the upstream, no blocked content reaches the client, every stream ends its API's own way,
// and the ledger row says what happened.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { EchoUpstream } from '../support/echo-upstream.js';
import { startProxy, type TestProxy } from '../support/proxy.js';
import { cases, PATHS, plainText, readStream, requestBody, type Case } from './matrix-cases.js';

const ADMIN = 'sk-admin-guardrail-matrix-0123456789';
const EMAIL = 'alice.smith@example.com';
const CARD = '4111 1111 1111 1111';
const TEXT = `Write to ${EMAIL} about card ${CARD} today.`;
const PHASES = ['input', 'output'] as const;
const ACTIONS = ['mask', 'block', 'monitor'] as const;

let upstream: EchoUpstream;
const proxies = new Map<string, TestProxy>();

beforeAll(async () => {
  upstream = await new EchoUpstream().listen();
  for (const phase of PHASES) {
    for (const action of ACTIONS) {
      const proxy = await startProxy({
        hot_reload: { enabled: false },
        auth: { admin_keys: [ADMIN] },
        request_logs: { flush_interval_ms: 20 },
        guardrails: { definitions: [{ name: 'pii', type: 'pii', phases: [phase], action, entities: ['email', 'card'] }], default: ['pii'], stream: { window_chars: 8, overlap_chars: 30 } },
        providers: [
          { name: 'oa', type: 'openai', base_url: `${upstream.url}/v1`, models: ['gpt-*'], responses_api: true, max_retries: 0, timeout: 5 },
          { name: 'claude', type: 'anthropic', base_url: upstream.url, models: ['claude-*'], max_retries: 0, timeout: 5 },
        ],
      });
      proxies.set(`${phase}/${action}`, proxy);
    }
  }
});

afterAll(async () => {
  for (const proxy of proxies.values()) await proxy.close();
  await upstream.close();
});

async function ledgerRow(proxy: TestProxy, requestId: string): Promise<Record<string, any>> {
  let row: Record<string, any> | null = null;
  await expect
    .poll(
      async () => {
        const res = await fetch(`${proxy.url}/v1/logs/${requestId}`, { headers: { authorization: `Bearer ${ADMIN}` } });
        row = res.status === 200 ? ((await res.json()) as Record<string, any>) : null;
        return row !== null;
      },
      { timeout: 5000, interval: 25 },
    )
    .toBe(true);
  return row!;
}

const hasOutput = (c: Case) => c.endpoint !== 'embeddings' && c.endpoint !== 'images';
const label = (c: Case) => `${c.endpoint} ${c.stream ? 'stream' : 'plain'} (${c.path}, ${c.model})`;

describe.each(PHASES.flatMap((phase) => ACTIONS.map((action) => ({ phase, action }))))('$phase guardrail, action $action', ({ phase, action }) => {
  const applicable = cases().filter((c) => phase === 'input' || hasOutput(c));
  test.each(applicable.map((c) => ({ name: label(c), c })))('$name', async ({ c }) => {
    const proxy = proxies.get(`${phase}/${action}`)!;
    const requestId = `matrix-${phase}-${action}-${c.endpoint}-${c.path}-${c.stream ? 's' : 'p'}`;
    const before = upstream.requests.length;
    const headers: Record<string, string> = { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json', 'x-request-id': requestId };
    if (c.endpoint === 'messages') headers['anthropic-version'] = '2023-06-01';
    const res = await fetch(`${proxy.url}${PATHS[c.endpoint]}`, { method: 'POST', headers, body: JSON.stringify(requestBody(c, TEXT)) });
    const raw = await res.text();
    const sentUpstream = upstream.requests.slice(before).map((r) => r.raw).join('\n');
    const row = await ledgerRow(proxy, requestId);
    const outcome = (row.guardrails as Array<Record<string, any>>).find((o) => o.name === 'pii' && o.phase === phase);

    const blockedPlain = action === 'block' && (phase === 'input' || !c.stream);
    if (blockedPlain) {
      expect(res.status, raw).toBe(400);
      const body = JSON.parse(raw) as Record<string, any>;
      if (c.endpoint === 'messages') {
        expect(body.type).toBe('error');
        expect(body.error.type).toBe('invalid_request_error');
        expect(body.error.message).toContain("'pii'");
      } else {
        expect(body.error.code).toBe('guardrail_blocked');
        expect(body.error.guardrail).toBe('pii');
      }
      expect(raw).not.toContain(EMAIL);
      // An input block never calls the upstream.
      if (phase === 'input') expect(upstream.requests.length).toBe(before);
      expect(row.status).toBe(400);
      expect(row.error_code).toBe('guardrail_blocked');
      expect(outcome?.decision).toBe('block');
      return;
    }

    expect(res.status, raw).toBe(200);
    expect(res.headers.get('x-llm-proxy-guardrails') ?? '').toMatch(phase === 'input' ? /pii=/ : /.*/);
    // What reached the upstream.
    if (phase === 'input' && action === 'mask') {
      expect(sentUpstream).not.toContain(EMAIL);
      expect(sentUpstream).not.toContain(CARD);
      expect(sentUpstream).toContain('<EMAIL_1>');
    } else expect(sentUpstream).toContain(EMAIL);

    if (hasOutput(c)) {
      const read = c.stream ? readStream(c, raw) : { text: plainText(c, JSON.parse(raw)), ending: 'stop', problems: [] };
      expect(read.problems).toEqual([]);
      // Log probabilities spell the text out token by token: joined, they must not hold what was taken out.
      const tokens = [...raw.matchAll(/"token":"((?:[^"\\]|\\.)*)"/g)].map((m) => m[1]).join('') + [...raw.matchAll(/"tokens":\[([^\]]*)\]/g)].map((m) => (JSON.parse(`[${m[1]}]`) as string[]).join('')).join('');
      if (phase === 'output' && action !== 'monitor') expect(tokens).not.toContain('alice.smith');
      if (phase === 'output' && action === 'block') {
        // Streamed: ended as the API ends a filtered answer, nothing of the value sent.
        expect(read.ending).toBe('filtered');
        expect(read.text).not.toContain(EMAIL);
        expect(raw).not.toContain('alice.smith');
        expect(row.error_code).toBe('guardrail_blocked');
      } else if (phase === 'output' && action === 'mask') {
        expect(read.ending).toBe('stop');
        expect(raw).not.toContain(EMAIL);
        expect(read.text).toBe(TEXT.replace(EMAIL, '<EMAIL_1>').replace(CARD, '<CARD_1>'));
      } else {
        // input mask: the placeholders come back as the values; monitor: nothing changed.
        expect(read.ending).toBe('stop');
        expect(read.text).toBe(TEXT);
      }
    }
    if (!(phase === 'output' && action === 'block')) expect(row.error_code).toBeNull();
    expect(outcome?.decision).toBe(action);
    // A stream that is blocked stops at the first value found.
    if (phase === 'output' && action === 'block') expect(outcome?.entities).toContain('EMAIL');
    else expect(outcome?.entities.sort()).toEqual(['CARD', 'EMAIL']);
  });
});

test('log probabilities do not carry what an output guardrail masked (one chunk holding the whole answer)', async () => {
  const proxy = proxies.get('output/mask')!;
  upstream.chunkChars = 500;
  try {
    for (const c of cases().filter((x) => x.stream && (x.endpoint === 'chat' || x.endpoint === 'completions') && x.path === 'pass-through')) {
      const res = await fetch(`${proxy.url}${PATHS[c.endpoint]}`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' }, body: JSON.stringify(requestBody(c, TEXT)) });
      const raw = await res.text();
      expect(readStream(c, raw).text).toBe(TEXT.replace(EMAIL, '<EMAIL_1>').replace(CARD, '<CARD_1>'));
      expect(raw).not.toContain(EMAIL);
    }
  } finally {
    upstream.chunkChars = 3;
  }
});
