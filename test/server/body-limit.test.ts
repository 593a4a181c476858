// A body over server.body_limit_mb reaches real clients as the documented 413, not as a broken pipe:
// the rest of the body is read and discarded (up to a bound) before the answer. The proxy runs in its
// own process, as in production: in the test's process the client's writes and the server's answer
// would take turns on one event loop and hide the race.
import { request as httpRequest } from 'node:http';
import OpenAI, { APIError } from 'openai';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { drainLimit } from '../../src/server/body.js';
import { freePort, startCli, type CliProcess } from '../support/cli.js';
import { MockUpstream } from '../support/mock-openai.js';
import { mockProvider, writeConfig } from '../support/proxy.js';

let upstream: MockUpstream;
let cli: CliProcess;
let url: string;

/** Requests the proxy has logged with this request id. */
const logged = (id: string) => cli.stdout.split('\n').filter((line) => line.includes(`"request_id":"${id}"`)).length;

beforeAll(async () => {
  upstream = await MockUpstream.start('body-limit');
  const port = await freePort();
  url = `http://127.0.0.1:${port}`;
  cli = await startCli(writeConfig({ server: { port, body_limit_mb: 10 }, providers: [mockProvider('alpha', upstream.url, { models: ['gpt-4o'] })] }));
});
afterAll(async () => {
  cli.child.kill('SIGKILL');
  await upstream.close();
});

/** Writes `size` bytes of a JSON body in 64 KB chunks with a raw http client; resolves with the answer. */
function rawPost(url: string, size: number, chunked = false): Promise<{ status: number; body: string; error?: string }> {
  return new Promise((resolve) => {
    const head = '{"model":"gpt-4o","messages":[{"role":"user","content":"';
    const tail = '"}]}';
    const req = httpRequest(`${url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(chunked ? {} : { 'content-length': String(size) }) },
    });
    let answered = false;
    req.on('response', (res) => {
      answered = true;
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', (error) => {
      if (!answered) resolve({ status: 0, body: '', error: (error as NodeJS.ErrnoException).code ?? error.message });
    });
    const filler = Buffer.alloc(64 * 1024, 'x');
    let written = 0;
    const writeMore = (): void => {
      if (written === 0) written += req.write(head) ? head.length : head.length;
      while (written < size - tail.length) {
        const n = Math.min(filler.length, size - tail.length - written);
        written += n;
        if (!req.write(filler.subarray(0, n))) {
          req.once('drain', writeMore);
          return;
        }
      }
      req.end(tail);
    };
    writeMore();
  });
}

describe('bodies over server.body_limit_mb', () => {
  test('a raw Node http client writing a 12 MB body reads 413 payload_too_large', async () => {
    const res = await rawPost(url, 12 * 1024 * 1024);
    expect(res.error).toBeUndefined();
    expect(res.status).toBe(413);
    expect(JSON.parse(res.body).error).toMatchObject({ code: 'payload_too_large', type: 'invalid_request_error' });
  });

  test('the same with a chunked body (no content-length)', async () => {
    const res = await rawPost(url, 12 * 1024 * 1024, true);
    expect(res.error).toBeUndefined();
    expect(res.status).toBe(413);
    expect(JSON.parse(res.body).error.code).toBe('payload_too_large');
  });

  test('the openai SDK raises APIError 413 and does not retry', async () => {
    const client = new OpenAI({ baseURL: `${url}/v1`, apiKey: 'unused', maxRetries: 2, defaultHeaders: { 'x-request-id': 'sdk-413' } });
    const error = await client.chat.completions
      .create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'x'.repeat(12 * 1024 * 1024) }] })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(APIError);
    expect((error as APIError).status).toBe(413);
    expect((error as APIError).constructor.name).not.toBe('APIConnectionError');
    expect((error as APIError & { error?: { code?: string } }).error?.code).toBe('payload_too_large');
    await expect.poll(() => logged('sdk-413')).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(logged('sdk-413')).toBe(1); // no retry followed
    expect(upstream.requests).toHaveLength(0);
  });

  test('a body past the discard bound gets its answer and then the connection is closed', async () => {
    expect(drainLimit(10 * 1024 * 1024)).toBeLessThan(80 * 1024 * 1024);
    const res = await rawPost(url, 80 * 1024 * 1024);
    // Either the 413 was read before the close, or the client saw the reset while still writing; the
    // server never reads the whole 80 MB.
    if (res.status) expect(res.status).toBe(413);
    else expect(['ECONNRESET', 'EPIPE']).toContain(res.error);
  });

  test('a chunked body past the bound: read no further than the bound, then closed', async () => {
    const res = await rawPost(url, 80 * 1024 * 1024, true);
    if (res.status) expect(res.status).toBe(413);
    else expect(['ECONNRESET', 'EPIPE']).toContain(res.error);
  });

  test('a body shorter than its Content-Length claims is refused, not parsed', async () => {
    const res = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = httpRequest(`${url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': '100' } });
      req.on('response', (r) => {
        let body = '';
        r.on('data', (c: Buffer) => (body += c.toString()));
        r.on('end', () => resolve({ status: r.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      req.write('{"model":"gpt-4o"}');
      setTimeout(() => req.socket?.end(), 50);
    }).catch(() => ({ status: 0, body: '' }));
    expect([0, 400]).toContain(res.status);
    expect(upstream.requests).toHaveLength(0);
  });

  test('the server still answers after the oversize requests', async () => {
    const res = await fetch(`${url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(res.status).toBe(200);
  });
});
