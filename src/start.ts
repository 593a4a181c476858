// Start-up checks shared by main.ts, validate-config and tests: everything that makes a loaded
// configuration unfit to start, and the warning when auth is off on loopback.
import type { Logger } from 'pino';
import type { LoadedConfig } from './config/load.js';

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);
const MIN_KEY_LENGTH = 16;

export function isLoopback(host: string): boolean {
  return LOOPBACK.has(host) || host.startsWith('127.');
}

/** Why a key cannot be a real secret, or null. The key itself is never repeated. */
export function placeholderReason(key: string): string | null {
  if (/^replace/i.test(key)) return "it is a placeholder ('REPLACE…')";
  if (/changeme|change-me|change_me/i.test(key)) return "it is a placeholder ('changeme')";
  if (key.length < MIN_KEY_LENGTH) return `it is shorter than ${MIN_KEY_LENGTH} characters`;
  return null;
}

/** Every reason this configuration must not start, one `path: problem` line each (empty: it may start). */
export function startupProblems(loaded: LoadedConfig): string[] {
  const { server, auth } = loaded.config;
  const problems: string[] = [];
  const sources = { api_keys: 'PROXY_API_PROXY_API_KEYS', admin_keys: 'PROXY_API_ADMIN_KEYS' } as const;
  for (const field of ['api_keys', 'admin_keys'] as const) {
    auth[field].forEach((key, index) => {
      const reason = placeholderReason(key);
      if (reason) problems.push(`auth.${field}[${index}]: refused because ${reason}; set a random key of ${MIN_KEY_LENGTH}+ characters in auth.${field} or ${sources[field]}`);
    });
  }
  const hasKeys = auth.api_keys.length > 0 || auth.admin_keys.length > 0;
  if (!hasKeys && !isLoopback(server.host)) {
    problems.push(`server.host: Proxy API keys must be configured to listen on ${server.host} (set auth.api_keys or PROXY_API_PROXY_API_KEYS)`);
  }
  return problems;
}

/** Throws listing every start-up problem; warns when auth is off on loopback. */
export function checkExposure(loaded: LoadedConfig, logger: Logger): void {
  const problems = startupProblems(loaded);
  if (problems.length > 0) throw new Error(problems.join('\n'));
  const { auth } = loaded.config;
  if (auth.api_keys.length > 0 || auth.admin_keys.length > 0) return;
  logger.warn(
    '!!! AUTHENTICATION IS OFF: no API keys are configured, so anyone who can reach this loopback address can use every provider. Set auth.api_keys or PROXY_API_PROXY_API_KEYS before exposing the proxy. !!!',
  );
}
