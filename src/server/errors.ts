// One error handler shapes every client-facing error in OpenAI's format (DESIGN.md §4). A 500 is a
// bug in this project: it is logged with its stack and answered without one.
import type { FastifyError, FastifyInstance } from 'fastify';
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

export default fp(errorsPlugin, { name: 'errors', fastify: '5.x' });
