// The main thread's side of the ledger's writing thread (ledger-thread-main.ts): batches go over as
// messages and each answers with the rows written, or the error with its code (SQLITE_BUSY is retried
// by the writer like any unreachable database). A thread that dies is started again for the next batch.
//
// Pacing: on a core the thread shares with the event loop (a pinned process, a busy host), a batch
// of 200 rows is ~5 ms of CPU, and run as soon as it was posted it held up every request in flight.
// The thread therefore writes a batch in chunks of 25 rows and, while the writer is keeping up,
// sleeps three times as long as each chunk took (pacing.ts): the loop waits at most one chunk, well
// under a millisecond. When rows pile up the writer flags a backlog through shared memory and the
// thread writes straight through. (Before, a second thread did that: a calm one at nice 10 and an
// urgent one at the loop's priority, because a thread cannot raise its priority back without
// CAP_SYS_NICE; the second V8 isolate cost ~15-20 MB of RSS.)
import { Worker } from 'node:worker_threads';
import type { RequestLogsTable } from '../../db/tables.js';
import { pacingFlags, setUrgent } from './pacing.js';

/** Under tsx (npm start, tests) the thread runs the TypeScript source through tsx too. */
const fromSource = import.meta.url.endsWith('.ts');
/** The writing thread's young generation (MB): see spawn(). */
const YOUNG_GENERATION_MB = 4;

/** The code of a batch lost with its thread: the writer keeps the rows and retries, as when the database is away. */
export const THREAD_LOST = 'ELEDGERTHREAD';

export class LedgerThread {
  private worker: Worker | null = null;
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve: (n: number) => void; reject: (e: Error) => void }>();
  private closed = false;
  private readonly flags = pacingFlags();

  constructor(private readonly file: string) {}

  /** `urgent`: rows are piling up, so the thread writes this batch without pausing between chunks. */
  write(batch: RequestLogsTable[], urgent: boolean): Promise<number> {
    this.hurry(urgent);
    const worker = (this.worker ??= this.spawn());
    const id = this.nextId++;
    return new Promise<number>((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      worker.postMessage({ id, batch });
    });
  }

  /** Flags (or clears) a backlog; a thread pausing in the middle of a batch goes on at once. */
  hurry(urgent = true): void {
    setUrgent(this.flags, urgent);
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.worker?.terminate();
  }

  private spawn(): Worker {
    // A batch is at most a few hundred kilobytes of rows: a small young generation holds it and keeps
    // each scavenge short, which the event loop sharing the core feels in its tail (README, Benchmark).
    const resourceLimits = { maxYoungGenerationSizeMb: YOUNG_GENERATION_MB };
    const entry = new URL(`./ledger-thread-main.${fromSource ? 'ts' : 'js'}`, import.meta.url);
    // Worker threads do not inherit tsx's loader: from source, the thread registers it before loading its entry.
    const worker = fromSource
      ? new Worker(`import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}).then((tsx) => { tsx.register(); return import(${JSON.stringify(entry.href)}); });`, {
          eval: true,
          workerData: { file: this.file, pacing: this.flags.buffer },
          resourceLimits,
        })
      : new Worker(entry, { workerData: { file: this.file, pacing: this.flags.buffer }, resourceLimits });
    worker.unref();
    worker.on('message', (message: { id: number; written?: number; error?: { message: string; code?: string; settled: number; written: number } }) => {
      const pending = this.waiting.get(message.id);
      if (!pending) return;
      this.waiting.delete(message.id);
      const { error } = message;
      if (error) pending.reject(Object.assign(new Error(error.message), { code: error.code, settled: error.settled, written: error.written }));
      else pending.resolve(message.written ?? 0);
    });
    worker.on('error', (error) => this.lost(worker, error.message));
    worker.on('exit', (code) => this.lost(worker, `exited with code ${code}`));
    return worker;
  }

  private lost(worker: Worker, why: string): void {
    if (this.worker === worker) this.worker = null;
    if (this.closed && this.waiting.size === 0) return;
    for (const pending of this.waiting.values()) pending.reject(Object.assign(new Error(`the ledger's writing thread ${why}`), { code: THREAD_LOST }));
    this.waiting.clear();
  }
}
