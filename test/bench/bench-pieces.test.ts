// The benchmark's own parts: the mock upstream answers in OpenAI's format, the floor proxies (raw
// node:http and bare Fastify) forward bytes both ways (streams included), the feature floor does the
// required per-request work, and the fixed-rate client counts and times what it sends.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Pool } from 'undici';
import type { FastifyInstance } from 'fastify';
import { createFastifyFloor } from '../../bench/fastify-floor.js';
import { createFeatureFloor } from '../../bench/feature-floor.js';
import { createMinimalProxy } from '../../bench/minimal-proxy.js';
import { createMockUpstream } from '../../bench/mock-upstream.js';
import { startCommand } from '../../bench/processes.js';
import { distribution, runAtRate } from '../../bench/rate-client.js';

const listen = (server: Server) =>
  new Promise<string>((resolve) => server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)));

const chat = { model: 'bench-model', messages: [{ role: 'user', content: 'hi' }] };
const post = (url: string, path: string, body: unknown) =>
  fetch(`${url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

describe('bench pieces', () => {
  let mock: Server;
  let floor: { server: Server; pool: Pool };
  let fastifyFloor: { app: FastifyInstance; pool: Pool };
  let mockUrl: string;
  let floorUrl: string;
  let fastifyFloorUrl: string;
  let featureFloor: { app: FastifyInstance; pool: Pool };
  let featureFloorUrl: string;

  beforeAll(async () => {
    mock = createMockUpstream();
    mockUrl = await listen(mock);
    floor = createMinimalProxy(mockUrl);
    floorUrl = await listen(floor.server);
    fastifyFloor = createFastifyFloor(mockUrl);
    fastifyFloorUrl = await fastifyFloor.app.listen({ host: '127.0.0.1', port: 0 });
    featureFloor = createFeatureFloor(mockUrl);
    featureFloorUrl = await featureFloor.app.listen({ host: '127.0.0.1', port: 0 });
  });

  afterAll(async () => {
    await new Promise((r) => floor.server.close(r));
    await floor.pool.close();
    await fastifyFloor.app.close();
    await fastifyFloor.pool.close();
    await featureFloor.app.close();
    await featureFloor.pool.close();
    await new Promise((r) => mock.close(r));
  });

  it('mock answers chat, streamed chat and embeddings in the OpenAI format', async () => {
    const json = (await (await post(mockUrl, '/v1/chat/completions', chat)).json()) as { choices: Array<{ message: { content: string } }> };
    expect(json.choices[0].message.content).toMatch(/Hello/);
    const stream = await post(mockUrl, '/v1/chat/completions', { ...chat, stream: true });
    expect(stream.headers.get('content-type')).toBe('text/event-stream');
    const text = await stream.text();
    expect(text.trim().endsWith('data: [DONE]')).toBe(true);
    expect(text.match(/^data: /gm)?.length).toBe(6);
    const emb = (await (await post(mockUrl, '/v1/embeddings', { model: 'bench-embedding', input: 'x' })).json()) as { data: Array<{ embedding: number[] }> };
    expect(emb.data[0].embedding).toHaveLength(1536);
    expect((await post(mockUrl, '/v1/unknown', {})).status).toBe(404);
  });

  it('both floor proxies forward method, path and body, and return the same bytes', async () => {
    for (const [path, body] of [
      ['/v1/chat/completions', chat],
      ['/v1/chat/completions', { ...chat, stream: true }],
      ['/v1/embeddings', { model: 'bench-embedding', input: 'x' }],
    ] as const) {
      const expected = await post(mockUrl, path, body);
      const text = await expected.text();
      for (const url of [floorUrl, fastifyFloorUrl]) {
        const viaFloor = await post(url, path, body);
        expect(viaFloor.status).toBe(expected.status);
        expect(viaFloor.headers.get('content-type')).toBe(expected.headers.get('content-type'));
        expect(await viaFloor.text()).toBe(text);
      }
    }
    expect((await post(floorUrl, '/v1/nothing-here', {})).status).toBe(404);
    expect((await post(fastifyFloorUrl, '/v1/nothing-here', {})).status).toBe(404);
  });

  it('the feature floor checks the key, validates, and answers with headers and _proxy_info', async () => {
    const send = (body: unknown, key = 'bench-client-key') =>
      fetch(`${featureFloorUrl}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` }, body: JSON.stringify(body) });
    expect((await send(chat, 'wrong-key')).status).toBe(401);
    expect((await send({ model: 'bench-model' })).status).not.toBe(200);
    const answer = await send(chat);
    expect(answer.status).toBe(200);
    expect(answer.headers.get('x-proxy-provider')).toBe('mock');
    expect(Number(answer.headers.get('x-proxy-overhead-ms'))).toBeGreaterThanOrEqual(0);
    const json = (await answer.json()) as { choices: unknown[]; _proxy_info: { provider: string; request_id: string } };
    expect(json.choices).toHaveLength(1);
    expect(json._proxy_info).toMatchObject({ provider: 'mock', request_id: answer.headers.get('x-request-id') });
    const stream = await send({ ...chat, stream: true });
    expect((await stream.text()).trim().endsWith('data: [DONE]')).toBe(true);
  });

  it('the fixed-rate client sends the scheduled number of requests and times each', async () => {
    const result = await runAtRate({ url: floorUrl, path: '/v1/chat/completions', body: JSON.stringify(chat), headers: {}, rate: 100, durationMs: 200 });
    expect(result.sent).toBe(20);
    expect(result.ok).toBe(20);
    expect(result.non2xx + result.errors).toBe(0);
    expect(result.ttfb.p50).toBeGreaterThan(0);
    expect(result.total.p50).toBeGreaterThanOrEqual(result.ttfb.p50);
    const failing = await runAtRate({ url: floorUrl, path: '/v1/missing', body: '{}', headers: {}, rate: 100, durationMs: 50 });
    expect(failing.non2xx).toBe(failing.sent);
    expect(Number.isNaN(failing.total.p50)).toBe(true);
  });

  it('percentiles come from the sorted samples', () => {
    const d = distribution(Array.from({ length: 100 }, (_, i) => 100 - i));
    expect(d.p50).toBe(50);
    expect(d.p99).toBe(99);
    expect(d.max).toBe(100);
    expect(d.mean).toBe(50.5);
  });
});

describe('npm start, read from package.json', () => {
  const write = (start: string) => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'llm-proxy-start-')), 'package.json');
    writeFileSync(file, JSON.stringify({ scripts: { start } }));
    return file;
  };

  it('splits the environment it sets from node and its arguments', () => {
    expect(startCommand(write('A_B=1 MALLOC_X_=2=3 node --flag=4 --switch --import tsx src/main.ts'))).toEqual({
      env: { A_B: '1', MALLOC_X_: '2=3' },
      args: ['--flag=4', '--switch', '--import', 'tsx', 'src/main.ts'],
      flags: ['--flag=4', '--switch'],
    });
    expect(startCommand(write('exec node --switch dist/main.js')).flags).toEqual(['--switch']);
  });

  it('refuses a start script that does not run node', () => {
    expect(() => startCommand(write('tsx src/main.ts'))).toThrow(/does not run node/);
  });

  it("the project's own start script runs src/main.ts with flags this Node accepts", () => {
    const start = startCommand(path.resolve('package.json'));
    expect(start.args.slice(-3)).toEqual(['--import', 'tsx', 'src/main.ts']);
    const flags = start.args.slice(0, -3);
    expect(start.flags).toEqual(flags);
    const run = spawnSync(process.execPath, [...flags, '-e', '0'], { env: { ...process.env, ...start.env }, encoding: 'utf8' });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
  });
});
