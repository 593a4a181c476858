// Requests from a cluster worker to its primary over Node's IPC channel, and the primary's side that
// answers them: one message each way, matched by id. What `server.workers > 1` shares goes through
// here (counters, budgets, stored responses, the metrics of every worker).
import cluster, { type Worker } from 'node:cluster';

const REQUEST = 'llm-proxy:ipc-req';
const ASK_WORKER = 'llm-proxy:worker-req';
const WORKER_ANSWER = 'llm-proxy:worker-res';
/** A health check result the primary relays to every worker but the one that ran it. */
export const HEALTH_RESULT = 'llm-proxy:health-result';
const RESPONSE = 'llm-proxy:ipc-res';
const TIMEOUT_MS = 10_000;

interface RequestMessage {
  type: typeof REQUEST;
  id: number;
  op: string;
  args: unknown[];
}

interface ResponseMessage {
  type: typeof RESPONSE;
  id: number;
  result?: unknown;
  error?: string;
}

export type Handler = (args: unknown[], worker: Worker) => unknown;

/** The primary's side: answers each worker's requests with the handler named by `op`. */
export function servePrimary(handlers: ReadonlyMap<string, Handler>): void {
  cluster.on('message', (worker, message: RequestMessage) => {
    if (message?.type !== REQUEST) return;
    const reply = (body: Omit<ResponseMessage, 'type' | 'id'>) => {
      if (worker.isConnected()) worker.send({ type: RESPONSE, id: message.id, ...body } satisfies ResponseMessage);
    };
    const handler = handlers.get(message.op);
    if (!handler) return reply({ error: `no handler for '${message.op}'` });
    Promise.resolve()
      .then(() => handler(message.args, worker))
      .then(
        (result) => reply({ result }),
        (error: unknown) => reply({ error: error instanceof Error ? error.message : String(error) }),
      );
  });
}

/** A worker's link to its primary. */
export class PrimaryLink {
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void; timer: NodeJS.Timeout }>();

  constructor() {
    process.on('message', (message: ResponseMessage) => {
      if (message?.type !== RESPONSE) return;
      const pending = this.waiting.get(message.id);
      if (!pending) return;
      this.waiting.delete(message.id);
      clearTimeout(pending.timer);
      if (message.error !== undefined) pending.reject(new Error(`primary: ${message.error}`));
      else pending.resolve(message.result);
    });
  }

  call<T>(op: string, ...args: unknown[]): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        reject(new Error(`primary: no answer to '${op}' within ${TIMEOUT_MS} ms`));
      }, TIMEOUT_MS);
      timer.unref();
      this.waiting.set(id, { resolve: resolve as (value: unknown) => void, reject, timer });
      process.send!({ type: REQUEST, id, op, args } satisfies RequestMessage);
    });
  }
}

/** True in a worker forked by `server.workers > 1` (its primary answers IPC requests). */
export function inClusterWorker(): boolean {
  return cluster.isWorker && typeof process.send === 'function';
}

/**
 * The primary asks every live worker the same question and collects their answers (workers that do
 * not answer within the timeout are left out): what a worker serves for the whole host, such as the
 * console's series, is gathered this way.
 */
export function gatherFromWorkers(op: string, args: unknown[], timeoutMs = 3000): Promise<unknown[]> {
  const workers = Object.values(cluster.workers ?? {}).filter((w): w is Worker => Boolean(w?.isConnected()));
  return Promise.all(
    workers.map(
      (worker) =>
        new Promise<unknown>((resolve) => {
          const id = gatherId++;
          const timer = setTimeout(() => done(undefined), timeoutMs);
          const done = (value: unknown) => {
            clearTimeout(timer);
            worker.off('message', onMessage);
            resolve(value);
          };
          const onMessage = (message: { type?: string; id?: number; result?: unknown; error?: string }) => {
            if (message?.type === WORKER_ANSWER && message.id === id) done(message.error === undefined ? message.result : undefined);
          };
          worker.on('message', onMessage);
          worker.send({ type: ASK_WORKER, id, op, args });
        }),
    ),
  ).then((answers) => answers.filter((answer) => answer !== undefined));
}
let gatherId = 1;

/** A worker's answers to the primary's questions, by op. */
export class WorkerAnswers {
  private readonly handlers = new Map<string, (args: unknown[]) => unknown>();

  constructor() {
    process.on('message', (message: RequestMessage | { type: typeof ASK_WORKER; id: number; op: string; args: unknown[] }) => {
      if (message?.type !== ASK_WORKER) return;
      const handler = this.handlers.get(message.op);
      Promise.resolve()
        .then(() => (handler ? handler(message.args) : Promise.reject(new Error(`no answer for '${message.op}'`))))
        .then(
          (result) => process.send?.({ type: WORKER_ANSWER, id: message.id, result }),
          (error: unknown) => process.send?.({ type: WORKER_ANSWER, id: message.id, error: String(error) }),
        );
    });
  }

  /** What this worker answers to `op` (one handler per op). */
  answer(op: string, handler: (args: unknown[]) => unknown): void {
    this.handlers.set(op, handler);
  }
}

/** A worker's two-way link with its primary: its requests, and its answers to the primary's questions. */
export interface HostLink {
  link: PrimaryLink;
  answers: WorkerAnswers;
}
