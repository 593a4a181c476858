// `npm run migrate`: brings the configured database (database.url / DATABASE_URL, or the SQLite file
// in data_dir) to this build's schema once, then exits — the release step or Kubernetes Job that
// lets every proxy process run with `database.migrate: false`.
import 'dotenv/config';
import { parseArgs } from 'node:util';
import pino from 'pino';
import { dataDir } from '../config/data-dir.js';
import { ConfigError, loadConfig } from '../config/load.js';
import { openDatabase } from './database.js';
import { executedMigrations, buildMigrations } from './schema-version.js';

const USAGE = `Usage: npm run migrate -- [--config file] [--status]

Applies this build's pending database migrations to the configured database (database.url or
DATABASE_URL; the SQLite file in data_dir without one) and exits. On PostgreSQL an advisory lock
makes concurrent runs apply each migration once. A database that already holds a newer build's
migrations is left as it is when they are compatible with this build, and refused otherwise.

Options:
  -c, --config <file>  the config file (default: PROXY_API_CONFIG_FILE, then ./config.yaml)
      --status         list applied and pending migrations, change nothing
      --wait <seconds> change nothing; wait until the schema is this build's (no pending migration),
                       exit 0 then, 1 after <seconds> (a pod's init container waiting on the Job)
  -h, --help           show this help
`;

const { values } = parseArgs({
  options: { config: { type: 'string', short: 'c' }, status: { type: 'boolean' }, wait: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
});
if (values.help) {
  process.stdout.write(USAGE);
  process.exit(0);
}

const logger = pino({ level: 'info' }, pino.destination(2));
try {
  const loaded = loadConfig({ file: values.config });
  const settings = loaded.config.database;
  const folder = dataDir(loaded.files[0], loaded.config);
  if (values.status) {
    const db = await openDatabase(settings, folder, logger, { prepare: false });
    const executed = await executedMigrations(db);
    const pending = buildMigrations(db).names.filter((name) => !executed.includes(name));
    const newer = executed.filter((name) => !buildMigrations(db).names.includes(name));
    process.stdout.write(`${db.describe}\napplied: ${executed.join(', ') || 'none'}\npending: ${pending.join(', ') || 'none'}\n${newer.length ? `from a newer build: ${newer.join(', ')}\n` : ''}`);
    await db.close();
    process.exit(0);
  }
  if (values.wait !== undefined) {
    const seconds = Number(values.wait);
    if (!Number.isFinite(seconds) || seconds < 0) throw new Error(`--wait takes a number of seconds, not '${values.wait}'`);
    const deadline = Date.now() + seconds * 1000;
    for (;;) {
      // A database that is not reachable yet counts as not migrated yet: keep waiting.
      const pending = await openDatabase(settings, folder, logger, { prepare: false })
        .then(async (db) => {
          const executed = await executedMigrations(db);
          const names = buildMigrations(db).names;
          await db.close();
          return names.filter((name) => !executed.includes(name));
        })
        .catch((error: unknown) => [`(database: ${(error as Error).message})`]);
      if (pending.length === 0) {
        process.stdout.write('schema up to date\n');
        process.exit(0);
      }
      if (Date.now() >= deadline) throw new Error(`still pending after ${seconds}s: ${pending.join(', ')}`);
      process.stdout.write(`waiting for migrations: ${pending.join(', ')}\n`);
      await new Promise((resolve) => setTimeout(resolve, 2000));
    }
  }
  const db = await openDatabase({ ...settings, migrate: true }, folder, logger);
  process.stdout.write(`${db.describe}: schema up to date (${(await executedMigrations(db)).length} migrations applied in all)\n`);
  await db.close();
} catch (error) {
  if (error instanceof ConfigError) process.stderr.write(`Invalid configuration:\n${error.problems.join('\n')}\n`);
  else process.stderr.write(`migrate: ${(error as Error).message}\n`);
  process.exit(1);
}
