// Request bodies: JSON for every content type (curl's default form type included), with the raw
// bytes kept so OpenAI-family providers can receive them unchanged. A body over the limit is read to
// its end and discarded before the 413 goes out, so a client still writing gets the answer instead
// of a broken pipe (the openai SDK would report a connection error and send it again); past a
// bound the connection is closed instead, so nobody can make the server read forever.
import type { IncomingMessage } from 'node:http';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { Config } from '../config/schema.js';
import { ProxyError } from '../errors.js';
import { mayRepeatKey, topLevelKeyCount } from './duplicate-keys.js';

declare module 'fastify' {
  interface FastifyRequest {
    rawBody?: Buffer;
  }
}

type Done = (err: Error | null, value?: unknown) => void;

/** How much of an oversized body is read and thrown away before the connection is closed instead. */
export function drainLimit(limit: number): number {
  return Math.max(limit * 4, limit + 32 * 1024 * 1024);
}

function parseJson(request: FastifyRequest, body: Buffer, done: Done): void {
  request.rawBody = body;
  if (body.length === 0) {
    done(null, undefined);
    return;
  }
  const text = body.toString('utf8');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    done(new ProxyError('invalid_request', `Malformed JSON body: ${(error as Error).message}`));
    return;
  }
  if (mayRepeatKey(text, 'model') && topLevelKeyCount(text, 'model') > 1) {
    done(new ProxyError('invalid_request', 'The request body names "model" more than once; send it once', 'model'));
    return;
  }
  if (request.proxy && parsed !== null && typeof parsed === 'object') {
    const model = (parsed as { model?: unknown }).model;
    // Bounded: a refused request's model is whatever the client wrote, and it lands in the ledger.
    if (typeof model === 'string') request.proxy.requestedModel = model.slice(0, 256);
  }
  done(null, parsed);
}

function bodyReader(limitMb: number) {
  const limit = Math.floor(limitMb * 1024 * 1024);
  const bound = drainLimit(limit);
  const tooLarge = () => new ProxyError('payload_too_large', `Request body is too large (limit ${limitMb} MB)`);
  return (request: FastifyRequest, payload: IncomingMessage, done: Done): void => {
    const declared = Number(request.headers['content-length']);
    if (declared > bound) {
      done(tooLarge()); // answered at once; Fastify closes the connection after a parser error
      return;
    }
    let received = 0;
    let over = declared > limit;
    const chunks: Buffer[] = [];
    const stop = () => {
      payload.removeListener('data', onData);
      payload.removeListener('end', onEnd);
      payload.removeListener('error', onEnd);
    };
    function onData(chunk: Buffer): void {
      received += chunk.length;
      if (received > bound) {
        stop();
        done(tooLarge());
      } else if (over || received > limit) {
        over = true;
        chunks.length = 0; // read on to the end, keeping nothing
      } else {
        chunks.push(chunk);
      }
    }
    function onEnd(error?: Error & { statusCode?: number }): void {
      stop();
      if (error) {
        if (!(typeof error.statusCode === 'number' && error.statusCode >= 400)) error.statusCode = 400;
        done(error);
      } else if (over) {
        done(tooLarge());
      } else if (!Number.isNaN(declared) && received !== declared) {
        done(new ProxyError('invalid_request', 'Request body length does not match Content-Length'));
      } else {
        // A copy, never a view over the socket's read buffer.
        parseJson(request, Buffer.concat(chunks, received), done);
      }
    }
    payload.on('data', onData);
    payload.on('end', onEnd);
    payload.on('error', onEnd);
    payload.resume();
  };
}

async function bodyPlugin(app: FastifyInstance, opts: { server: Config['server'] }): Promise<void> {
  // Declared up front so every request object keeps one shape.
  app.decorateRequest('rawBody', undefined);
  app.removeAllContentTypeParsers();
  const read = bodyReader(opts.server.body_limit_mb);
  app.addContentTypeParser('application/json', read);
  app.addContentTypeParser('*', read);
}

export default fp(bodyPlugin, { name: 'body', fastify: '5.x' });
