// Every proxy process registers itself where the fleet can see it — Redis when configured (a key per
// instance, expiring unless refreshed), else the database — so /v1/fleet, /status and the console
// list the replicas and workers, what version and configuration each runs, and when each was last
// seen. It also finds a split fleet: replicas that share Redis but keep their keys and ledger in
// databases of their own (SQLite files), which answer differently for the same key.
import { createHash, randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import type { Db } from '../db/handle.js';
import type { FleetInstancesTable } from '../db/tables.js';
import type { SharedRedis } from '../state/redis.js';

/**
 * One process of the fleet: id, host, pid, worker index (0 without `server.workers`), version, the
 * SHA-256 of its configuration (first 12 hex digits: replicas that differ stand out), where its keys
 * and ledger live (host and file for SQLite), when it started and when it was last seen.
 */
export type Instance = FleetInstancesTable;

const HEARTBEAT_MS = 5000;
/** An instance not seen for this long is gone. */
export const INSTANCE_TTL_MS = 20_000;

export function configHash(config: Config): string {
  return createHash('sha256').update(JSON.stringify(config)).digest('hex').slice(0, 12);
}

export class FleetRegistry {
  readonly self: Instance;
  private timer: NodeJS.Timeout | null = null;
  private known: Instance[] = [];
  private warnedSplit = false;

  constructor(
    private readonly config: () => Config,
    private readonly db: Db,
    private readonly redis: SharedRedis | null,
    private readonly logger: Logger,
    worker: number,
  ) {
    const now = new Date().toISOString();
    // A SQLite file is this host's: two hosts' files with one path are still two databases.
    const database = db.dialect === 'sqlite' ? `${db.describe}@${hostname()}` : db.describe;
    this.self = { id: randomUUID(), host: hostname(), pid: process.pid, worker, version: config().app.version, config_hash: configHash(config()), database, started_at: now, last_seen: now };
  }

  async start(): Promise<void> {
    await this.beat();
    this.timer = setInterval(() => void this.beat(), HEARTBEAT_MS);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.remove().catch(() => undefined);
  }

  /** Live instances, this one included, as last read. */
  async instances(): Promise<Instance[]> {
    await this.refresh();
    return this.known;
  }

  /** True when a live instance shares Redis with this one but keeps its keys and ledger elsewhere. */
  get split(): boolean {
    return this.known.some((other) => other.id !== this.self.id && other.database !== this.self.database);
  }

  private async beat(): Promise<void> {
    this.self.last_seen = new Date().toISOString();
    this.self.config_hash = configHash(this.config());
    try {
      await this.write();
      await this.refresh();
    } catch (error) {
      this.logger.debug({ err_message: (error as Error).message }, 'fleet registry not reachable; retrying at the next heartbeat');
      return;
    }
    if (this.split && !this.warnedSplit) {
      this.warnedSplit = true;
      const others = [...new Set(this.known.filter((i) => i.database !== this.self.database).map((i) => `${i.host} (${i.database})`))];
      this.logger.error(
        { database: this.self.database, others },
        'SPLIT FLEET: replicas share Redis but keep virtual keys, budgets and the ledger in different databases, so a key made on one is unknown to the others and spend reports cover one replica each. Replicas need one PostgreSQL (database.url).',
      );
    }
  }

  private async write(): Promise<void> {
    if (this.redis) {
      await this.redis.client.set(this.redis.key('fleet', this.self.id), JSON.stringify(this.self), 'PX', INSTANCE_TTL_MS);
      return;
    }
    await this.db.kysely
      .insertInto('fleet_instances')
      .values(this.self)
      .onConflict((oc) => oc.column('id').doUpdateSet({ last_seen: this.self.last_seen, config_hash: this.self.config_hash }))
      .execute();
  }

  private async refresh(): Promise<void> {
    const cutoff = Date.now() - INSTANCE_TTL_MS;
    if (this.redis) {
      const keys: string[] = [];
      for await (const batch of this.redis.client.scanStream({ match: `${this.redis.key('fleet', '')}*`, count: 200 }) as AsyncIterable<string[]>) keys.push(...batch);
      const values = keys.length ? await this.redis.client.mget(...keys) : [];
      this.known = values.filter((v): v is string => v !== null).map((v) => JSON.parse(v) as Instance);
    } else {
      await this.db.kysely.deleteFrom('fleet_instances').where('last_seen', '<', new Date(cutoff - 86_400_000).toISOString()).execute();
      this.known = await this.db.kysely.selectFrom('fleet_instances').selectAll().where('last_seen', '>=', new Date(cutoff).toISOString()).execute();
    }
    if (!this.known.some((i) => i.id === this.self.id)) this.known.push({ ...this.self });
    this.known.sort((a, b) => a.host.localeCompare(b.host) || a.worker - b.worker || a.started_at.localeCompare(b.started_at));
  }

  private async remove(): Promise<void> {
    if (this.redis) await this.redis.client.del(this.redis.key('fleet', this.self.id));
    else await this.db.kysely.deleteFrom('fleet_instances').where('id', '=', this.self.id).execute();
  }
}
