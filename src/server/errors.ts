// One error handler shapes every client-facing error in OpenAI's format (DESIGN.md §4). A 500 is a
// bug in this project: it is logged with its stack and answered without one.
import type { Socket } from 'node:net';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { ProviderError, ProxyError, upstreamErrorBody, type ErrorBody } from '../errors.js';

export interface ShapedError {
  status: number;
  body: ErrorBody;
  headers: Record<string, string>;
}

/** Maps anything thrown on the request path to a status and an OpenAI-style body. */
export function shapeError(error: unknown): ShapedError {
  if (error instanceof ProxyError) return { status: error.status, body: error.toBody(), headers: error.headers };
  if (error instanceof ProviderError) {
    // Client errors are relayed with the upstream's status; provider-side ones become a 502.
    if (error.status !== null && error.status >= 400 && error.status < 500 && !error.retryable) {
      return { status: error.status, body: upstreamErrorBody(error), headers: {} };
    }
    const wrapped = new ProxyError(error.kind === 'timeout' ? 'upstream_timeout' : 'upstream_error', `${error.provider}: ${error.message}`);
    return { status: wrapped.status, body: wrapped.toBody(), headers: {} };
  }
  const fastifyError = error as FastifyError;
  const status = fastifyError?.statusCode;
  if (status === 413) {
    return { status, body: new ProxyError('payload_too_large', 'Request body is too large').toBody(), headers: {} };
  }
  if (typeof status === 'number' && status >= 400 && status < 500) {
    const code = status === 401 ? 'unauthorized' : status === 404 ? 'not_found' : status === 429 ? 'rate_limited' : 'invalid_request';
    const proxy = new ProxyError(code, fastifyError.message);
    return { status, body: { error: { ...proxy.toBody().error } }, headers: {} };
  }
  const internal = new ProxyError('internal_error', 'Internal server error');
  return { status: 500, body: internal.toBody(), headers: {} };
}

async function errorsPlugin(app: FastifyInstance): Promise<void> {
  app.setErrorHandler((error, request, reply) => {
    const shaped = shapeError(error);
    if (shaped.status >= 500 && !(error instanceof ProxyError) && !(error instanceof ProviderError)) {
      request.log.error({ err: error, request_id: request.id }, 'unhandled error');
    }
    if (request.proxy) request.proxy.errorCode = shaped.body.error.code;
    void reply.code(shaped.status).headers(shaped.headers).send(shaped.body);
  });

  app.setNotFoundHandler((request, reply) => {
    const error = new ProxyError('not_found', `Unknown route: ${request.method} ${request.url.split('?')[0]}`);
    void reply.code(404).send(error.toBody());
  });
}

/**
 * Fastify's own refusals before routing (a path parameter over maxParamLength, a malformed URL), in our
 * shape: passed as the `frameworkErrors` option.
 */
export function frameworkErrors(error: FastifyError, _request: FastifyRequest, reply: FastifyReply): void {
  const status = typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 400;
  const message = error.code === 'FST_ERR_MAX_PARAM_LENGTH' ? 'A path parameter is too long' : error.code === 'FST_ERR_BAD_URL' ? 'The URL is malformed' : error.message;
  void reply.code(status).send(new ProxyError('invalid_request', message).toBody());
}

/**
 * Refusals by Node's HTTP parser (headers or URL over the size limit, a malformed request), in our
 * shape where the socket can still take an answer: passed as the `clientErrorHandler` option.
 */
export function clientErrorHandler(error: Error & { code?: string }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  const tooLarge = error.code === 'HPE_HEADER_OVERFLOW';
  const status = tooLarge ? 431 : 400;
  const body = JSON.stringify(new ProxyError('invalid_request', tooLarge ? 'The request line and headers are too large' : 'Malformed HTTP request').toBody());
  socket.end(`HTTP/1.1 ${status} ${tooLarge ? 'Request Header Fields Too Large' : 'Bad Request'}\r\nconnection: close\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
}

export default fp(errorsPlugin, { name: 'errors', fastify: '5.x' });
