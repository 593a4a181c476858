// The admin API for virtual keys and teams (admin keys only). Secrets appear once, in the answers of
// create and rotate; every other answer carries only the visible prefix.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ProxyError } from '../errors.js';
import { validate } from '../routes/respond.js';
import type { Budgets } from './budgets/budgets.js';
import type { KeyStore } from './key-store.js';
import { keyCreateSchema, keyPatchSchema, rotateSchema, teamCreateSchema, teamPatchSchema } from './limits.js';
import { keyView, teamView, type KeyView, type TeamView } from './records.js';

const ADMIN = { config: { auth: 'admin' as const } };
const STATUSES = new Set(['active', 'revoked', 'expired']);

function page(request: FastifyRequest): { limit: number; cursor?: string } {
  const { limit, cursor } = request.query as { limit?: string; cursor?: string };
  const n = limit === undefined ? 50 : Number(limit);
  if (!Number.isInteger(n) || n < 1 || n > 500) throw new ProxyError('invalid_request', 'limit must be a whole number from 1 to 500', 'limit');
  return { limit: n, cursor: cursor || undefined };
}

const id = (request: FastifyRequest) => (request.params as { id: string }).id;

export async function governanceRoutes(app: FastifyInstance, opts: { store: KeyStore; budgets: Budgets; changed: () => Promise<void>; guardrails: () => readonly string[] }): Promise<void> {
  const { store, budgets, changed } = opts;
  /** A key's or team's guardrails must be defined in the configuration in force. */
  const known = <T extends { guardrails?: string[] | null }>(input: T): T => {
    const defined = opts.guardrails();
    const unknown = (input.guardrails ?? []).find((name) => !defined.includes(name));
    if (unknown !== undefined) {
      throw new ProxyError('invalid_request', `guardrails: '${unknown}' is not a guardrail defined in guardrails.definitions (defined: ${defined.join(', ') || 'none'})`, 'guardrails');
    }
    return input;
  };
  /** Adds the budget's current period (spent, reserved, left); null when unreadable (its store is down). */
  const withUsage = async <T extends KeyView | TeamView>(view: T) => ({
    ...view,
    budget_usage: await budgets.usage(view.object === 'team' ? 'team' : 'key', view.id, view.budget).catch(() => null),
  });

  app.post('/v1/keys', ADMIN, async (request, reply) => {
    const { row, secret } = await store.createKey(known(validate(keyCreateSchema, request.body)));
    await changed();
    return reply.code(201).send({ ...keyView(row), key: secret });
  });

  app.get('/v1/keys', ADMIN, async (request) => {
    const { team_id, alias, status } = request.query as Record<string, string | undefined>;
    if (status && !STATUSES.has(status)) throw new ProxyError('invalid_request', `status must be one of ${[...STATUSES].join(', ')}`, 'status');
    const { rows, next } = await store.listKeys({ team_id, alias, status, ...page(request) });
    return { object: 'list', data: await Promise.all(rows.map((row) => withUsage(keyView(row)))), next_cursor: next };
  });

  app.get('/v1/keys/:id', ADMIN, async (request) => withUsage(keyView(await store.getKey(id(request)))));

  app.patch('/v1/keys/:id', ADMIN, async (request) => {
    const row = await store.updateKey(id(request), known(validate(keyPatchSchema, request.body)));
    await changed();
    return keyView(row);
  });

  app.post('/v1/keys/:id/rotate', ADMIN, async (request) => {
    const { grace_seconds } = validate(rotateSchema, request.body ?? {});
    const { row, secret } = await store.rotateKey(id(request), grace_seconds);
    await changed();
    return { ...keyView(row), key: secret, previous_key_valid_until: row.previous_valid_until };
  });

  app.post('/v1/keys/:id/revoke', ADMIN, async (request) => {
    const row = await store.revokeKey(id(request));
    await changed();
    return keyView(row);
  });

  app.post('/v1/teams', ADMIN, async (request, reply) => {
    const row = await store.createTeam(known(validate(teamCreateSchema, request.body)));
    await changed();
    return reply.code(201).send(teamView(row));
  });

  app.get('/v1/teams', ADMIN, async (request) => {
    const { limit, cursor } = page(request);
    const { rows, next } = await store.listTeams(limit, cursor);
    return { object: 'list', data: await Promise.all(rows.map((row) => withUsage(teamView(row)))), next_cursor: next };
  });

  app.get('/v1/teams/:id', ADMIN, async (request) => withUsage(teamView(await store.getTeam(id(request)))));

  app.patch('/v1/teams/:id', ADMIN, async (request) => {
    const row = await store.updateTeam(id(request), known(validate(teamPatchSchema, request.body)));
    await changed();
    return teamView(row);
  });
}
