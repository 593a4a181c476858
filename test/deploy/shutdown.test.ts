// Shutdown as Kubernetes does it, on the real CLI (package.json's start command): SIGTERM while a
// stream is being relayed → /health/ready answers 503 at once, the stream completes, the process
// exits 0 on its own (not by the grace period's forced exit).
import { afterAll, beforeAll, expect, test } from 'vitest';
import { freePort, startCli } from '../support/cli.js';
import { chatStream, MockUpstream } from '../support/mock-openai.js';
import { mockProvider, writeConfig } from '../support/proxy.js';

let upstream: MockUpstream;
beforeAll(async () => {
  upstream = await MockUpstream.start('shutdown');
});
afterAll(async () => {
  await upstream.close();
});

/** Starts a streamed chat and reads its first chunk. */
async function openStream(base: string) {
  const res = await fetch(`${base}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'gpt-4o', stream: true, messages: [{ role: 'user', content: 'long' }] }),
  });
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  return { reader, decoder, first: decoder.decode((await reader.read()).value) };
}

test('SIGTERM during a stream: not ready at once, the stream completes, exit 0 within the grace period', async () => {
  const words = Array.from({ length: 12 }, (_, i) => `w${i} `);
  upstream.enqueue({ stream: chatStream(words), gapMs: 150 });
  const port = await freePort();
  const cli = await startCli(
    writeConfig({ server: { port, shutdown_delay_s: 1, shutdown_grace_s: 20, request_timeout: 20 }, hot_reload: { enabled: false }, providers: [mockProvider('a', upstream.url)] }),
  );
  const base = `http://127.0.0.1:${port}`;
  expect((await fetch(`${base}/health/ready`)).status).toBe(200);

  const { reader, decoder, first } = await openStream(base);
  let text = first;
  const exited = new Promise<number | null>((resolve) => cli.child.once('exit', (code) => resolve(code)));
  cli.child.kill('SIGTERM');

  await expect.poll(() => cli.stdout.includes('not ready, still accepting')).toBe(true);
  const ready = await fetch(`${base}/health/ready`);
  expect(ready.status).toBe(503);
  expect(((await ready.json()) as { reason: string }).reason).toBe('shutting down');

  for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) text += decoder.decode(chunk.value);
  expect(text.trimEnd().endsWith('data: [DONE]')).toBe(true);
  for (const word of words) expect(text).toContain(word);

  expect(await exited).toBe(0);
  expect(cli.stdout).toContain('"msg":"stopped"');
  expect(cli.stdout).not.toContain('shutdown grace period over');
}, 30_000);

test('SIGTERM with a stream longer than the grace period: the stream ends with an error event, the exit code is 1', async () => {
  const words = Array.from({ length: 30 }, (_, i) => `w${i} `);
  upstream.enqueue({ stream: chatStream(words), gapMs: 300 });
  const port = await freePort();
  const cli = await startCli(
    writeConfig({
      server: { port, shutdown_grace_s: 1, request_timeout: 1, allow_short_shutdown_grace: true },
      hot_reload: { enabled: false },
      providers: [mockProvider('a', upstream.url)],
    }),
  );
  const { reader, decoder, first } = await openStream(`http://127.0.0.1:${port}`);
  let text = first;
  const exited = new Promise<number | null>((resolve) => cli.child.once('exit', (code) => resolve(code)));
  cli.child.kill('SIGTERM');
  for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) text += decoder.decode(chunk.value);

  const events = text.split('\n\n').filter((e) => e.startsWith('data: '));
  const last = JSON.parse(events.at(-1)!.slice('data: '.length)) as { error?: { code: string; type: string; message: string } };
  expect(last.error).toMatchObject({ code: 'shutdown', type: 'server_error' });
  expect(last.error!.message).toMatch(/grace period/);
  expect(text).not.toContain('[DONE]');
  expect(text).not.toContain('w29');
  expect(await exited).toBe(1);
  expect(cli.stdout).toMatch(/"streams_cut":1/);
}, 30_000);
