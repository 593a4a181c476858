// What the main thread and the ledger's writing thread share to pace its writes (ledger-thread.ts):
// two Int32 slots of a SharedArrayBuffer.

/** Rows per transaction: a chunk is well under a millisecond of the thread's CPU. */
export const CHUNK_ROWS = 25;
/** Between chunks, while calm, the thread sleeps this many times as long as the chunk took. */
export const PAUSE_FACTOR = 3;
/** Slot set to 1 by the main thread while rows pile up: no pauses. */
export const URGENT = 0;
/** Slot the thread sleeps on between chunks; notified to wake it when URGENT is set. */
export const WAKE = 1;

export function pacingFlags(): Int32Array {
  return new Int32Array(new SharedArrayBuffer(2 * Int32Array.BYTES_PER_ELEMENT));
}

/** The main thread's side: flags (or clears) a backlog, waking a pausing thread at once. */
export function setUrgent(flags: Int32Array, urgent: boolean): void {
  if (Atomics.exchange(flags, URGENT, urgent ? 1 : 0) === 0 && urgent) Atomics.notify(flags, WAKE);
}
