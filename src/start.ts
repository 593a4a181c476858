// Start-up checks shared by main.ts and tests: load the configuration and refuse unsafe setups.
import type { Logger } from 'pino';
import type { LoadedConfig } from './config/load.js';

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);

export function isLoopback(host: string): boolean {
  return LOOPBACK.has(host) || host.startsWith('127.');
}

/** Throws when the proxy would be reachable by others with no keys; warns when auth is off on loopback. */
export function checkExposure(loaded: LoadedConfig, logger: Logger): void {
  const { server, auth } = loaded.config;
  const hasKeys = auth.api_keys.length > 0 || auth.admin_keys.length > 0;
  if (hasKeys) return;
  if (!isLoopback(server.host)) {
    throw new Error(`Proxy API keys must be configured to listen on ${server.host} (set auth.api_keys or PROXY_API_PROXY_API_KEYS)`);
  }
  logger.warn(
    '!!! AUTHENTICATION IS OFF: no API keys are configured, so anyone who can reach this loopback address can use every provider. Set auth.api_keys or PROXY_API_PROXY_API_KEYS before exposing the proxy. !!!',
  );
}
