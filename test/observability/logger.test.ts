import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect, test } from 'vitest';
import pino from 'pino';
import { BatchingDestination, createLogger, isoTime, LazyChildLogger } from '../../src/observability/logger.js';

test('secrets in headers, request headers, key fields and the configured key header are redacted', async () => {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'llm-proxy-log-')), 'out.log');
  const logger = createLogger({ level: 'info', format: 'json', file, redact: ['extra.secret'] }, { api_key_header: 'X-Custom-Key' } as never);
  logger.info(
    {
      headers: { authorization: 'Bearer s1', 'x-api-key': 's2', 'x-custom-key': 's3', 'api-key': 's4', 'x-goog-api-key': 's5', accept: 'keep-me' },
      req: { headers: { authorization: 's6' } },
      api_key: 's7',
      extra: { secret: 's8' },
    },
    'check',
  );
  // The destination opens and writes asynchronously.
  const read = () => (existsSync(file) ? readFileSync(file, 'utf8') : '');
  await expect.poll(read, { timeout: 5000 }).toContain('"check"');
  const text = read();
  for (const secret of ['s1', 's2', 's3', 's4', 's5', 's6', 's7', 's8']) expect(text).not.toContain(`"${secret}"`);
  expect(text).toContain('keep-me');
  expect(JSON.parse(text).headers.authorization).toBe('[REDACTED]');
});

test('the timestamp is ISO 8601 with milliseconds, as pino.stdTimeFunctions.isoTime writes it', () => {
  for (let i = 0; i < 50; i++) {
    const before = Date.now();
    const field = isoTime();
    const after = Date.now();
    const match = /^,"time":"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z)"$/.exec(field);
    expect(match, field).not.toBeNull();
    const at = Date.parse(match![1]);
    expect(at).toBeGreaterThanOrEqual(before);
    expect(at).toBeLessThanOrEqual(after);
  }
});

test('log lines are written in batches: when a batch is full, on the timer, and on flush', async () => {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'llm-proxy-log-')), 'batch.log');
  const read = () => readFileSync(file, 'utf8');
  const slow = new BatchingDestination(pino.destination({ dest: file, sync: true }), 100, 60_000);
  slow.write('{"n":1}\n');
  slow.write('{"n":2}\n');
  expect(read()).toBe('');
  slow.flushSync();
  expect(read()).toBe('{"n":1}\n{"n":2}\n');
  const long = `{"pad":"${'x'.repeat(120)}"}\n`;
  slow.write(long);
  expect(read()).toBe(`{"n":1}\n{"n":2}\n${long}`);
  slow.write('{"n":3}\n');
  await new Promise<void>((resolve) => slow.flush(() => resolve()));
  expect(read().endsWith('{"n":3}\n')).toBe(true);
  slow.end();

  const timed = new BatchingDestination(pino.destination({ dest: file, sync: true }), 4096, 20);
  timed.write('{"n":4}\n');
  await expect.poll(read, { timeout: 2000 }).toContain('{"n":4}');
  timed.end();
});

test('a logger built by createLogger writes its lines on flush, through the batching destination', () => {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'llm-proxy-log-')), 'out.log');
  const logger = createLogger({ level: 'info', format: 'json', file, redact: [] }, { api_key_header: 'x-api-key' } as never);
  logger.info({ n: 1 }, 'first');
  logger.info({ n: 2 }, 'second');
  logger.flush();
  const lines = readFileSync(file, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as { msg: string; level: string; service: string });
  expect(lines.map((line) => line.msg)).toEqual(['first', 'second']);
  expect(lines[0]).toMatchObject({ level: 'info', service: 'llm-proxy' });
});

test('a request logger is made only when something logs through it, and carries its bindings', () => {
  const lines: string[] = [];
  const root = pino({ level: 'info' }, { write: (line: string) => void lines.push(line) });
  let children = 0;
  const child = root.child.bind(root);
  root.child = ((...args: Parameters<typeof child>) => {
    children++;
    return child(...args);
  }) as typeof root.child;
  const lazy = new LazyChildLogger(root, { request_id: 'r-1' }, {});
  expect(lazy.level).toBe('info');
  lazy.debug({ n: 0 }, 'below the level');
  expect(children).toBe(1);
  lazy.warn({ n: 1 }, 'upstream attempt failed');
  lazy.error('plain message');
  expect(children).toBe(1);
  expect(lines.map((line) => JSON.parse(line) as Record<string, unknown>)).toMatchObject([
    { request_id: 'r-1', n: 1, msg: 'upstream attempt failed' },
    { request_id: 'r-1', msg: 'plain message' },
  ]);
  const untouched = new LazyChildLogger(root, { request_id: 'r-2' }, { level: 'warn' });
  expect(untouched.level).toBe('warn');
  expect(children).toBe(1);
});
