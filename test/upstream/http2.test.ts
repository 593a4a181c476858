// HTTP/2 to providers: `http2: true` on an https provider offers h2 through ALPN and the upstream's
// choice is used; without it, or on plain http, HTTP/1.1 keep-alive.
// The upstream is node:http2 with TLS (a self-signed certificate trusted through http_client.ca_file).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createSecureServer, type Http2SecureServer } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startProxy, type TestProxy } from '../support/proxy.js';

let server: Http2SecureServer;
let base = '';
let caFile = '';
const seen: Array<{ version: string; path: string }> = [];
const sessions = new Set<unknown>();

beforeAll(async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'llm-proxy-h2-'));
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem')], { stdio: 'ignore' });
  caFile = path.join(dir, 'cert.pem');
  server = createSecureServer({ key: readFileSync(path.join(dir, 'key.pem')), cert: readFileSync(caFile), allowHTTP1: true }, (req, res) => {
    seen.push({ version: req.httpVersion, path: req.url });
    if (req.httpVersion === '2.0') sessions.add(req.stream.session);
    let raw = '';
    req.on('data', (d: Buffer) => (raw += d.toString()));
    req.on('end', () => {
      const body = JSON.parse(raw || '{}') as { stream?: boolean };
      const base = { id: 'chatcmpl-h2', created: 1, model: 'm' };
      if (body.stream) {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        for (const word of ['over ', 'HTTP/', req.httpVersion]) res.write(`data: ${JSON.stringify({ ...base, object: 'chat.completion.chunk', choices: [{ index: 0, delta: { content: word }, finish_reason: null }] })}\n\n`);
        res.end(`data: ${JSON.stringify({ ...base, object: 'chat.completion.chunk', choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] })}\n\ndata: [DONE]\n\n`);
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ ...base, object: 'chat.completion', choices: [{ index: 0, message: { role: 'assistant', content: `over HTTP/${req.httpVersion}` }, finish_reason: 'stop' }], usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 } }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `https://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

async function withProxy(http2: boolean, run: (client: OpenAI) => Promise<void>): Promise<void> {
  const proxy: TestProxy = await startProxy({
    hot_reload: { enabled: false },
    http_client: { ca_file: caFile },
    providers: [{ name: 'tls', type: 'openai_compatible', base_url: base, models: ['*'], http2, max_retries: 0, timeout: 5 }],
  });
  try {
    await run(new OpenAI({ baseURL: `${proxy.url}/v1`, apiKey: 'unused', maxRetries: 0 }));
  } finally {
    await proxy.close();
  }
}

describe('HTTP/2 to providers', () => {
  test('http2: true speaks h2 to an upstream that offers it, plain and streamed', async () => {
    seen.length = 0;
    sessions.clear();
    await withProxy(true, async (client) => {
      const answers = await Promise.all(Array.from({ length: 8 }, () => client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'hi' }] })));
      expect(answers.map((a) => a.choices[0].message.content)).toEqual(Array(8).fill('over HTTP/2.0'));
      let text = '';
      for await (const chunk of await client.chat.completions.create({ model: 'm', stream: true, messages: [{ role: 'user', content: 'hi' }] })) text += chunk.choices[0]?.delta?.content ?? '';
      expect(text).toBe('over HTTP/2.0');
    });
    expect(seen.length).toBe(9);
    expect(seen.every((s) => s.version === '2.0')).toBe(true);
    // undici sends a POST (not idempotent) alone on an HTTP/2 connection while another is in flight on it,
    // so concurrent requests still open connections of their own; sequential ones reuse them.
    expect(sessions.size).toBeLessThanOrEqual(8);
  });

  test('without it, HTTP/1.1 (the default)', async () => {
    seen.length = 0;
    await withProxy(false, async (client) => {
      const answer = await client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'hi' }] });
      expect(answer.choices[0].message.content).toBe('over HTTP/1.1');
    });
    expect(seen.map((s) => s.version)).toEqual(['1.1']);
  });
});
