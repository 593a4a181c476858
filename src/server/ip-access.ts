// Who is calling, by address: the client IP (X-Forwarded-For is believed only from peers listed in
// `rate_limit.trusted_proxies`) and the deny list `rate_limit.ip_limits.blacklist`, checked before
// authentication so a denied address learns nothing about keys. Probes are never denied.
import { BlockList, isIPv4, isIPv6 } from 'node:net';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { Config } from '../config/schema.js';
import { ProxyError } from '../errors.js';
import type { Runtime } from '../runtime.js';

/** Liveness and readiness probes: never limited, never denied. */
export const PROBE_PATHS: ReadonlySet<string> = new Set(['/health/live', '/health/ready']);

/** A set of addresses and CIDR ranges (IPv4-mapped IPv6 addresses match their IPv4 form). */
export class AddressSet {
  private readonly list = new BlockList();
  readonly size: number;

  constructor(entries: readonly string[]) {
    for (const entry of entries) {
      const [address, prefix] = entry.split('/');
      const type = isIPv4(address) ? 'ipv4' : 'ipv6';
      if (prefix === undefined) this.list.addAddress(address, type);
      else this.list.addSubnet(address, Number(prefix), type);
    }
    this.size = entries.length;
  }

  has(address: string): boolean {
    if (this.size === 0) return false;
    const plain = unmapped(address);
    if (isIPv4(plain)) return this.list.check(plain, 'ipv4');
    if (isIPv6(plain)) return this.list.check(plain, 'ipv6');
    return false;
  }
}

/** `::ffff:10.0.0.1` → `10.0.0.1`, so IPv4 ranges match dual-stack sockets. */
export function unmapped(address: string): string {
  return address.startsWith('::ffff:') && isIPv4(address.slice(7)) ? address.slice(7) : address;
}

/** Address sets built from the rate_limit section, rebuilt when a reload replaces it. */
export interface AddressRules {
  trusted: AddressSet;
  allow: AddressSet;
  deny: AddressSet;
}

const rulesBySection = new WeakMap<Config['rate_limit'], AddressRules>();

export function addressRules(config: Config): AddressRules {
  const section = config.rate_limit;
  let rules = rulesBySection.get(section);
  if (!rules) {
    rules = {
      trusted: new AddressSet(section.trusted_proxies),
      allow: new AddressSet(section.ip_limits.whitelist),
      deny: new AddressSet(section.ip_limits.blacklist),
    };
    rulesBySection.set(section, rules);
  }
  return rules;
}

/**
 * The client's address: the socket peer, unless the peer is a trusted proxy, in which case
 * X-Forwarded-For is walked from the right and the first address that is not a trusted proxy wins.
 */
export function resolveClientIp(peer: string, forwardedFor: string | string[] | undefined, trusted: AddressSet): string {
  let client = unmapped(peer);
  if (!forwardedFor || !trusted.has(client)) return client;
  const hops = (Array.isArray(forwardedFor) ? forwardedFor.join(',') : forwardedFor).split(',');
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = unmapped(hops[i].trim());
    if (!isIPv4(hop) && !isIPv6(hop)) break;
    client = hop;
    if (!trusted.has(hop)) break;
  }
  return client;
}

const resolved = new WeakMap<FastifyRequest, string>();

export function clientIp(request: FastifyRequest, config: Config): string {
  let ip = resolved.get(request);
  if (ip === undefined) {
    ip = resolveClientIp(request.socket.remoteAddress ?? '', request.headers['x-forwarded-for'], addressRules(config).trusted);
    resolved.set(request, ip);
  }
  return ip;
}

function requestPath(request: FastifyRequest): string {
  return request.proxy.route ?? request.url.split('?', 1)[0];
}

export function isProbe(request: FastifyRequest): boolean {
  return PROBE_PATHS.has(requestPath(request));
}

async function ipAccessPlugin(app: FastifyInstance, opts: { runtime: Runtime }): Promise<void> {
  const { runtime } = opts;
  app.addHook('onRequest', (request, _reply, done) => {
    const { deny } = addressRules(runtime.config);
    if (deny.size > 0 && !isProbe(request) && deny.has(clientIp(request, runtime.config))) {
      done(new ProxyError('insufficient_permissions', 'Requests from your address are not allowed'));
    } else done();
  });
}

export default fp(ipAccessPlugin, { name: 'ip-access', fastify: '5.x', dependencies: ['request-context'] });
