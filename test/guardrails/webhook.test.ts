/* eslint-disable @typescript-eslint/no-explicit-any -- JSON answers are read back loosely */
// Webhook guardrails against a real HTTP service: allow, block, mask, a late answer, a refused
// connection and a malformed answer, each under on_error block and allow. The guardrails are attached
// to virtual keys (none is a default), so this also proves keys and teams carry guardrails.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { EchoUpstream } from '../support/echo-upstream.js';
import { startProxy, type TestProxy } from '../support/proxy.js';

const ADMIN = 'sk-admin-guardrail-webhook-0123456789';
type Mode = 'allow' | 'block' | 'mask' | 'slow' | 'malformed' | 'http500';

let upstream: EchoUpstream;
let proxy: TestProxy;
let service: Server;
let mode: Mode = 'allow';
const calls: any[] = [];
const keys: Record<string, string> = {};

const admin = (path: string, method = 'GET', body?: unknown) =>
  fetch(`${proxy.url}${path}`, { method, headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });

beforeAll(async () => {
  upstream = await new EchoUpstream().listen();
  service = createServer(async (req, res) => {
    let raw = '';
    for await (const chunk of req) raw += chunk;
    const call = JSON.parse(raw);
    calls.push(call);
    if (mode === 'slow') return void setTimeout(() => res.end(JSON.stringify({ action: 'allow' })), 600);
    if (mode === 'http500') return void res.writeHead(500).end('{}');
    if (mode === 'malformed') return void res.end('{"verdict": "yes"}');
    if (mode === 'mask') return void res.end(JSON.stringify({ action: 'mask', reason: 'codename', texts: call.texts.map((t: string) => t.replace(/nightingale/gi, '[CODENAME]')) }));
    res.end(JSON.stringify({ action: mode, reason: mode === 'block' ? 'mentions a codename' : null }));
  });
  await new Promise<void>((resolve) => service.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(service.address() as AddressInfo).port}/check`;
  // A port nobody listens on: the connection is refused.
  const dead = createServer();
  await new Promise<void>((resolve) => dead.listen(0, '127.0.0.1', resolve));
  const deadUrl = `http://127.0.0.1:${(dead.address() as AddressInfo).port}/check`;
  await new Promise<void>((resolve) => dead.close(() => resolve()));
  proxy = await startProxy({
    hot_reload: { enabled: false },
    auth: { admin_keys: [ADMIN] },
    request_logs: { flush_interval_ms: 20 },
    guardrails: {
      definitions: [
        { name: 'policy-closed', type: 'webhook', url, phases: ['input'], timeout_ms: 200, on_error: 'block' },
        { name: 'policy-open', type: 'webhook', url, phases: ['input'], timeout_ms: 200, on_error: 'allow' },
        { name: 'dead-closed', type: 'webhook', url: deadUrl, phases: ['input'], timeout_ms: 200 },
        { name: 'dead-open', type: 'webhook', url: deadUrl, phases: ['input'], timeout_ms: 200, on_error: 'allow' },
        { name: 'secrets', type: 'secrets', phases: ['input'], action: 'block' },
        { name: 'policy-out', type: 'webhook', url, phases: ['output'], timeout_ms: 200 },
      ],
    },
    providers: [{ name: 'oa', type: 'openai', base_url: `${upstream.url}/v1`, models: ['gpt-*'], max_retries: 0, timeout: 5 }],
  });
  for (const name of ['policy-closed', 'policy-open', 'dead-closed', 'dead-open', 'policy-out']) {
    const res = await admin('/v1/keys', 'POST', { alias: name, guardrails: [name] });
    expect(res.status).toBe(201);
    keys[name] = ((await res.json()) as any).key;
  }
});

afterAll(async () => {
  await proxy.close();
  await upstream.close();
  await new Promise<void>((resolve) => service.close(() => resolve()));
});

