// The ledger's writing thread: owns a connection to the SQLite file and writes each batch it is sent
// (sqlite-batch.ts), so better-sqlite3's synchronous work never runs on the main event loop.
import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import type { RequestLogsTable } from '../../db/tables.js';
import { openSqliteFile } from '../../db/sqlite.js';
import { sqliteBatchWriter } from './sqlite-batch.js';

/**
 * This thread's nice value (Linux keeps one per thread; the main thread keeps its own). On a core it
 * shares with the event loop (a pinned process, a busy host) a batch of 200 rows is ~5 ms of CPU: at
 * the same priority the scheduler ran it as soon as a batch was posted, and every request in flight
 * waited behind it. Lower, it runs in the loop's idle time; at 10 its weight (110 against 1024) still
 * gives it about a tenth of a saturated core, more than rows arriving at full throughput need (~8 %).
 */
const NICE = 10;
try {
  setPriority(NICE);
} catch {
  // Not allowed here (a platform without per-thread priorities): it only costs latency, never rows.
}

const write = sqliteBatchWriter(openSqliteFile((workerData as { file: string }).file));

parentPort!.on('message', (message: { id: number; batch: RequestLogsTable[] }) => {
  try {
    parentPort!.postMessage({ id: message.id, written: write(message.batch) });
  } catch (error) {
    const e = error as { message?: string; code?: string };
    parentPort!.postMessage({ id: message.id, error: { message: String(e?.message ?? error), code: e?.code } });
  }
});
