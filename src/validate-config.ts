// `npm run validate-config -- <file>`: runs every check start-up runs (the schema, then the start-up
// checks of src/start.ts) and prints OK, or every problem on its own line and exits 1.
import 'dotenv/config';
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from './config/load.js';
import { startupProblems } from './start.js';

const USAGE = `Usage: npm run validate-config -- [file] [--config file]

Checks a configuration as start-up would: the schema (unknown keys included), the environment
(PROXY_API_*, ENVIRONMENT overlays, \${VAR} interpolation), and the start-up checks (keys required
off loopback, placeholder keys). Prints OK, or each problem as "path: problem" and exits 1.

Options:
  -c, --config <file>  the config file (default: PROXY_API_CONFIG_FILE, then ./config.yaml)
  -h, --help           show this help
`;

const { values, positionals } = parseArgs({ options: { config: { type: 'string', short: 'c' }, help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: false });
if (values.help) {
  process.stdout.write(USAGE);
  process.exit(0);
}
const file = (values.config as string | undefined) ?? positionals[0];
let problems: string[];
try {
  const loaded = loadConfig({ file });
  for (const warning of loaded.warnings) process.stderr.write(`warning: ${warning}\n`);
  problems = startupProblems(loaded);
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  problems = error.problems;
}
if (problems.length > 0) {
  process.stdout.write(`${problems.join('\n')}\n`);
  process.exit(1);
}
process.stdout.write('OK\n');
