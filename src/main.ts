// CLI entry: read .env and the configuration, start the server (or N cluster workers), and handle
// signals: SIGTERM/SIGINT drain in-flight requests within shutdown_grace_s, then exit 0 (1 when the
// grace period ended first and requests were cut).
import cluster from 'node:cluster';
import { parseArgs } from 'node:util';
import 'dotenv/config';
import { buildApp } from './app.js';
import { ConfigError, loadConfig, type LoadedConfig } from './config/load.js';
import type { Server as HttpsServer } from 'node:https';
import { createLogger, reopenLogFile } from './observability/logger.js';
import { reloadTls } from './server/tls.js';
import { runPrimary } from './cluster/primary.js';
import { createGateway } from './gateway.js';
import { checkExposure } from './start.js';

const { values: args } = parseArgs({
  options: { config: { type: 'string', short: 'c' }, host: { type: 'string' }, port: { type: 'string' } },
  allowPositionals: false,
});

function load(): LoadedConfig {
  try {
    const loaded = loadConfig({ file: args.config });
    if (args.host) loaded.config.server.host = args.host;
    if (args.port) loaded.config.server.port = Number(args.port);
    return loaded;
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`Invalid configuration:\n${error.problems.join('\n')}\n`);
      process.exit(1);
    }
    throw error;
  }
}

async function main(): Promise<void> {
  const loaded = load();
  const logger = createLogger(loaded.config.logging, loaded.config.auth);
  for (const warning of loaded.warnings) logger.warn(warning);
  try {
    checkExposure(loaded, logger);
  } catch (error) {
    logger.fatal((error as Error).message);
    logger.flush();
    process.stderr.write(`${(error as Error).message}\n`);
    process.exit(1);
  }

  const { server } = loaded.config;
  if (cluster.isPrimary && server.workers > 1) {
    await runPrimary(loaded, logger);
    return;
  }

  const gateway = await createGateway({ loaded, logger });
  const { runtime } = gateway;
  const app = await buildApp(gateway);
  await app.listen({ host: server.host, port: server.port });
  const scheme = server.tls.cert_file ? 'https' : 'http';
  logger.info({ files: loaded.files, providers: runtime.handles.filter((h) => h.adapter).map((h) => h.config.name) }, `llm-proxy listening on ${scheme}://${server.host}:${server.port}`);

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    runtime.draining = true;
    if (server.shutdown_delay_s > 0) {
      // Readiness fails now; balancers that poll it stop sending before the listener closes.
      logger.info({ signal, delay_s: server.shutdown_delay_s }, 'shutting down: not ready, still accepting for shutdown_delay_s');
      await new Promise((resolve) => setTimeout(resolve, server.shutdown_delay_s * 1000));
    }
    logger.info({ signal, grace_s: server.shutdown_grace_s }, 'shutting down: draining in-flight requests');
    const force = setTimeout(() => {
      // Whatever is still in flight is cut: streams get an error event, and the exit code says so.
      void app.openStreams
        .cutAll(`The server is shutting down and this stream did not finish within its ${server.shutdown_grace_s}s grace period`)
        .then((cut) => {
          logger.error({ streams_cut: cut, grace_s: server.shutdown_grace_s }, `shutdown grace period over: ${cut} stream(s) ended with an error event; closing remaining connections`);
          logger.flush();
          process.exit(1);
        });
    }, server.shutdown_grace_s * 1000);
    force.unref();
    try {
      await app.close();
    } catch (error) {
      logger.error({ err: error }, 'error while closing');
    }
    logger.info('stopped');
    logger.flush();
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
  // SIGHUP: reopen the log file (logrotate's postrotate), re-read the TLS files and the configuration;
  // an invalid configuration is logged and the running one keeps serving.
  process.on('SIGHUP', () => {
    reopenLogFile(logger, loaded.config.logging);
    if (server.tls.cert_file) reloadTls(app.server as unknown as HttpsServer, server.tls, logger);
    try {
      gateway.reload('SIGHUP');
    } catch (error) {
      logger.error({ err: error }, 'configuration reload failed');
    }
  });
}

main().catch((error: unknown) => {
  process.stderr.write(`Fatal: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
