import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { Pool } from 'undici';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { AttemptSignal } from '../../src/routing/attempt-signal.js';

let server: Server;
let origin = '';
let closedByClient = 0;

beforeAll(async () => {
  // Answers headers at once and never ends the body: only an abort ends the exchange.
  server = createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.write('partial');
    req.socket.on('close', () => closedByClient++);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

test('undici aborts a request in flight with the reason given', async () => {
  const pool = new Pool(origin);
  const signal = new AttemptSignal();
  const reason = new Error('attempt timed out');
  const pending = pool.request({ method: 'GET', path: '/', signal: signal.asAbortSignal() }).then((res) => res.body.text());
  await sleep(50);
  signal.abort(reason);
  await expect(pending).rejects.toBe(reason);
  await expect.poll(() => closedByClient).toBeGreaterThan(0);
  await pool.destroy();
});

test('a request given an already aborted signal is not sent', async () => {
  const pool = new Pool(origin);
  const signal = new AttemptSignal();
  signal.abort(new Error('gone'));
  await expect(pool.request({ method: 'GET', path: '/', signal: signal.asAbortSignal() })).rejects.toThrow('gone');
  await pool.destroy();
});

test('node:timers/promises stops sleeping when it fires; listeners run once, removed ones never', async () => {
  const signal = new AttemptSignal();
  const slept = sleep(10_000, undefined, { signal: signal.asAbortSignal() });
  let calls = 0;
  const removed = () => calls--;
  signal.addEventListener('abort', () => calls++);
  signal.addEventListener('abort', removed);
  signal.removeEventListener('abort', removed);
  setTimeout(() => signal.abort(new Error('stop')), 20);
  await expect(slept).rejects.toMatchObject({ name: 'AbortError' });
  signal.abort(new Error('again'));
  expect(calls).toBe(1);
  expect(signal.aborted).toBe(true);
  expect(() => signal.throwIfAborted()).toThrow('stop');
});
