// What a backup holds, and where each piece lives for a given configuration: the SQLite database (an
// online backup, consistent under traffic), the model selections, the alert rules created through the
// API, and the configuration files. A PostgreSQL database is not in the archive: pg_dump it (README).
import path from 'node:path';
import type { Logger } from 'pino';
import { dataDir, stateFile } from '../config/data-dir.js';
import type { LoadedConfig } from '../config/load.js';

export interface StatePaths {
  /** The SQLite file, or null when the database is PostgreSQL (or in memory). */
  database: string | null;
  selections: string;
  rules: string;
  dataDir: string;
}

const quiet: Pick<Logger, 'info' | 'warn'> = { info: () => undefined, warn: () => undefined };

export function statePaths(loaded: LoadedConfig): StatePaths {
  const { config, files } = loaded;
  const configFile = files[0];
  const dir = dataDir(configFile, config);
  const url = config.database.url;
  const database = !url ? path.join(dir, 'llm-proxy.db') : url.startsWith('sqlite:') && !url.endsWith(':memory:') ? path.resolve(url.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '')) : null;
  return {
    database,
    selections: stateFile(configFile, config, config.model_management.selections_file, 'model_selections.json', quiet),
    rules: stateFile(configFile, config, config.alerting.rules_file, 'alert_rules.json', quiet),
    dataDir: dir,
  };
}

/** The archive's manifest (`manifest.json`): what is in it and where it came from. */
export interface Manifest {
  created_at: string;
  version: string;
  /** 'sqlite' when llm-proxy.db is in the archive; 'postgres' when the database was not copied. */
  database: 'sqlite' | 'postgres';
  /** State files in the archive (beside the database): model_selections.json, alert_rules.json. */
  state: string[];
  /** Configuration files, under config/ in the archive, with the paths they were read from. */
  config: Array<{ name: string; from: string }>;
}