async function chat(key: string, text: string) {
  const before = upstream.requests.length;
  const res = await fetch(`${proxy.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'gpt-echo', messages: [{ role: 'user', content: text }] }),
  });
  const body = (await res.json()) as any;
  return { status: res.status, body, header: res.headers.get('x-llm-proxy-guardrails'), upstreamCalled: upstream.requests.length > before, sent: upstream.requests.slice(before).map((r) => r.raw).join('') };
}

describe.each(['policy-closed', 'policy-open'])('webhook verdicts (%s: on_error block, then allow)', (name) => {
  test('allow passes the request unchanged, with the documented call body', async () => {
    mode = 'allow';
    calls.length = 0;
    const r = await chat(keys[name], 'hello there');
    expect(r.status).toBe(200);
    expect(r.body.choices[0].message.content).toBe('hello there');
    expect(r.header).toMatch(new RegExp(`^${name}=pass;[\\d.]+ms$`));
    expect(calls[0]).toMatchObject({ guardrail: name, phase: 'input', model: 'gpt-echo', texts: ['hello there'] });
    expect(typeof calls[0].request_id).toBe('string');
  });

  test('block refuses with 400 guardrail_blocked and the reason; the upstream is not called', async () => {
    mode = 'block';
    const r = await chat(keys[name], 'project nightingale');
    expect(r.status).toBe(400);
    expect(r.body.error).toMatchObject({ code: 'guardrail_blocked', guardrail: name, phase: 'input' });
    expect(r.body.error.message).toContain('mentions a codename');
    expect(r.upstreamCalled).toBe(false);
  });

  test('mask sends the service’s texts upstream', async () => {
    mode = 'mask';
    const r = await chat(keys[name], 'about Nightingale today');
    expect(r.status).toBe(200);
    expect(r.sent).toContain('about [CODENAME] today');
    expect(r.sent).not.toMatch(/nightingale/i);
    expect(r.header).toMatch(new RegExp(`^${name}=mask;`));
  });
});

describe.each([
  { failure: 'a late answer', mode: 'slow' as Mode, closed: 'policy-closed', open: 'policy-open', why: /within 200 ms/ },
  { failure: 'HTTP 500', mode: 'http500' as Mode, closed: 'policy-closed', open: 'policy-open', why: /HTTP 500/ },
  { failure: 'a malformed answer', mode: 'malformed' as Mode, closed: 'policy-closed', open: 'policy-open', why: /valid action/ },
  { failure: 'a refused connection', mode: 'allow' as Mode, closed: 'dead-closed', open: 'dead-open', why: /request failed/ },
])('a service that fails with $failure', ({ mode: m, closed, open, why }) => {
  test('on_error: block (the default) refuses, fail closed', async () => {
    mode = m;
    const r = await chat(keys[closed], 'hello');
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe('guardrail_blocked');
    expect(r.body.error.message).toMatch(why);
    expect(r.upstreamCalled).toBe(false);
    expect(r.header).toMatch(new RegExp(`^${closed}=error;`));
  });

  test('on_error: allow lets the request through and records the error', async () => {
    mode = m;
    const r = await chat(keys[open], 'hello');
    expect(r.status).toBe(200);
    expect(r.upstreamCalled).toBe(true);
    expect(r.header).toMatch(new RegExp(`^${open}=error;`));
  });
});

describe('a webhook on the output phase of a stream', () => {
  async function stream(key: string, text: string) {
    const res = await fetch(`${proxy.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-echo', stream: true, messages: [{ role: 'user', content: text }] }),
    });
    let content = '';
    let finish: string | null = null;
    for (const line of (await res.text()).split('\n')) {
      if (!line.startsWith('data: {')) continue;
      const chunk = JSON.parse(line.slice(6));
      content += chunk.choices[0]?.delta?.content ?? '';
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    return { status: res.status, content, finish };
  }
  const long = 'The quick brown fox jumps over the lazy dog, again and again, until the story ends here.';

  test('allow: the whole answer, checked window by window', async () => {
    mode = 'allow';
    calls.length = 0;
    const r = await stream(keys['policy-out'], long);
    expect(r).toEqual({ status: 200, content: long, finish: 'stop' });
    expect(calls.length).toBeGreaterThan(0);
    expect(calls.every((c) => c.phase === 'output' && c.guardrail === 'policy-out')).toBe(true);
    expect(calls.map((c) => c.texts[0]).join('')).toBe(long);
  });

  test('block: the stream ends with content_filter before the blocked window is sent', async () => {
    mode = 'block';
    const r = await stream(keys['policy-out'], long);
    expect(r.status).toBe(200);
    expect(r.finish).toBe('content_filter');
    expect(r.content).toBe('');
  });
});

describe('guardrails on keys and teams', () => {
  test('an unknown guardrail name is refused naming it', async () => {
    const res = await admin('/v1/keys', 'POST', { alias: 'bad', guardrails: ['nope'] });
    expect(res.status).toBe(400);
    expect(((await res.json()) as any).error).toMatchObject({ param: 'guardrails' });
    expect((await admin('/v1/teams', 'POST', { name: 'bad-team', guardrails: ['nope'] })).status).toBe(400);
  });

  test("a team's guardrails apply to its keys, added to the key's own", async () => {
    const team = (await (await admin('/v1/teams', 'POST', { name: 'careful', guardrails: ['secrets'] })).json()) as any;
    expect(team.guardrails).toEqual(['secrets']);
    const key = (await (await admin('/v1/keys', 'POST', { alias: 'in-team', team_id: team.id, guardrails: ['policy-open'] })).json()) as any;
    expect(key.guardrails).toEqual(['policy-open']);
    mode = 'allow';
    const leaked = `my key is ${'sk-proj-'}${'A1b2C3d4E5'.repeat(5)}`;
    const r = await chat(key.key, leaked);
    expect(r.status).toBe(400);
    expect(r.body.error.guardrail).toBe('secrets');
    expect(r.upstreamCalled).toBe(false);
    const ok = await chat(key.key, 'nothing secret');
    expect(ok.header).toMatch(/^secrets=pass;[\d.]+ms, policy-open=pass;[\d.]+ms$/);
    // Detached again (PATCH to null): the team's still applies, the key's does not.
    await admin(`/v1/keys/${key.id}`, 'PATCH', { guardrails: null });
    await expect.poll(async () => (await chat(key.key, 'hi')).header, { timeout: 5000 }).toMatch(/^secrets=pass;[\d.]+ms$/);
  });

  test('without any guardrail a request carries no guardrail header', async () => {
    const plain = (await (await admin('/v1/keys', 'POST', { alias: 'plain' })).json()) as any;
    const r = await chat(plain.key, 'hello');
    expect(r.status).toBe(200);
    expect(r.header).toBeNull();
  });
});
