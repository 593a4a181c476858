// The ledger's writing thread on SQLite writes a batch in paced chunks of 25 rows, each its own
// transaction (src/governance/ledger/pacing.ts): every row of a batch lands once, whether the batch is
// written calm, hurried from the start or hurried while it pauses, and a chunk refused by the database
// leaves the rows before it counted as written, not dropped. (How soon a hurried thread goes on is a
// matter of time, which the bench measures, not these tests.)
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase, type Db } from '../../src/db/database.js';
import type { RequestLogsTable } from '../../src/db/tables.js';
import { LedgerThread } from '../../src/governance/ledger/ledger-thread.js';
import { CHUNK_ROWS } from '../../src/governance/ledger/pacing.js';
import { LedgerWriter } from '../../src/governance/ledger/writer.js';

const row = (n: number): RequestLogsTable => ({
  id: `row-${String(n).padStart(6, '0')}`, request_id: `req-${n}`, created_at: '2026-12-06T10:00:00.000Z', key_id: null, key_alias: null, team_id: null,
  route: '/v1/chat/completions', model: 'm', provider: 'p', status: 200, error_code: null, attempts: 1,
  input_tokens: 10, output_tokens: 5, cached_tokens: 0, reasoning_tokens: 0, cost_usd: 0.001, latency_ms: 1.5, ttft_ms: null,
  cache_hit: 0, stream: 0, request_body: null, response_body: null, settled_by: null, guardrails: null,
});
const rows = (from: number, count: number) => Array.from({ length: count }, (_, i) => row(from + i));

const open: Array<{ close(): Promise<void> | void }> = [];
afterEach(async () => {
  for (const item of open.splice(0)) await item.close();
});

async function database(): Promise<Db> {
  const db = await openDatabase({ url: null } as never, mkdtempSync(path.join(tmpdir(), 'llm-proxy-thread-')), pino({ level: 'silent' }));
  open.push(db);
  return db;
}

function count(file: string): { rows: number; requests: number } {
  const sqlite = new Database(file, { readonly: true });
  try {
    const rows = (sqlite.prepare('select count(*) as n from request_logs').get() as { n: number }).n;
    const requests = (sqlite.prepare('select coalesce(sum(requests), 0) as n from spend_daily').get() as { n: number }).n;
    return { rows, requests };
  } finally {
    sqlite.close();
  }
}

describe('the ledger writing thread (SQLite)', () => {
  it('writes every row of a batch many chunks long, calm or hurried mid-batch, and a batch sent again counts nothing twice', async () => {
    const db = await database();
    const thread = new LedgerThread(db.file!);
    open.push(thread);
    expect(await thread.write(rows(0, 10 * CHUNK_ROWS + 7), false)).toBe(10 * CHUNK_ROWS + 7);
    const hurried = thread.write(rows(1000, 40 * CHUNK_ROWS), false);
    thread.hurry();
    expect(await hurried).toBe(40 * CHUNK_ROWS);
    expect(await thread.write(rows(0, 10 * CHUNK_ROWS + 7), true)).toBe(0);
    expect(count(db.file!)).toEqual({ rows: 50 * CHUNK_ROWS + 7, requests: 50 * CHUNK_ROWS + 7 });
  });

  it('counts the chunks committed before a refused one as written and drops only the rest', async () => {
    const db = await database();
    const writer = new LedgerWriter(db, { queue_size: 10_000, batch_size: 200, flush_interval_ms: 60_000, max_retries: 0 }, pino({ level: 'silent' }));
    const batch = rows(0, 5 * CHUNK_ROWS);
    // A row the database refuses (status is NOT NULL) in the third chunk.
    batch[2 * CHUNK_ROWS + 3] = { ...batch[2 * CHUNK_ROWS + 3], status: null as unknown as number };
    for (const r of batch) writer.push(r);
    await writer.flush();
    await writer.stop(0);
    expect({ written: writer.written, dropped: writer.dropped }).toEqual({ written: 2 * CHUNK_ROWS, dropped: 3 * CHUNK_ROWS });
    expect(count(db.file!)).toEqual({ rows: 2 * CHUNK_ROWS, requests: 2 * CHUNK_ROWS });
  });
});
