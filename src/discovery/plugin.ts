// Wires provider discovery into the app: the manager starts when the app is ready (its first run in
// the background, so a slow registry never delays start-up), stops on close, and counts its runs.
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { Runtime } from '../runtime.js';
import { DiscoveryManager } from './manager.js';

declare module 'fastify' {
  interface FastifyInstance {
    discovery: DiscoveryManager;
  }
}

async function discoveryPlugin(app: FastifyInstance, opts: { runtime: Runtime }): Promise<void> {
  const { runtime } = opts;
  const metrics = app.observability.metrics;
  const manager = new DiscoveryManager(runtime, runtime.config.discovery, runtime.logger.child({ component: 'discovery' }), {
    run: (source, result) => metrics.discoveryRuns.inc({ source, result }),
  });
  app.decorate('discovery', manager);
  app.addHook('onReady', async () => {
    void manager.start();
  });
  app.addHook('onClose', async () => {
    await manager.stop();
  });
}

export default fp(discoveryPlugin, { name: 'discovery', fastify: '5.x', dependencies: ['observability'] });
