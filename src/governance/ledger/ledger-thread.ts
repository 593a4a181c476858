// The main thread's side of the ledger's writing thread (ledger-thread-main.ts): batches go over as
// messages and each answers with the rows written, or the error with its code (SQLITE_BUSY is retried
// by the writer like any unreachable database). A thread that dies is started again for the next batch.
//
// Priority: on a core the thread shares with the event loop (a pinned process, a busy host), a batch
// of 200 rows is ~5 ms of CPU, and at the loop's priority the scheduler ran it as soon as it was
// posted while every request in flight waited behind it. The writer therefore keeps two: a calm
// thread at nice 10 that runs in the loop's idle time, for the common case, and an urgent one at the
// loop's priority, started only when rows pile up (a saturated core leaves the calm thread about a
// tenth of it, and a sustained overload on a shared core outran that and filled the queue).
import { Worker } from 'node:worker_threads';
import type { RequestLogsTable } from '../../db/tables.js';

/** Under tsx (npm start, tests) the thread runs the TypeScript source through tsx too. */
const fromSource = import.meta.url.endsWith('.ts');
/** The writing threads' young generation (MB): see spawn(). */
const YOUNG_GENERATION_MB = 4;

/** The code of a batch lost with its thread: the writer keeps the rows and retries, as when the database is away. */
export const THREAD_LOST = 'ELEDGERTHREAD';

export class LedgerThread {
  private worker: Worker | null = null;
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve: (n: number) => void; reject: (e: Error) => void }>();
  private closed = false;

  /** `nice`: this thread's nice value (Linux keeps one per thread; 0 keeps the event loop's priority). */
  constructor(
    private readonly file: string,
    private readonly nice = 0,
  ) {}

  write(batch: RequestLogsTable[]): Promise<number> {
    const worker = (this.worker ??= this.spawn());
    const id = this.nextId++;
    return new Promise<number>((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      worker.postMessage({ id, batch });
    });
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
          workerData: { file: this.file, nice: this.nice },
          resourceLimits,
        })
      : new Worker(entry, { workerData: { file: this.file, nice: this.nice }, resourceLimits });
    worker.unref();
    worker.on('message', (message: { id: number; written?: number; error?: { message: string; code?: string } }) => {
      const pending = this.waiting.get(message.id);
      if (!pending) return;
      this.waiting.delete(message.id);
      if (message.error) pending.reject(Object.assign(new Error(message.error.message), { code: message.error.code }));
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
