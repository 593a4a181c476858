// Requests per minute for virtual keys and their teams, counted in fixed one-minute windows: in Redis
// when it is configured (exact across replicas: a key at its limit on two replicas is limited in
// total), in memory otherwise. A key in a team is held to both; the tighter one shows in the headers.
import type { FastifyReply } from 'fastify';
import { ProxyError } from '../errors.js';
import type { Runtime } from '../runtime.js';
import { rateLimitedError, retryAfterSeconds } from '../server/rate-limit.js';
import { increment, memoryCounters, redisCounters, type CounterStore } from '../state/counters.js';
import { sharedRedis } from '../state/redis.js';
import type { Principal } from './key-index.js';

const MINUTE = 60_000;

export class RequestLimits {
  private readonly store: CounterStore;

  constructor(private readonly runtime: Runtime) {
    const redis = sharedRedis(runtime);
    this.store = redis ? redisCounters(redis.client, redis.key('vk-rpm:')) : memoryCounters();
  }

  /** Counts the request against the key's and the team's rpm; throws 429 past either. */
  async check(principal: Principal, reply: FastifyReply): Promise<void> {
    const limits = [
      ...(principal.key.rpm ? [{ key: `key:${principal.key.id}`, max: principal.key.rpm }] : []),
      ...(principal.team?.rpm ? [{ key: `team:${principal.team.id}`, max: principal.team.rpm }] : []),
    ];
    if (limits.length === 0) return;
    let counts;
    try {
      counts = await Promise.all(limits.map((l) => increment(this.store, l.key, MINUTE, l.max)));
    } catch (error) {
      sharedRedis(this.runtime)?.report('rate_limit', error);
      if (this.runtime.config.rate_limit.on_store_error === 'closed') {
        throw new ProxyError('provider_unavailable', 'Rate limiting is unavailable because its store cannot be reached; try again shortly', null, {}, { 'retry-after': '1' });
      }
      return;
    }
    let tightest = 0;
    counts.forEach((c, i) => {
      if (limits[i].max - c.current < limits[tightest].max - counts[tightest].current) tightest = i;
    });
    const shown = limits[tightest];
    reply.header('x-ratelimit-limit-requests', shown.max);
    reply.header('x-ratelimit-remaining-requests', Math.max(0, shown.max - counts[tightest].current));
    const over = counts.findIndex((c, i) => c.current > limits[i].max);
    if (over >= 0) throw rateLimitedError(retryAfterSeconds(counts[over].ttl));
  }
}
