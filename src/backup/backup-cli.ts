// `npm run backup`: one archive (.tar.gz) with a consistent snapshot of the state folder — the SQLite
// database through SQLite's online backup (safe while the proxy serves), the model selections, the
// API-created alert rules — and the configuration files. `npm run restore` puts it back.
import 'dotenv/config';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import SQLite from 'better-sqlite3';
import { create } from 'tar';
import { ConfigError, loadConfig } from '../config/load.js';
import { statePaths, type Manifest } from './state.js';

const USAGE = `Usage: npm run backup -- [--config file] [--out archive.tar.gz]

Writes one archive with a consistent snapshot of the proxy's state: the SQLite database (SQLite's online
backup, safe while the proxy serves traffic), model_selections.json, the alert rules created through the
API, and the configuration files. With PostgreSQL the database is not included: back it up with pg_dump.

Options:
  -c, --config <file>  the config file (default: PROXY_API_CONFIG_FILE, then ./config.yaml)
  -o, --out <file>     the archive to write (default: llm-proxy-backup-<time>.tar.gz here)
  -h, --help           show this help
`;

const { values } = parseArgs({ options: { config: { type: 'string', short: 'c' }, out: { type: 'string', short: 'o' }, help: { type: 'boolean', short: 'h' } } });
if (values.help) {
  process.stdout.write(USAGE);
  process.exit(0);
}

try {
  const loaded = loadConfig({ file: values.config });
  const paths = statePaths(loaded);
  const out = path.resolve(values.out ?? `llm-proxy-backup-${new Date().toISOString().replace(/[:.]/g, '-')}.tar.gz`);
  const staging = mkdtempSync(path.join(tmpdir(), 'llm-proxy-backup-'));
  try {
    const names: string[] = [];
    if (paths.database && existsSync(paths.database)) {
      const source = new SQLite(paths.database, { readonly: true, fileMustExist: true });
      await source.backup(path.join(staging, 'llm-proxy.db'));
      source.close();
      names.push('llm-proxy.db');
    }
    const state: string[] = [];
    for (const [file, name] of [[paths.selections, 'model_selections.json'], [paths.rules, 'alert_rules.json']] as const) {
      if (!existsSync(file)) continue;
      copyFileSync(file, path.join(staging, name));
      state.push(name);
    }
    mkdirSync(path.join(staging, 'config'));
    const config = loaded.files.map((from, i) => ({ name: `${i}-${path.basename(from)}`, from }));
    for (const file of config) copyFileSync(file.from, path.join(staging, 'config', file.name));
    const manifest: Manifest = { created_at: new Date().toISOString(), version: loaded.config.app.version, database: paths.database ? 'sqlite' : 'postgres', state, config };
    writeFileSync(path.join(staging, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
    await create({ gzip: true, file: out, cwd: staging, portable: true }, ['manifest.json', ...names, ...state, 'config']);
    process.stdout.write(`${out}: ${[...names, ...state].join(', ') || 'no state files'} and ${config.length} config file(s)${manifest.database === 'postgres' ? '; the PostgreSQL database is not included (pg_dump it)' : ''}\n`);
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
} catch (error) {
  if (error instanceof ConfigError) process.stderr.write(`Invalid configuration:\n${error.problems.join('\n')}\n`);
  else process.stderr.write(`backup: ${(error as Error).message}\n`);
  process.exit(1);
}
