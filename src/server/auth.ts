// API-key authentication. Keys are held only as SHA-256 digests and compared in constant time;
// `Authorization: Bearer` and the configured header are both accepted. Routes that need an admin
// key say so with `config: { auth: 'admin' }`.
import { hash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { Config } from '../config/schema.js';
import { ProxyError } from '../errors.js';
import type { KeyIndex } from '../governance/key-index.js';
import type { Runtime } from '../runtime.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** 'public' needs no key; 'admin' needs an admin key; default: any client key. */
    auth?: 'public' | 'client' | 'admin';
  }
}

export function sha256(text: string): Buffer {
  return hash('sha256', text, 'buffer');
}

export interface KeyRing {
  client: Buffer[];
  admin: Buffer[];
  header: string;
  publicPaths: ReadonlySet<string>;
  enabled: boolean;
}

export function buildKeyRing(auth: Config['auth']): KeyRing {
  const admin = [...new Set(auth.admin_keys)].map(sha256);
  // An admin key is also a client key.
  const client = [...new Set([...auth.api_keys, ...auth.admin_keys])].map(sha256);
  return { client, admin, header: auth.api_key_header.toLowerCase(), publicPaths: new Set(auth.public_paths), enabled: client.length > 0 };
}

function matches(digest: Buffer, ring: readonly Buffer[]): boolean {
  let found = false;
  // No early exit: every digest is compared, so timing does not reveal which one matched.
  for (const candidate of ring) found = timingSafeEqual(digest, candidate) || found;
  return found;
}

export function presentedKey(request: FastifyRequest, header: string): string | null {
  const authorization = request.headers.authorization;
  if (authorization) {
    const space = authorization.indexOf(' ');
    if (space > 0 && authorization.slice(0, space).toLowerCase() === 'bearer') return authorization.slice(space + 1).trim() || null;
  }
  const value = request.headers[header];
  const key = Array.isArray(value) ? value[0] : value;
  return key?.trim() || null;
}

async function authPlugin(app: FastifyInstance, opts: { runtime: Runtime; keys: KeyIndex }): Promise<void> {
  const { runtime, keys } = opts;
  let ring = buildKeyRing(runtime.config.auth);
  let ringFor = runtime.config.auth;

  // Callback style rather than async: no promise per request.
  app.addHook('onRequest', (request, _reply, done) => {
    try {
      check(request);
      done();
    } catch (error) {
      done(error as Error);
    }
  });

  /** Recognises a virtual key by its digest (a Map lookup, no database on the request path). */
  function virtualKey(request: FastifyRequest, hash: string, required: boolean): void {
    const found = keys.lookup(hash);
    if (!found) {
      if (required) throw new ProxyError('unauthorized', 'Invalid API key');
      return;
    }
    if ('refused' in found) throw new ProxyError('unauthorized', found.refused);
    request.proxy.principal = found.principal;
  }

  function check(request: FastifyRequest): void {
    if (ringFor !== runtime.config.auth) {
      ring = buildKeyRing(runtime.config.auth);
      ringFor = runtime.config.auth;
    }
    const level = request.proxy.routeConfig?.auth ?? 'client';
    const path = request.url.split('?', 1)[0];
    if (level === 'public' || ring.publicPaths.has(path)) return;
    const key = presentedKey(request, ring.header);
    if (!ring.enabled) {
      request.proxy.isAdmin = true;
      // Without configured keys the proxy is open (loopback only), but a virtual key still brings its limits.
      if (key) virtualKey(request, sha256(key).toString('hex'), false);
      return;
    }
    if (!key) {
      if (request.headers.authorization?.trim()) {
        throw new ProxyError('unauthorized', `The Authorization header must read 'Bearer <key>' (the word Bearer, a space, then the key); or send the key alone in the '${runtime.config.auth.api_key_header}' header`);
      }
      throw new ProxyError('unauthorized', `Missing API key: send 'Authorization: Bearer <key>' or the '${runtime.config.auth.api_key_header}' header`);
    }
    const digest = sha256(key);
    request.proxy.keyHash = digest.toString('hex');
    if (!matches(digest, ring.client)) {
      virtualKey(request, request.proxy.keyHash, true);
      if (level === 'admin') throw new ProxyError('insufficient_permissions', 'This endpoint needs an admin key');
      return;
    }
    request.proxy.isAdmin = ring.admin.length > 0 ? matches(digest, ring.admin) : false;
    if (level === 'admin' && !request.proxy.isAdmin) {
      throw new ProxyError('insufficient_permissions', 'This endpoint needs an admin key');
    }
  }
}

export default fp(authPlugin, { name: 'auth', fastify: '5.x', dependencies: ['request-context'] });
