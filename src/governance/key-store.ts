// Virtual keys and teams in the database. Secrets are made here (sk-lp- + 32 base62 characters),
// shown once, and kept only as a SHA-256 digest with a short visible prefix.
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { Db } from '../db/database.js';
import type { TeamsTable, VirtualKeysTable } from '../db/tables.js';
import { ProxyError } from '../errors.js';
import type { KeyCreate, KeyPatch, TeamCreate, TeamPatch } from './limits.js';
import { limitColumns } from './records.js';

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

export function newSecret(): string {
  let out = 'sk-lp-';
  // Rejection sampling keeps every character equally likely.
  while (out.length < 38) for (const byte of randomBytes(48)) if (byte < 248 && out.length < 38) out += BASE62[byte % 62];
  return out;
}

export const digest = (secret: string): string => createHash('sha256').update(secret).digest('hex');
const newId = (prefix: 'key' | 'team') => `${prefix}_${randomUUID().replace(/-/g, '').slice(0, 24)}`;
const now = () => new Date().toISOString();

/** The limit columns of a key or team that sets none. */
const NO_LIMITS = {
  models: null,
  rpm: null,
  tpm: null,
  max_parallel: null,
  budget_max_usd: null,
  budget_period: null,
  budget_soft_limit_pct: null,
  store_bodies: null,
  metadata: '{}',
  guardrails: null,
};

export interface ListQuery {
  team_id?: string;
  alias?: string;
  status?: string;
  limit: number;
  cursor?: string;
}

export class KeyStore {
  constructor(private readonly db: Db) {}

  private get k() {
    return this.db.kysely;
  }

  async createKey(input: KeyCreate): Promise<{ row: VirtualKeysTable; secret: string }> {
    if (input.team_id !== null) await this.requireTeam(input.team_id, 'team_id');
    const secret = newSecret();
    const at = now();
    const row: VirtualKeysTable = {
      id: newId('key'),
      key_hash: digest(secret),
      key_prefix: secret.slice(0, 10),
      previous_key_hash: null,
      previous_valid_until: null,
      alias: input.alias,
      team_id: input.team_id,
      ...NO_LIMITS,
      ...limitColumns(input),
      expires_at: input.expires_at === null ? null : new Date(input.expires_at).toISOString(),
      status: 'active',
      created_at: at,
      updated_at: at,
      last_used_at: null,
    };
    await this.k.insertInto('virtual_keys').values(row).execute();
    return { row, secret };
  }

