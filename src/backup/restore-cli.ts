// `npm run restore`: puts a backup (npm run backup) back into the state folder of the configuration
// given — the database, model selections and alert rules — with the proxy stopped. The archive's
// configuration files are written beside them (restored-config/) to compare, never over the live ones.
import 'dotenv/config';
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { extract } from 'tar';
import { ConfigError, loadConfig } from '../config/load.js';
import { statePaths, type Manifest } from './state.js';

const USAGE = `Usage: npm run restore -- --from archive.tar.gz [--config file] [--force]

Restores a backup made by npm run backup into the state folder (data_dir) of the configuration: the
SQLite database, model_selections.json and the API-created alert rules. Stop the proxy first. The
archive's configuration files go to <data_dir>/restored-config/ to compare with the live ones.

Options:
  -f, --from <file>    the archive to restore (required)
  -c, --config <file>  the config file (default: PROXY_API_CONFIG_FILE, then ./config.yaml)
      --force          replace state files that exist (default: refuse, naming them)
  -h, --help           show this help
`;

const { values } = parseArgs({ options: { from: { type: 'string', short: 'f' }, config: { type: 'string', short: 'c' }, force: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } });
if (values.help) {
  process.stdout.write(USAGE);
  process.exit(0);
}

try {
  if (!values.from) throw new Error('--from <archive> is required (see --help)');
  const loaded = loadConfig({ file: values.config });
  const paths = statePaths(loaded);
  const staging = mkdtempSync(path.join(tmpdir(), 'llm-proxy-restore-'));
  try {
    await extract({ file: values.from, cwd: staging });
    const manifest = JSON.parse(readFileSync(path.join(staging, 'manifest.json'), 'utf8')) as Manifest;
    const targets: Array<[string, string]> = [];
    if (manifest.database === 'sqlite') {
      if (!paths.database) throw new Error('the backup holds a SQLite database, but this configuration uses PostgreSQL: restore that with pg_restore');
      targets.push(['llm-proxy.db', paths.database]);
    }
    for (const name of manifest.state) targets.push([name, name === 'model_selections.json' ? paths.selections : paths.rules]);
    const existing = targets.filter(([, to]) => existsSync(to)).map(([, to]) => to);
    if (existing.length > 0 && !values.force) throw new Error(`these files exist and would be replaced: ${existing.join(', ')} (stop the proxy and pass --force)`);
    for (const [name, to] of targets) {
      mkdirSync(path.dirname(to), { recursive: true });
      // A replaced SQLite file must not keep the old one's write-ahead log beside it.
      for (const suffix of ['-wal', '-shm']) rmSync(`${to}${suffix}`, { force: true });
      copyFileSync(path.join(staging, name), to);
    }
    cpSync(path.join(staging, 'config'), path.join(paths.dataDir, 'restored-config'), { recursive: true });
    process.stdout.write(`restored ${targets.map(([name]) => name).join(', ') || 'nothing'} from a backup of ${manifest.created_at} (version ${manifest.version}); its config files are in ${path.join(paths.dataDir, 'restored-config')}\n`);
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
} catch (error) {
  if (error instanceof ConfigError) process.stderr.write(`Invalid configuration:\n${error.problems.join('\n')}\n`);
  else process.stderr.write(`restore: ${(error as Error).message}\n`);
  process.exit(1);
}
