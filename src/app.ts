// Builds the Fastify app around a Gateway (the parts gateway.ts composed). main.ts starts it; tests
// build the same app. Plugins are registered in the order a request meets them, each handed the
// parts it uses.
import type { IncomingMessage } from 'node:http';
import { createRequire } from 'node:module';
import type { Logger } from 'pino';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { LazyChildLogger } from './observability/logger.js';
import { inClusterWorker } from './cluster/ipc.js';
import { workerIndex } from './cluster/worker.js';
import type { Gateway } from './gateway.js';
import authPlugin from './server/auth.js';
import bodyPlugin from './server/body.js';
import corsPlugin from './server/cors.js';
import { drainOnClose } from './server/drain.js';
import { trackOpenStreams } from './server/open-streams.js';
import { readTls } from './server/tls.js';
import errorsPlugin, { clientErrorHandler, frameworkErrors } from './server/errors.js';
import adminInputPlugin from './server/admin-input.js';
import ipAccessPlugin from './server/ip-access.js';
import rateLimitPlugin from './server/rate-limit.js';
import requestContextPlugin from './server/request-context.js';
import consolePlugin from './console/plugin.js';
import discoveryPlugin from './discovery/plugin.js';
import fleetPlugin from './fleet/plugin.js';
import governancePlugin from './governance/plugin.js';
import observabilityPlugin from './observability/plugin.js';
import adminRoutes from './routes/admin.js';
import anthropicRoutes from './routes/anthropic.js';
import metricsRoutes from './routes/metrics.js';
import healthRoutes from './routes/health.js';
import modelRoutes from './routes/models.js';
import openaiRoutes from './routes/openai.js';
import responsesRoutes from './routes/responses.js';
import statusRoutes from './routes/status.js';
import { timeOrderedId } from './server/time-ordered-id.js';

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

function requestId(req: IncomingMessage): string {
  const incoming = req.headers['x-request-id'];
  return typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : timeOrderedId();
}

/**
 * Fastify's JSON-schema compilers (ajv, fast-json-stringify), loaded only if a route ever declares a
 * schema: requests are validated with zod, and loading ajv at start-up cost about 1.5 MB of heap
 * (4–5 MB of RSS).
 */
type CompilersFactory = Required<NonNullable<NonNullable<FastifyServerOptions['schemaController']>['compilersFactory']>>;
type AnyFactory = (...args: unknown[]) => unknown;
/** Resolves modules as Fastify itself does (the compilers are its dependencies, not ours). */
const fastifyRequire = createRequire(createRequire(import.meta.url).resolve('fastify'));
function onFirstUse(module: string): AnyFactory {
  let factory: AnyFactory | null = null;
  return (...args) => (factory ??= (fastifyRequire(module) as () => AnyFactory)())(...args);
}
const lazySchemaCompilers = {
  buildValidator: onFirstUse('@fastify/ajv-compiler') as CompilersFactory['buildValidator'],
  buildSerializer: onFirstUse('@fastify/fast-json-stringify-compiler') as CompilersFactory['buildSerializer'],
};

export async function buildApp(gateway: Gateway): Promise<FastifyInstance> {
  const { runtime, redis, stores, resilience, router, condenser, cache, keys, observability } = gateway;
  const { server } = runtime.config;
  // With server.tls the same app serves HTTPS (Node's https.Server has the http.Server's interface).
  const tls = readTls(server.tls);
  const app = Fastify({
    ...(tls && { https: tls }),
    loggerInstance: runtime.logger as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: 'request_id' }),
    bodyLimit: Math.floor(server.body_limit_mb * 1024 * 1024),
    requestIdHeader: false,
    genReqId: requestId,
    keepAliveTimeout: 75_000,
    forceCloseConnections: 'idle',
    return503OnClosing: true,
    schemaController: { compilersFactory: lazySchemaCompilers },
    frameworkErrors,
    clientErrorHandler,
    childLoggerFactory: (logger, bindings, options) => new LazyChildLogger(logger as Logger, bindings, options) as unknown as FastifyBaseLogger,
  });

  drainOnClose(app);
  trackOpenStreams(app);
  // onClose hooks run last-registered first: registered before every plugin, the gateway's parts
  // (Redis, provider pools) close after the plugins that use them have closed.
  app.addHook('onClose', async () => {
    await gateway.close();
  });
  await app.register(requestContextPlugin);
  await app.register(observabilityPlugin, { runtime, observability });
  await app.register(discoveryPlugin, { runtime });
  await app.register(errorsPlugin);
  await app.register(bodyPlugin, { server });
  await app.register(corsPlugin, { server });
  await app.register(ipAccessPlugin, { runtime });
  await app.register(authPlugin, { runtime, keys });
  await app.register(adminInputPlugin);
  await app.register(rateLimitPlugin, { runtime, redis, stores });
  await app.register(governancePlugin, { runtime, redis, stores, keys });
  await app.register(fleetPlugin, { runtime, redis, worker: inClusterWorker() ? workerIndex() : 0 });

  const { guardrails } = gateway;
  await app.register(openaiRoutes, { runtime, condenser, cache, guardrails });
  await app.register(responsesRoutes, { runtime, router, store: gateway.responses, guardrails });
  await app.register(anthropicRoutes, { runtime, router, guardrails });
  await app.register(modelRoutes, { runtime, resilience, router });
  await app.register(healthRoutes, { runtime, resilience, cache, redis, alerts: observability.alerts });
  await app.register(statusRoutes, { runtime, resilience, caches: gateway.caches });
  await app.register(metricsRoutes, { runtime });
  await app.register(adminRoutes, { runtime, cache, reload: gateway.reload });
  await app.register(consolePlugin, { runtime, host: gateway.host });

  // Background health checks run only in a listening server (first one interval after start), and
  // under `server.workers > 1` in the first worker only: the others take its results.
  app.addHook('onListen', async () => {
    if (!inClusterWorker() || workerIndex() === 0) resilience.health.start();
  });
  return app;
}
