// The ledger thread's SQLite batch (prepared statements) keeps write-batch.ts's contract: a row id
// already written is skipped, and only the rows actually inserted reach the daily rollups.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/database.js';
import { openSqliteFile } from '../../src/db/sqlite-file.js';
import type { RequestLogsTable } from '../../src/db/tables.js';
import { sqliteBatchWriter } from '../../src/governance/ledger/sqlite-batch.js';

const row = (id: string, status = 200): RequestLogsTable => ({
  id, request_id: `req-${id}`, created_at: '2026-12-04T10:00:00.000Z', key_id: null, key_alias: null, team_id: null,
  route: '/v1/chat/completions', model: 'm', provider: 'p', status, error_code: status >= 400 ? 'upstream_error' : null, attempts: 1,
  input_tokens: 10, output_tokens: 5, cached_tokens: 0, reasoning_tokens: 0, cost_usd: 0.5, latency_ms: 1.5, ttft_ms: null,
  cache_hit: 0, stream: 0, request_body: null, response_body: null, settled_by: null, guardrails: null,
});

describe('sqliteBatchWriter', () => {
  it('writes each row once and adds only newly written rows to spend_daily (a retried batch never counts twice)', async () => {
    const db = await openDatabase({ url: null } as never, mkdtempSync(path.join(tmpdir(), 'llm-proxy-batch-')), pino({ level: 'silent' }));
    const file = db.file!;
    await db.close();
    const sqlite = openSqliteFile(file);
    const write = sqliteBatchWriter(sqlite);
    expect(write([row('a'), row('b', 502)])).toBe(2);
    expect(write([row('a'), row('b', 502), row('c')])).toBe(1);
    expect(sqlite.prepare('select count(*) as n from request_logs').get()).toEqual({ n: 3 });
    expect(sqlite.prepare('select day, key_id, model, provider, requests, errors, input_tokens, output_tokens, cost_usd from spend_daily').all()).toEqual([
      { day: '2026-12-04', key_id: '', model: 'm', provider: 'p', requests: 3, errors: 1, input_tokens: 30, output_tokens: 15, cost_usd: 1.5 },
    ]);
    sqlite.close();
  });
});
