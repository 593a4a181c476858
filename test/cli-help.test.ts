// The command-line tools answer --help with their options and exit 0 (regression: `npm run loadtest
// -- --help` was an error).
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { expect, test } from 'vitest';

const run = promisify(execFile);
const tsx = path.resolve('node_modules/.bin/tsx');

test.each([
  ['loadtest', 'src/loadtest/cli.ts', '--tier'],
  ['export-dataset', 'src/governance/export/cli.ts', '--to <date>'],
  ['validate-config', 'src/validate-config.ts', '--config'],
])('npm run %s -- --help', async (name, file, option) => {
  const { stdout } = await run(tsx, [file, '--help']);
  expect(stdout).toContain(`Usage: npm run ${name}`);
  expect(stdout).toContain(option);
}, 30_000);
