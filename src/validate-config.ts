// `npm run validate-config -- <file>`: prints OK, or every problem on its own line and exits 1.
import 'dotenv/config';
import { ConfigError, loadConfig } from './config/load.js';

const file = process.argv[2];
try {
  const loaded = loadConfig({ file });
  for (const warning of loaded.warnings) process.stderr.write(`warning: ${warning}\n`);
  process.stdout.write('OK\n');
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  process.stdout.write(`${error.problems.join('\n')}\n`);
  process.exit(1);
}
