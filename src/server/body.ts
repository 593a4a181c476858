// Request bodies: JSON for every content type (curl's default form type included), with the raw
// bytes kept so OpenAI-family providers can receive them unchanged.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { ProxyError } from '../errors.js';

declare module 'fastify' {
  interface FastifyRequest {
    rawBody?: Buffer;
  }
}

function parseJson(request: FastifyRequest, body: Buffer, done: (err: Error | null, value?: unknown) => void): void {
  request.rawBody = body;
  if (body.length === 0) {
    done(null, undefined);
    return;
  }
  try {
    done(null, JSON.parse(body.toString('utf8')));
  } catch (error) {
    done(new ProxyError('invalid_request', `Malformed JSON body: ${(error as Error).message}`));
  }
}

async function bodyPlugin(app: FastifyInstance): Promise<void> {
  // Declared up front so every request object keeps one shape.
  app.decorateRequest('rawBody', undefined);
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, parseJson);
  app.addContentTypeParser('*', { parseAs: 'buffer' }, parseJson);
}

export default fp(bodyPlugin, { name: 'body', fastify: '5.x' });
