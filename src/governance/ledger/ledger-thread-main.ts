// The ledger's writing thread: owns a connection to the SQLite file and writes each batch it is sent
// (sqlite-batch.ts), so better-sqlite3's synchronous work never runs on the main event loop.
//
// Pacing (ledger-thread.ts says why): a batch is written in chunks of CHUNK_ROWS rows, each its own
// transaction (inserts are idempotent, so a batch retried after a failed chunk writes each row once).
// While the main thread has not flagged a backlog, the thread sleeps PAUSE_FACTOR times as long as
// each chunk took before the next: the event loop sharing its core waits at most one chunk, and the
// thread takes at most a quarter of the core. Flagged, it writes straight through.
import { parentPort, workerData } from 'node:worker_threads';
import type { RequestLogsTable } from '../../db/tables.js';
import { openSqliteFile } from '../../db/sqlite-file.js';
import { sqliteBatchWriter } from './sqlite-batch.js';
import { CHUNK_ROWS, PAUSE_FACTOR, URGENT, WAKE } from './pacing.js';

const { file, pacing } = workerData as { file: string; pacing: SharedArrayBuffer };
const flags = new Int32Array(pacing);
const write = sqliteBatchWriter(openSqliteFile(file));

/** A chunk failed: the rows before it are committed (`settled` of them, `written` newly). */
interface Progress {
  settled: number;
  written: number;
}

function writePaced(batch: RequestLogsTable[], progress: Progress): number {
  for (let start = 0; start < batch.length; start += CHUNK_ROWS) {
    const began = performance.now();
    progress.written += write(batch.slice(start, start + CHUNK_ROWS));
    progress.settled = Math.min(batch.length, start + CHUNK_ROWS);
    if (progress.settled < batch.length && Atomics.load(flags, URGENT) === 0) {
      // Woken early when the main thread flags a backlog (Atomics.notify on WAKE).
      Atomics.wait(flags, WAKE, 0, (performance.now() - began) * PAUSE_FACTOR);
    }
  }
  return progress.written;
}

parentPort!.on('message', (message: { id: number; batch: RequestLogsTable[] }) => {
  const progress: Progress = { settled: 0, written: 0 };
  try {
    parentPort!.postMessage({ id: message.id, written: writePaced(message.batch, progress) });
  } catch (error) {
    const e = error as { message?: string; code?: string };
    parentPort!.postMessage({ id: message.id, error: { message: String(e?.message ?? error), code: e?.code, ...progress } });
  }
});
