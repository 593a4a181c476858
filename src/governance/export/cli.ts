// `npm run export-dataset -- --from 2026-12-01 --to 2026-12-31 [--model M] [--key KEY_ID] [--team TEAM_ID]
// [--format openai-chat|jsonl] [--out file.jsonl] [--include-failed] [--config FILE]`
// Writes stored conversations from the ledger as JSONL (OpenAI's fine-tuning chat format by default),
// with a progress bar on a terminal and a summary: lines written, rows skipped and why. Exit 2 for bad
// arguments or an empty range.
import 'dotenv/config';
import { createWriteStream } from 'node:fs';
import { parseArgs } from 'node:util';
import pino from 'pino';
import { ConfigError, loadConfig } from '../../config/load.js';
import { dataDir } from '../../config/data-dir.js';
import { openDatabase } from '../../db/database.js';
import { exportLine, type ExportFormat } from './fine-tune.js';
import { rangeBound } from '../ledger/dates.js';
import { countRows, exportRows } from './rows.js';

const USAGE = `Usage: npm run export-dataset -- [options]

Writes stored conversations from the ledger as JSONL (OpenAI's chat fine-tuning format by default)
and prints a summary. Exit 2 for bad arguments or an empty range.

Options:
  --from <date>        start (2026-12-01 or an ISO date-time; default: the beginning)
  --to <date>          end; a date-only --to includes that whole day (default: now)
  --model <name>       only this model
  --key <key_id>       only this virtual key
  --team <team_id>     only this team
  --format <f>         openai-chat (default) or jsonl (the raw ledger rows)
  --out <file>         write here instead of stdout
  --include-failed     keep failed requests too
  --config <file>      the config file (default: PROXY_API_CONFIG_FILE, then ./config.yaml)
  -h, --help           show this help
`;

function fail(message: string): never {
  process.stderr.write(`export-dataset: ${message}\n`);
  process.exit(2);
}

/** A date-only --to includes that whole day, as everywhere else in the ledger. */
function date(flag: 'from' | 'to', value: string | undefined, fallback: string): string {
  if (value === undefined) return fallback;
  return rangeBound(value, flag) ?? fail(`--${flag} must be a date (2026-01-31, for --to the whole day) or an ISO date-time, not '${value}'`);
}

async function main(): Promise<void> {
  let args;
  try {
    args = parseArgs({
      options: {
        from: { type: 'string' },
        to: { type: 'string' },
        model: { type: 'string' },
        key: { type: 'string' },
        team: { type: 'string' },
        format: { type: 'string', default: 'openai-chat' },
        out: { type: 'string' },
        'include-failed': { type: 'boolean', default: false },
        config: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }).values;
  } catch (error) {
    return fail((error as Error).message);
  }
  if (args.help) {
    process.stdout.write(USAGE);
    return;
  }
  const format = args.format as ExportFormat;
  if (format !== 'openai-chat' && format !== 'jsonl') fail(`--format must be openai-chat or jsonl, not '${String(args.format)}'`);
  const from = date('from', args.from, new Date(0).toISOString());
  const to = date('to', args.to, new Date().toISOString());
  if (from > to) fail('--from must not be after --to');
  let loaded;
  try {
    loaded = loadConfig({ file: args.config });
  } catch (error) {
    if (error instanceof ConfigError) fail(`invalid configuration:\n${error.problems.join('\n')}`);
    throw error;
  }
  const db = await openDatabase(loaded.config.database, dataDir(loaded.files[0], loaded.config), pino({ level: 'warn' }, pino.destination(2)));
  try {
    const filter = { from, to, model: args.model, key_id: args.key, team_id: args.team };
    const total = await countRows(db, filter);
    if (total === 0) fail(`no logged requests between ${from} and ${to} match those filters`);
    const out: NodeJS.WritableStream = args.out ? createWriteStream(args.out) : process.stdout;
    const tty = process.stderr.isTTY;
    const skipped: Record<string, number> = {};
    let written = 0;
    let seen = 0;
    for await (const row of exportRows(db, filter)) {
      seen++;
      const line = exportLine(row, format, args['include-failed']!);
      if ('line' in line) {
        if (!out.write(`${line.line}\n`)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
        written++;
      } else skipped[line.skipped] = (skipped[line.skipped] ?? 0) + 1;
      if (tty && (seen % 200 === 0 || seen === total)) {
        const width = 30;
        const done = Math.round((seen / total) * width);
        process.stderr.write(`\r[${'#'.repeat(done)}${'.'.repeat(width - done)}] ${seen}/${total} rows`);
      }
    }
    if (tty) process.stderr.write('\n');
    if (args.out) await new Promise<void>((resolve) => out.end(() => resolve()));
    const reasons = Object.entries(skipped).map(([why, n]) => `${n} ${why}`).join(', ');
    process.stderr.write(`export-dataset: ${written} lines written${args.out ? ` to ${args.out}` : ''} from ${seen} rows; skipped: ${reasons || 'none'}\n`);
  } finally {
    await db.close();
  }
}

void main();
