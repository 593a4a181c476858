// The SSE answers this process is writing, so a shutdown whose grace period ends before they do can
// end each one the way its API ends a failed stream (an error event), count them and say so, rather
// than cut them silently.
import type { FastifyInstance } from 'fastify';

declare module 'fastify' {
  interface FastifyInstance {
    /** SSE answers in flight on this app (see writeStream). */
    openStreams: OpenStreams;
  }
}

/** Ends one stream with an error event; resolves once the event is flushed (or the socket is gone). */
export type StreamCutter = (message: string) => Promise<void>;

export class OpenStreams {
  private readonly cutters = new Set<StreamCutter>();

  /** Registers a stream being written; call the returned function when it ends. */
  add(cut: StreamCutter): () => void {
    this.cutters.add(cut);
    return () => this.cutters.delete(cut);
  }

  /**
   * Ends every open stream with an error event carrying `message`; resolves with how many were cut,
   * once the events are flushed or after `flushMs` (a client that stopped reading cannot hold it up).
   */
  async cutAll(message: string, flushMs = 2000): Promise<number> {
    const all = [...this.cutters];
    this.cutters.clear();
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<void>((resolve) => (timer = setTimeout(resolve, flushMs)));
    await Promise.race([Promise.all(all.map((cut) => cut(message).catch(() => undefined))), deadline]);
    clearTimeout(timer);
    return all.length;
  }
}

export function trackOpenStreams(app: FastifyInstance): void {
  app.decorate('openStreams', new OpenStreams());
}
