// The fleet as this process sees it: registers this process (src/fleet/registry.ts) once governance
// opened the database, serves GET /v1/fleet (admin), and exports whether the fleet is split.
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { Gauge } from 'prom-client';
import type { Runtime } from '../runtime.js';
import type { SharedRedis } from '../state/redis.js';
import { FleetRegistry } from './registry.js';

declare module 'fastify' {
  interface FastifyInstance {
    fleet: FleetRegistry;
  }
}

async function fleetPlugin(app: FastifyInstance, opts: { runtime: Runtime; redis: SharedRedis | null; worker: number }): Promise<void> {
  const { runtime, redis } = opts;
  const fleet = new FleetRegistry(() => runtime.config, app.database, redis, runtime.logger.child({ component: 'fleet' }), opts.worker);
  app.decorate('fleet', fleet);
  app.addHook('onListen', async () => {
    await fleet.start();
  });
  app.addHook('onClose', async () => {
    await fleet.stop();
  });

  const registers = [app.observability.metrics.registry];
  const prefix = runtime.config.metrics.prefix;
  new Gauge({
    name: `${prefix}_split_fleet`,
    help: 'Replicas share Redis but keep keys and the ledger in different databases (1): they need one PostgreSQL',
    registers,
    aggregator: 'max',
    collect() {
      this.set(fleet.split ? 1 : 0);
    },
  });
  new Gauge({
    name: `${prefix}_fleet_instances`,
    help: 'Proxy processes this one sees in the fleet registry (itself included)',
    registers,
    aggregator: 'max',
    async collect() {
      this.set((await fleet.instances().catch(() => [fleet.self])).length);
    },
  });

  app.get('/v1/fleet', { config: { auth: 'admin' } }, async () => {
    const instances = await fleet.instances();
    return {
      object: 'list',
      self: fleet.self.id,
      registry: redis ? 'redis' : 'database',
      split: fleet.split,
      data: instances.map((instance) => ({ ...instance, self: instance.id === fleet.self.id })),
    };
  });
}

export default fp(fleetPlugin, { name: 'fleet', fastify: '5.x', dependencies: ['governance', 'observability'] });
