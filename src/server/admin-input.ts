// Admin routes take their input from operators' scripts, and from anyone holding an admin key: input
// no query there can hold is refused up front with a 400 naming the parameter, instead of reaching
// the database as a 500 (a repeated parameter arrives as an array, `text = record` on PostgreSQL; a
// NUL character is refused by PostgreSQL's text type).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { ProxyError } from '../errors.js';

const MAX_DEPTH = 32;

function nulIn(value: unknown, at: string, depth = 0): string | null {
  if (typeof value === 'string') return value.includes('\u0000') ? at : null;
  if (value === null || typeof value !== 'object' || depth > MAX_DEPTH) return null;
  for (const [key, item] of Object.entries(value)) {
    const path = Array.isArray(value) ? `${at}[${key}]` : at ? `${at}.${key}` : key;
    if (key.includes('\u0000')) return path;
    const found = nulIn(item, path, depth + 1);
    if (found) return found;
  }
  return null;
}

/** Throws a 400 for a repeated query parameter or a NUL character anywhere in the input. */
export function checkAdminInput(request: FastifyRequest): void {
  const query = (request.query ?? {}) as Record<string, unknown>;
  for (const [name, value] of Object.entries(query)) {
    if (typeof value !== 'string') throw new ProxyError('invalid_request', `Query parameter '${name}' may be given only once`, name);
  }
  for (const [where, value] of [['query', query], ['params', request.params], ['body', request.body]] as const) {
    const at = nulIn(value, '');
    if (at !== null) throw new ProxyError('invalid_request', `${at ? `'${at}'` : `The request ${where}`} must not contain NUL characters`, at || null);
  }
}

async function adminInputPlugin(app: FastifyInstance): Promise<void> {
  app.addHook('preValidation', (request, _reply, done) => {
    if (request.proxy.routeConfig?.auth !== 'admin') return done();
    try {
      checkAdminInput(request);
      done();
    } catch (error) {
      done(error as Error);
    }
  });
}

export default fp(adminInputPlugin, { name: 'admin-input', fastify: '5.x', dependencies: ['auth'] });
