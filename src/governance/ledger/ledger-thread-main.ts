// The ledger's writing thread: owns a connection to the SQLite file and writes each batch it is sent
// (write-batch.ts), so better-sqlite3's synchronous work never runs on the main event loop.
import { parentPort, workerData } from 'node:worker_threads';
import type { RequestLogsTable } from '../../db/tables.js';
import { openSqlite } from '../../db/sqlite.js';
import { writeBatch } from './write-batch.js';

const kysely = openSqlite((workerData as { file: string }).file);

parentPort!.on('message', (message: { id: number; batch: RequestLogsTable[] }) => {
  writeBatch(kysely, message.batch).then(
    (written) => parentPort!.postMessage({ id: message.id, written }),
    (error: { message?: string; code?: string }) => parentPort!.postMessage({ id: message.id, error: { message: String(error?.message ?? error), code: error?.code } }),
  );
});
