// deploy/nginx/llm-proxy.conf run by a real nginx (Debian's; .ci/run installs it): TLS in front of the
// proxy, a chat answered through it, and a stream whose chunks reach the client one by one while the
// upstream is still sending (SSE unbuffered), not in one piece at the end.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { freePort } from '../support/cli.js';
import { chatStream, MockUpstream } from '../support/mock-openai.js';
import { mockProvider, startProxy, type TestProxy } from '../support/proxy.js';

const NGINX = '/usr/sbin/nginx';
let upstream: MockUpstream;
let proxy: TestProxy;
let nginx: ChildProcess;
let port: number;

beforeAll(async () => {
  upstream = await MockUpstream.start('nginx');
  proxy = await startProxy({ hot_reload: { enabled: false }, providers: [mockProvider('a', upstream.url)] });
  const dir = mkdtempSync(path.join(tmpdir(), 'llm-proxy-nginx-'));
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=llm.example.com', '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem')], { stdio: 'ignore' });
  port = await freePort();
  const plain = await freePort();
  // The shipped site, with this test's ports and certificate.
  const site = readFileSync(path.resolve(import.meta.dirname, '../../deploy/nginx/llm-proxy.conf'), 'utf8')
    .replace('server 127.0.0.1:8000;', `server ${new URL(proxy.url).host};`)
    .replace('listen 443 ssl http2;', `listen 127.0.0.1:${port} ssl http2;`)
    .replace('listen 80;', `listen 127.0.0.1:${plain};`)
    .replace('/etc/ssl/llm-proxy/fullchain.pem', path.join(dir, 'cert.pem'))
    .replace('/etc/ssl/llm-proxy/privkey.pem', path.join(dir, 'key.pem'));
  expect(site).toContain(`listen 127.0.0.1:${port}`);
  writeFileSync(path.join(dir, 'site.conf'), site);
  writeFileSync(
    path.join(dir, 'nginx.conf'),
    `pid ${dir}/nginx.pid;\nerror_log ${dir}/error.log;\nevents {}\nhttp {\n  access_log off;\n  client_body_temp_path ${dir}/body;\n  proxy_temp_path ${dir}/proxy;\n  fastcgi_temp_path ${dir}/fastcgi;\n  uwsgi_temp_path ${dir}/uwsgi;\n  scgi_temp_path ${dir}/scgi;\n  include ${dir}/site.conf;\n}\n`,
  );
  execFileSync(NGINX, ['-t', '-q', '-p', dir, '-c', path.join(dir, 'nginx.conf')]);
  nginx = spawn(NGINX, ['-p', dir, '-c', path.join(dir, 'nginx.conf'), '-g', 'daemon off;'], { stdio: 'ignore' });
  for (let i = 0; i < 100; i++) {
    const up = await get('/health/live').then(() => true, () => false);
    if (up) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}, 60_000);

afterAll(async () => {
  nginx?.kill('SIGTERM');
  await proxy?.close();
  await upstream?.close();
});

/** A request through nginx over TLS; resolves with the status and the body's pieces as they arrived. */
function get(pathName: string, body?: unknown): Promise<{ status: number; chunks: string[] }> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = request(
      { host: '127.0.0.1', port, path: pathName, method: payload ? 'POST' : 'GET', rejectUnauthorized: false, headers: payload ? { 'content-type': 'application/json' } : {} },
      (res) => {
        const chunks: string[] = [];
        res.setEncoding('utf8');
        res.on('data', (piece: string) => chunks.push(piece));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, chunks }));
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

test('a chat answered through nginx over TLS', async () => {
  const res = await get('/v1/chat/completions', { model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] });
  expect(res.status).toBe(200);
  expect(JSON.parse(res.chunks.join('')).choices[0].message.content).toBe('Hello from nginx');
});

test('a stream reaches the client chunk by chunk through nginx (SSE unbuffered)', async () => {
  const words = Array.from({ length: 6 }, (_, i) => `w${i} `);
  upstream.enqueue({ stream: chatStream(words), gapMs: 250 });
  const res = await get('/v1/chat/completions', { model: 'gpt-4o', stream: true, messages: [{ role: 'user', content: 'stream' }] });
  expect(res.status).toBe(200);
  const text = res.chunks.join('');
  for (const word of words) expect(text).toContain(word);
  expect(text.trimEnd().endsWith('data: [DONE]')).toBe(true);
  // Buffered, the answer would come as one piece when the upstream ended.
  expect(res.chunks.filter((piece) => piece.includes('"content"')).length).toBeGreaterThanOrEqual(words.length - 1);
});
