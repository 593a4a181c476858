// The primary process of `server.workers > 1`: forks the workers (each knows its index; a worker
// that dies is replaced under the same index), relays signals, and serves what makes N workers one
// gateway: the host's shared stores when there is no Redis, the aggregated metrics of all workers,
// and the relay of health check results from the worker that runs them to the others.
import cluster, { type Worker } from 'node:cluster';
import { AggregatorRegistry } from 'prom-client';
import type { Logger } from 'pino';
import { dataDir } from '../config/data-dir.js';
import type { LoadedConfig } from '../config/load.js';
import { openDatabase } from '../db/database.js';
import { hostStoreHandlers } from './host-stores.js';
import { gatherFromWorkers, HEALTH_RESULT, servePrimary, type Handler } from './ipc.js';

export async function runPrimary(loaded: LoadedConfig, logger: Logger): Promise<void> {
  const { config } = loaded;
  const workers = config.server.workers;
  // Migrations run here once, before the workers start (N workers migrating one SQLite file at once contend).
  if (config.database.migrate) await (await openDatabase(config.database, dataDir(loaded.files[0], config), logger)).close();
  const handlers = new Map<string, Handler>(config.redis.url ? [] : hostStoreHandlers(config.responses.store));
  const aggregator = new AggregatorRegistry();
  handlers.set('metrics', () => aggregator.clusterMetrics());
  handlers.set('gather', ([op, ...args]) => gatherFromWorkers(op as string, args));
  handlers.set('health.result', ([result], from) => {
    for (const worker of Object.values(cluster.workers ?? {})) {
      if (worker && worker !== from && worker.isConnected()) worker.send({ type: HEALTH_RESULT, result });
    }
  });
  servePrimary(handlers);

  let stopping = false;
  let failed = false;
  const indexOf = new Map<Worker, number>();
  const fork = (index: number) => indexOf.set(cluster.fork({ LLM_PROXY_WORKER_INDEX: String(index) }), index);
  for (let i = 0; i < workers; i++) fork(i);
  cluster.on('exit', (worker, code) => {
    const index = indexOf.get(worker) ?? 0;
    indexOf.delete(worker);
    if (stopping) {
      if (code !== 0) failed = true;
      // The host's exit code says whether any worker had to cut requests at shutdown.
      if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(failed ? 1 : 0);
      return;
    }
    logger.warn({ pid: worker.process.pid, code, worker_index: index }, 'worker exited; starting a new one');
    fork(index);
  });
  const stop = (signal: NodeJS.Signals) => {
    stopping = true;
    for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill(signal);
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGHUP', () => {
    for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGHUP');
  });
  logger.info({ workers, shared_state: config.redis.url ? 'redis' : 'primary' }, 'started cluster workers');
}
