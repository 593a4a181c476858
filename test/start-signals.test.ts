// `npm start` hands signals to node (the script execs it): SIGTERM to npm's pid stops the server and
// frees its port (regression: npm's `sh -c` took the signal and died, leaving node serving).
import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import { expect, test } from 'vitest';
import { freePort } from './support/cli.js';
import { writeConfig } from './support/proxy.js';

const listening = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });

test('npm start, then SIGTERM to npm: the port is free', async () => {
  const port = await freePort();
  const config = writeConfig({ server: { port }, hot_reload: { enabled: false }, providers: [{ name: 'mock', type: 'openai_compatible', base_url: 'http://127.0.0.1:9/v1', models: ['*'] }] });
  const npm = spawn('npm', ['start', '--silent', '--', '--config', config], { env: { ...process.env, PROXY_API_LOG_LEVEL: 'info', PROXY_API_PROXY_API_KEYS: '', PROXY_API_ADMIN_KEYS: '' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  npm.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  npm.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  try {
    await expect.poll(() => out.includes('llm-proxy listening'), { timeout: 20_000, interval: 100, message: out }).toBe(true);
    expect(await listening(port)).toBe(true);
    const exited = new Promise<number | null>((resolve) => npm.once('exit', (code) => resolve(code)));
    npm.kill('SIGTERM');
    await exited;
    await expect.poll(() => listening(port), { timeout: 10_000, interval: 100 }).toBe(false);
  } catch (error) {
    throw new Error(`${(error as Error).message}\n${out}`);
  } finally {
    npm.kill('SIGKILL');
  }
}, 40_000);
