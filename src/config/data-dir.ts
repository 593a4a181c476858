// The one writable state folder (`data_dir`, env PROXY_API_DATA_DIR): every file the proxy writes
// (model selections, API-created alert rules, the SQLite database) lives there, so the config file and
// its folder may be mounted read-only.
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import { resolveFromConfig } from './atomic-write.js';
import type { Config } from './schema.js';

/** The state folder, resolved against the config file's folder (or the working directory). */
export function dataDir(configFile: string | undefined, config: Pick<Config, 'data_dir'>): string {
  return resolveFromConfig(configFile, config.data_dir);
}

/**
 * Where a state file lives: an explicitly configured path (relative to the config file), else `name`
 * inside the state folder. Before the state folder existed these files defaulted to
 * `config/<name>` beside the config file; such a file is copied into the state folder once, with a
 * log line, and left in place (its folder may be read-only).
 */
export function stateFile(
  configFile: string | undefined,
  config: Pick<Config, 'data_dir'>,
  explicit: string | null,
  name: string,
  logger: Pick<Logger, 'info' | 'warn'>,
): string {
  if (explicit) return resolveFromConfig(configFile, explicit);
  const target = path.join(dataDir(configFile, config), name);
  const legacy = resolveFromConfig(configFile, path.join('config', name));
  if (!existsSync(target) && existsSync(legacy)) {
    try {
      mkdirSync(path.dirname(target), { recursive: true });
      copyFileSync(legacy, target);
      logger.info({ from: legacy, to: target }, `moved ${name} into the state folder (data_dir); the old file is no longer read`);
    } catch (error) {
      logger.warn({ from: legacy, to: target, err_message: (error as Error).message }, `could not copy ${name} into the state folder`);
    }
  }
  return target;
}
