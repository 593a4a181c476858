// Fastify's JSON-schema compilers load on first use (app.ts): a route that declares a schema still
// gets its body validated and its answer serialised by them.
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config/load.js';
import { createGateway } from '../../src/gateway.js';
import type { FastifyInstance } from 'fastify';
import { writeConfig } from '../support/proxy.js';

let app: FastifyInstance;
let url: string;

beforeAll(async () => {
  const loaded = loadConfig({ file: writeConfig({ providers: [{ name: 'a', type: 'openai_compatible', base_url: 'http://127.0.0.1:9/v1', models: ['*'] }] }), env: {} });
  app = await buildApp(await createGateway({ loaded, logger: pino({ level: 'silent' }), env: {} }));
  app.post(
    '/schema-check',
    {
      schema: {
        body: { type: 'object', required: ['n'], properties: { n: { type: 'integer' } } },
        response: { 200: { type: 'object', properties: { n: { type: 'integer' } } } },
      },
    },
    async (request) => ({ ...(request.body as { n: number }), secret: 'not in the response schema' }),
  );
  await app.listen({ host: '127.0.0.1', port: 0 });
  url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}/schema-check`;
});

afterAll(() => app.close());

const post = (body: unknown) => fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

test('a body that breaks the route schema is rejected with 400', async () => {
  const res = await post({ n: 'three' });
  expect(res.status).toBe(400);
  const body = (await res.json()) as { error: { message: string } };
  expect(body.error.message).toBe('body/n must be integer');
});

test('the response schema serialises the answer (members it does not list are dropped)', async () => {
  const res = await post({ n: 3 });
  expect(res.status).toBe(200);
  expect(await res.json()).toEqual({ n: 3 });
});
