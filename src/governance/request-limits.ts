// The rate limits of virtual keys and their teams, checked before a request is dispatched: requests
// per minute and tokens per minute (fixed one-minute windows; tokens counted when a request ends) and
// requests in flight. In Redis when it is configured (exact across replicas: a key at its limit on two
// replicas is limited in total), in memory otherwise. A key in a team is held to both.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ProxyError } from '../errors.js';
import type { Runtime } from '../runtime.js';
import { rateLimitedError, retryAfterSeconds } from '../server/rate-limit.js';
import { increment, type CounterStore } from '../state/counters.js';
import type { SharedRedis } from '../state/redis.js';
import type { SharedStores } from '../state/shared-stores.js';
import type { Principal } from './key-index.js';
import type { UsageCounters } from './usage-counters.js';

const MINUTE = 60_000;

interface Scope {
  id: string;
  label: string;
  rpm: number | null;
  tpm: number | null;
  max_parallel: number | null;
}

/** A principal's scopes, split by the limit they carry (made once per principal: the key index keeps one a key). */
interface Scopes {
  rpm: Scope[];
  tpm: Scope[];
  parallel: Scope[];
}

const NO_SLOTS: readonly string[] = [];
const NO_SCOPES: readonly Scope[] = [];

function scopesOf(principal: Principal): Scopes {
  const key = principal.key;
  const all: Scope[] = [{ id: `key:${key.id}`, label: 'this key', rpm: key.rpm, tpm: key.tpm, max_parallel: key.max_parallel }];
  const team = principal.team;
  if (team) all.push({ id: `team:${team.id}`, label: `team '${team.name}'`, rpm: team.rpm, tpm: team.tpm, max_parallel: team.max_parallel });
  return { rpm: all.filter((s) => s.rpm), tpm: all.filter((s) => s.tpm), parallel: all.filter((s) => s.max_parallel) };
}

export class RequestLimits {
  private readonly hits: CounterStore;
  private readonly usage: UsageCounters;
  /** Slots each request holds, released when it ends. */
  private readonly held = new WeakMap<FastifyRequest, string[]>();
  private readonly scopes = new WeakMap<Principal, Scopes>();

  constructor(
    private readonly runtime: Runtime,
    private readonly redis: SharedRedis | null,
    stores: SharedStores,
  ) {
    this.hits = stores.counters('vk-rpm:');
    this.usage = stores.usageCounters('vk-');
  }

  /** Counts the request against the rpm, tpm and parallel limits of the key and its team; throws 429 past any. */
  async check(principal: Principal, request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const scopes = this.scopesOf(principal);
    try {
      if (scopes.rpm.length > 0) await this.requests(scopes.rpm, reply);
      if (scopes.tpm.length > 0) await this.tokens(scopes.tpm, reply);
      if (scopes.parallel.length > 0) await this.parallel(scopes.parallel, request);
    } catch (error) {
      if (error instanceof ProxyError) throw error;
      this.redis?.report('rate_limit', error);
      if (this.runtime.config.rate_limit.on_store_error === 'closed') {
        throw new ProxyError('provider_unavailable', 'Rate limiting is unavailable because its store cannot be reached; try again shortly', null, {}, { 'retry-after': '1' });
      }
    }
  }

  /** When the request ends: its tokens count towards tpm, its parallel slots are freed. */
  async done(principal: Principal, request: FastifyRequest, tokens: number): Promise<void> {
    const held = this.held.get(request) ?? NO_SLOTS;
    this.held.delete(request);
    const tpm = tokens > 0 ? this.scopesOf(principal).tpm : NO_SCOPES;
    if (held.length === 0 && tpm.length === 0) return;
    const work = held.map((slot) => this.usage.release(slot));
    for (const scope of tpm) work.push(this.usage.add(`tpm:${scope.id}`, tokens, MINUTE).then(() => undefined));
    await Promise.all(work).catch((error: unknown) => this.redis?.report('rate_limit', error));
  }

  private scopesOf(principal: Principal): Scopes {
    let scopes = this.scopes.get(principal);
    if (!scopes) this.scopes.set(principal, (scopes = scopesOf(principal)));
    return scopes;
  }

  private async requests(limited: Scope[], reply: FastifyReply): Promise<void> {
    const counts = await Promise.all(limited.map((s) => increment(this.hits, s.id, MINUTE, s.rpm!)));
    const left = counts.map((c, i) => limited[i].rpm! - c.current);
    const tightest = left.indexOf(Math.min(...left));
    reply.header('x-ratelimit-limit-requests', limited[tightest].rpm);
    reply.header('x-ratelimit-remaining-requests', Math.max(0, left[tightest]));
    const over = left.findIndex((n) => n < 0);
    if (over >= 0) throw rateLimitedError(retryAfterSeconds(counts[over].ttl));
  }

  private async tokens(limited: Scope[], reply: FastifyReply): Promise<void> {
    const used = await Promise.all(limited.map((s) => this.usage.add(`tpm:${s.id}`, 0, MINUTE)));
    const left = used.map((u, i) => limited[i].tpm! - u.total);
    const tightest = left.indexOf(Math.min(...left));
    reply.header('x-ratelimit-limit-tokens', limited[tightest].tpm);
    reply.header('x-ratelimit-remaining-tokens', Math.max(0, left[tightest]));
    const over = left.findIndex((n) => n <= 0);
    if (over >= 0) {
      const seconds = retryAfterSeconds(used[over].ttl);
      throw new ProxyError('rate_limited', `Token limit of ${limited[over].label} reached (${limited[over].tpm} tokens per minute). Try again in ${seconds} seconds.`, null, { retry_after: seconds }, { 'retry-after': String(seconds) });
    }
  }

  private async parallel(limited: Scope[], request: FastifyRequest): Promise<void> {
    const held: string[] = [];
    this.held.set(request, held);
    for (const scope of limited) {
      const slot = `parallel:${scope.id}`;
      const { ok } = await this.usage.acquire(slot, scope.max_parallel!);
      if (!ok) {
        await Promise.all(held.map((h) => this.usage.release(h)));
        held.length = 0;
        throw new ProxyError('rate_limited', `Too many requests in flight for ${scope.label} (at most ${scope.max_parallel}). Try again in 1 seconds.`, null, { retry_after: 1 }, { 'retry-after': '1' });
      }
      held.push(slot);
    }
  }
}