  async listKeys(query: ListQuery): Promise<{ rows: VirtualKeysTable[]; next: string | null }> {
    let q = this.k.selectFrom('virtual_keys').selectAll();
    if (query.team_id) q = q.where('team_id', '=', query.team_id);
    if (query.alias) q = q.where('alias', '=', query.alias);
    if (query.status === 'expired') q = q.where('status', '=', 'active').where('expires_at', '<=', now());
    else if (query.status === 'active') q = q.where('status', '=', 'active').where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now())]));
    else if (query.status) q = q.where('status', '=', query.status);
    const after = decodeCursor(query.cursor);
    if (after) q = q.where((eb) => eb.or([eb('created_at', '>', after.at), eb.and([eb('created_at', '=', after.at), eb('id', '>', after.id)])]));
    const rows = await q.orderBy('created_at').orderBy('id').limit(query.limit + 1).execute();
    const page = rows.slice(0, query.limit);
    const last = page.at(-1);
    return { rows: page, next: rows.length > query.limit && last ? encodeCursor(last.created_at, last.id) : null };
  }

  async getKey(id: string): Promise<VirtualKeysTable> {
    const row = await this.k.selectFrom('virtual_keys').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) throw new ProxyError('not_found', `No virtual key '${id}'`, 'id');
    return row;
  }

  async updateKey(id: string, patch: KeyPatch): Promise<VirtualKeysTable> {
    const current = await this.getKey(id);
    if (current.status === 'revoked') throw new ProxyError('invalid_request', `Key '${id}' is revoked and cannot be changed`, 'id');
    if (patch.team_id) await this.requireTeam(patch.team_id, 'team_id');
    const changes: Partial<VirtualKeysTable> = { ...limitColumns(patch), updated_at: now() };
    if ('alias' in patch) changes.alias = patch.alias ?? null;
    if ('team_id' in patch) changes.team_id = patch.team_id ?? null;
    if ('expires_at' in patch) changes.expires_at = patch.expires_at ? new Date(patch.expires_at).toISOString() : null;
    await this.k.updateTable('virtual_keys').set(changes).where('id', '=', id).execute();
    return this.getKey(id);
  }

  async rotateKey(id: string, graceSeconds: number): Promise<{ row: VirtualKeysTable; secret: string }> {
    const current = await this.getKey(id);
    if (current.status === 'revoked') throw new ProxyError('invalid_request', `Key '${id}' is revoked; create a new key instead`, 'id');
    const secret = newSecret();
    await this.k
      .updateTable('virtual_keys')
      .set({
        key_hash: digest(secret),
        key_prefix: secret.slice(0, 10),
        previous_key_hash: graceSeconds > 0 ? current.key_hash : null,
        previous_valid_until: graceSeconds > 0 ? new Date(Date.now() + graceSeconds * 1000).toISOString() : null,
        updated_at: now(),
      })
      .where('id', '=', id)
      .execute();
    return { row: await this.getKey(id), secret };
  }

  async revokeKey(id: string): Promise<VirtualKeysTable> {
    await this.getKey(id);
    await this.k.updateTable('virtual_keys').set({ status: 'revoked', previous_key_hash: null, previous_valid_until: null, updated_at: now() }).where('id', '=', id).execute();
    return this.getKey(id);
  }

  /** Records when keys were last used (ms since the epoch, by key id). */
  async touch(lastUsed: ReadonlyMap<string, number>): Promise<void> {
    for (const [id, at] of lastUsed) await this.k.updateTable('virtual_keys').set({ last_used_at: new Date(at).toISOString() }).where('id', '=', id).execute();
  }

  async createTeam(input: TeamCreate): Promise<TeamsTable> {
    if (await this.k.selectFrom('teams').select('id').where('name', '=', input.name).executeTakeFirst()) {
      throw new ProxyError('invalid_request', `A team named '${input.name}' exists already`, 'name');
    }
    const at = now();
    const row: TeamsTable = {
      id: newId('team'),
      name: input.name,
      ...NO_LIMITS,
      ...limitColumns(input),
      created_at: at,
      updated_at: at,
    };
    await this.k.insertInto('teams').values(row).execute();
    return row;
  }

  async listTeams(limit: number, cursor?: string): Promise<{ rows: TeamsTable[]; next: string | null }> {
    let q = this.k.selectFrom('teams').selectAll();
    const after = decodeCursor(cursor);
    if (after) q = q.where((eb) => eb.or([eb('created_at', '>', after.at), eb.and([eb('created_at', '=', after.at), eb('id', '>', after.id)])]));
    const rows = await q.orderBy('created_at').orderBy('id').limit(limit + 1).execute();
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    return { rows: page, next: rows.length > limit && last ? encodeCursor(last.created_at, last.id) : null };
  }

  async getTeam(id: string): Promise<TeamsTable> {
    return this.requireTeam(id, 'id', 'not_found');
  }

  async updateTeam(id: string, patch: TeamPatch): Promise<TeamsTable> {
    await this.getTeam(id);
    if (patch.name && (await this.k.selectFrom('teams').select('id').where('name', '=', patch.name).where('id', '!=', id).executeTakeFirst())) {
      throw new ProxyError('invalid_request', `A team named '${patch.name}' exists already`, 'name');
    }
    await this.k.updateTable('teams').set({ ...limitColumns(patch), ...(patch.name && { name: patch.name }), updated_at: now() }).where('id', '=', id).execute();
    return this.getTeam(id);
  }

  /** The newest change to any key or team: replicas compare it to notice edits made elsewhere. */
  async version(): Promise<string> {
    const keys = await this.k.selectFrom('virtual_keys').select((eb) => [eb.fn.max('updated_at').as('at'), eb.fn.countAll().as('n')]).executeTakeFirst();
    const teams = await this.k.selectFrom('teams').select((eb) => [eb.fn.max('updated_at').as('at'), eb.fn.countAll().as('n')]).executeTakeFirst();
    return `${String(keys?.at)}|${String(keys?.n)}|${String(teams?.at)}|${String(teams?.n)}`;
  }

  /** Every key, revoked ones included: the index tells a revoked key from an unknown one. */
  async allKeys(): Promise<VirtualKeysTable[]> {
    return this.k.selectFrom('virtual_keys').selectAll().execute();
  }

  async allTeams(): Promise<TeamsTable[]> {
    return this.k.selectFrom('teams').selectAll().execute();
  }

  private async requireTeam(id: string, param: string, code: 'invalid_request' | 'not_found' = 'invalid_request'): Promise<TeamsTable> {
    const team = await this.k.selectFrom('teams').selectAll().where('id', '=', id).executeTakeFirst();
    if (!team) throw new ProxyError(code, `No team '${id}'`, param);
    return team;
  }
}

function encodeCursor(at: string, id: string): string {
  return Buffer.from(JSON.stringify([at, id])).toString('base64url');
}

function decodeCursor(cursor: string | undefined): { at: string; id: string } | null {
  if (!cursor) return null;
  try {
    const [at, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as [unknown, unknown];
    if (typeof at === 'string' && typeof id === 'string') return { at, id };
  } catch {
    // fall through
  }
  throw new ProxyError('invalid_request', 'cursor is not one this API returned', 'cursor');
}
