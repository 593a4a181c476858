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

export class KeyIndex {
  private byHash = new Map<string, { row: VirtualKeysTable; previous: boolean }>();
  private teams = new Map<string, TeamView>();
  /** Keys in use since the last flush, with when (written to last_used_at in the background). */
  readonly used = new Map<string, string>();

  load(keys: readonly VirtualKeysTable[], teams: readonly TeamsTable[]): void {
    const byHash = new Map<string, { row: VirtualKeysTable; previous: boolean }>();
    for (const row of keys) {
      byHash.set(row.key_hash, { row, previous: false });
      if (row.previous_key_hash) byHash.set(row.previous_key_hash, { row, previous: true });
    }
    this.byHash = byHash;
    this.teams = new Map(teams.map((t) => [t.id, teamView(t)]));
  }

  /** Every active key with its team (for rebuilding budget counters). */
  *principals(): Generator<Principal> {
    const now = Date.now();
    for (const { row, previous } of this.byHash.values()) {
      if (previous) continue;
      const key = keyView(row, now);
      if (key.status === 'active') yield { key, team: row.team_id ? (this.teams.get(row.team_id) ?? null) : null };
    }
  }

  /** Whether a digest is a virtual key at all (null: not one of ours). */
  lookup(hash: string, now = Date.now()): Lookup | null {
    const entry = this.byHash.get(hash);
    if (!entry) return null;
    const { row, previous } = entry;
    if (previous && (!row.previous_valid_until || Date.parse(row.previous_valid_until) <= now)) return { refused: 'This key was rotated; use the new key' };
    const key = keyView(row, now);
    if (key.status === 'revoked') return { refused: 'This API key was revoked; ask an administrator for a new one' };
    if (key.status === 'expired') return { refused: `This key expired at ${row.expires_at}` };
    this.used.set(row.id, new Date(now).toISOString());
    return { principal: { key, team: row.team_id ? (this.teams.get(row.team_id) ?? null) : null } };
  }

  /** Null when the key (and its team) may use the model the request reaches, else why not. */
  modelRefusal(principal: Principal, target: ModelTarget): string | null {
    if (!allowsModel(principal.key.models, target)) return `This key may not use model ${describeTarget(target)}`;
    if (principal.team && !allowsModel(principal.team.models, target)) return `Team '${principal.team.name}' may not use model ${describeTarget(target)}`;
    return null;
  }
}
