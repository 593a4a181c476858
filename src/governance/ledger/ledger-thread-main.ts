// The ledger's writing thread: owns a connection to the SQLite file and writes each batch it is sent
// (sqlite-batch.ts), so better-sqlite3's synchronous work never runs on the main event loop.
import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import type { RequestLogsTable } from '../../db/tables.js';
import { openSqliteFile } from '../../db/sqlite-file.js';
import { sqliteBatchWriter } from './sqlite-batch.js';

// Its nice value (Linux keeps one per thread; the event loop keeps its own): ledger-thread.ts says why.
const { file, nice } = workerData as { file: string; nice: number };
if (nice > 0) {
  try {
    setPriority(nice);
  } catch {
    // Not allowed here (a platform without per-thread priorities): it only costs latency, never rows.
  }
}

const write = sqliteBatchWriter(openSqliteFile(file));

parentPort!.on('message', (message: { id: number; batch: RequestLogsTable[] }) => {
  try {
    parentPort!.postMessage({ id: message.id, written: write(message.batch) });
  } catch (error) {
    const e = error as { message?: string; code?: string };
    parentPort!.postMessage({ id: message.id, error: { message: String(e?.message ?? error), code: e?.code } });
  }
});
