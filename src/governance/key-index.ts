// The virtual keys and teams the request path consults, held in memory: a key is found by its
// digest with one Map lookup, so no request waits on the database. Rebuilt from the database at
// start and after every change this process makes.
import type { TeamsTable, VirtualKeysTable } from '../db/tables.js';
import { allowsModel, describeTarget, type ModelTarget } from './model-access.js';
import { keyView, teamView, type KeyView, type TeamView } from './records.js';

export interface Principal {
  key: KeyView;
  team: TeamView | null;
}

export type Lookup = { principal: Principal } | { refused: string };

/** A key as the request path needs it: its view and principal made once per load, not per request. */
interface Entry {
  row: VirtualKeysTable;
  /** Found by the digest the key had before its rotation. */
  previous: boolean;
  /** Its principal while active (null for a revoked key): one object per load, so per-principal caches hold. */
  principal: Principal | null;
  /** When it expires (ms), Infinity for never; past it the key is refused as expired. */
  expiresAt: number;
  /** Until when the previous digest is still accepted (ms); 0 when never. */
  previousUntil: number;
}

export class KeyIndex {
  private byHash = new Map<string, Entry>();
  private teams = new Map<string, TeamView>();
  /** Keys in use since the last flush, with when (ms; written to last_used_at in the background). */
  readonly used = new Map<string, number>();

  load(keys: readonly VirtualKeysTable[], teams: readonly TeamsTable[]): void {
    this.teams = new Map(teams.map((t) => [t.id, teamView(t)]));
    const byHash = new Map<string, Entry>();
    for (const row of keys) {
      // Built as if now were the start of time: expiry is checked against expiresAt on each lookup.
      const key = keyView(row, -Infinity);
      const principal = key.status === 'active' ? { key, team: row.team_id ? (this.teams.get(row.team_id) ?? null) : null } : null;
      const expiresAt = row.expires_at === null ? Infinity : Date.parse(row.expires_at);
      byHash.set(row.key_hash, { row, previous: false, principal, expiresAt, previousUntil: 0 });
      if (row.previous_key_hash) {
        const previousUntil = row.previous_valid_until ? Date.parse(row.previous_valid_until) : 0;
        byHash.set(row.previous_key_hash, { row, previous: true, principal, expiresAt, previousUntil });
      }
    }
    this.byHash = byHash;
  }

  /** Every active key with its team (for rebuilding budget counters). */
  *principals(): Generator<Principal> {
    const now = Date.now();
    for (const { previous, principal, expiresAt } of this.byHash.values()) {
      if (!previous && principal && expiresAt > now) yield principal;
    }
  }

  /** Whether a digest is a virtual key at all (null: not one of ours). */
  lookup(hash: string, now = Date.now()): Lookup | null {
    const entry = this.byHash.get(hash);
    if (!entry) return null;
    const { row, previous, principal } = entry;
    if (previous && !(entry.previousUntil > now)) return { refused: 'This key was rotated; use the new key' };
    if (!principal) return { refused: 'This API key was revoked; ask an administrator for a new one' };
    if (entry.expiresAt <= now) return { refused: `This key expired at ${row.expires_at}` };
    this.used.set(row.id, now);
    return { principal };
  }

  /** Null when the key (and its team) may use the model the request reaches, else why not. */
  modelRefusal(principal: Principal, target: ModelTarget): string | null {
    if (!allowsModel(principal.key.models, target)) return `This key may not use model ${describeTarget(target)}`;
    if (principal.team && !allowsModel(principal.team.models, target)) return `Team '${principal.team.name}' may not use model ${describeTarget(target)}`;
    return null;
  }
}
