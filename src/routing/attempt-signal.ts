// The abort signal of one upstream attempt. Node 20 builds an AbortSignal as an EventTarget, which
// cost some 8 µs per request in the CPU profile; an attempt needs only what its consumers use:
// undici (`aborted`, `reason`, add/removeEventListener), node:timers/promises (the same) and our own
// code (`aborted`, `reason`, `throwIfAborted`). It is handed out typed as AbortSignal for them.

type Listener = ((event: { type: 'abort'; target: unknown }) => void) | { handleEvent(event: { type: 'abort'; target: unknown }): void };

export class AttemptSignal {
  aborted = false;
  reason: unknown = undefined;
  onabort: ((event: { type: 'abort'; target: unknown }) => void) | null = null;
  private listeners: Listener[] = [];

  addEventListener(type: string, listener: Listener | null): void {
    if (type === 'abort' && listener && !this.listeners.includes(listener)) this.listeners.push(listener);
  }

  removeEventListener(type: string, listener: Listener | null): void {
    if (type !== 'abort' || !listener) return;
    const at = this.listeners.indexOf(listener);
    if (at >= 0) this.listeners.splice(at, 1);
  }

  throwIfAborted(): void {
    if (this.aborted) throw this.reason;
  }

  /** Fires once: every listener runs, each at most once (they were registered `once` in effect). */
  abort(reason: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    const event = { type: 'abort' as const, target: this };
    const listeners = this.listeners;
    this.listeners = [];
    for (const listener of listeners) {
      try {
        if (typeof listener === 'function') listener.call(this, event);
        else listener.handleEvent(event);
      } catch (error) {
        // As with EventTarget: one listener's failure does not stop the others.
        queueMicrotask(() => {
          throw error;
        });
      }
    }
    this.onabort?.(event);
  }

  /** Typed as the AbortSignal its consumers expect. */
  asAbortSignal(): AbortSignal {
    return this as unknown as AbortSignal;
  }
}
