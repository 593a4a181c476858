// Running without a platform around it: HTTPS from server.tls (a renewed certificate is served after
// SIGHUP, without a restart) and logging.file reopened on SIGHUP, so logrotate can move it away.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { connect } from 'node:tls';
import { afterEach, expect, test } from 'vitest';
import { freePort, startCli, type CliProcess } from '../support/cli.js';
import { writeConfig } from '../support/proxy.js';

const running: CliProcess[] = [];
afterEach(() => {
  for (const cli of running.splice(0)) cli.child.kill('SIGKILL');
});

/** A self-signed certificate for 127.0.0.1, written as cert.pem and key.pem in `dir`. */
function selfSigned(dir: string, name: string): void {
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', `/CN=${name}`, '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem')], { stdio: 'ignore' });
}

/** The subject CN of the certificate a new connection is served, and the body of GET /health/live over it. */
function served(port: number): Promise<{ cn: string; body: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, rejectUnauthorized: false }, () => {
      const cn = String(socket.getPeerCertificate().subject.CN);
      let body = '';
      socket.on('data', (d: Buffer) => (body += d.toString()));
      socket.on('end', () => resolve({ cn, body }));
      socket.write('GET /health/live HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n');
    });
    socket.on('error', reject);
  });
}

test('server.tls serves HTTPS, and after SIGHUP new connections get the renewed certificate', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'llm-proxy-tls-'));
  selfSigned(dir, 'first-cert');
  const port = await freePort();
  const cli = await startCli(writeConfig({ server: { port, tls: { cert_file: path.join(dir, 'cert.pem'), key_file: path.join(dir, 'key.pem') } }, hot_reload: { enabled: false }, providers: [] }));
  running.push(cli);
  expect(cli.stdout).toContain(`listening on https://127.0.0.1:${port}`);
  const first = await served(port);
  expect(first.cn).toBe('first-cert');
  expect(first.body).toMatch(/^HTTP\/1.1 200/);
  expect(first.body).toContain('"status":"alive"');

  selfSigned(dir, 'renewed-cert');
  cli.child.kill('SIGHUP');
  await expect.poll(() => cli.stdout.includes('TLS certificate reloaded')).toBe(true);
  expect((await served(port)).cn).toBe('renewed-cert');
});

test('a TLS setting naming only one file is refused, naming the setting', async () => {
  const port = await freePort();
  await expect(startCli(writeConfig({ server: { port, tls: { cert_file: '/nonexistent/cert.pem' } }, providers: [] }))).rejects.toThrow(/server\.tls.*set both cert_file and key_file/);
});

test('logging.file is reopened on SIGHUP: after logrotate moves it, new lines go to a new file', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'llm-proxy-logs-'));
  const file = path.join(dir, 'proxy.log');
  const port = await freePort();
  const listening = () => existsSync(file) && readFileSync(file, 'utf8').includes('llm-proxy listening');
  const cli = await startCli(writeConfig({ server: { port }, logging: { file }, hot_reload: { enabled: false }, providers: [] }), {}, listening);
  running.push(cli);
  await fetch(`http://127.0.0.1:${port}/v1/models`, { headers: { 'x-request-id': 'before-rotation' } });
  await expect.poll(() => readFileSync(file, 'utf8')).toContain('before-rotation');
  renameSync(file, `${file}.1`);
  cli.child.kill('SIGHUP');
  await new Promise((resolve) => setTimeout(resolve, 300));
  await fetch(`http://127.0.0.1:${port}/v1/models`, { headers: { 'x-request-id': 'after-rotation' } });
  await expect.poll(() => readFileSync(file, 'utf8'), { timeout: 5000 }).toContain('after-rotation');
  expect(readFileSync(`${file}.1`, 'utf8')).not.toContain('after-rotation');
});
