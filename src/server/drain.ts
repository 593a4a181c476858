// Draining on close: requests in flight when the server starts closing finish, and then their
// connections close too. Node's server.close() (and Fastify's `forceCloseConnections: 'idle'`) only
// closes connections idle at that moment; a keep-alive connection busy answering would otherwise stay
// open after its answer until its keep-alive timeout, holding shutdown up for the whole grace period.
import { ServerResponse, type Server } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyInstance } from 'fastify';

/** The answer a socket is writing now: Node's own field, the one tools such as http-terminator read. */
function answerOn(socket: Socket): ServerResponse | null {
  const message = (socket as Socket & { _httpMessage?: unknown })._httpMessage;
  return message instanceof ServerResponse ? message : null;
}

/** Tracks the server's connections (one Set entry per connection, nothing per request). */
export class ConnectionDrainer {
  private readonly sockets = new Set<Socket>();

  constructor(private readonly server: Server) {
    server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
    });
  }

  /**
   * For each answer in flight: one not started yet goes out with `Connection: close` (Node then ends
   * the connection after it, and the client knows not to reuse it); one already streaming has its
   * connection closed once it is idle after the answer.
   */
  drain(): void {
    for (const socket of this.sockets) {
      const answer = answerOn(socket);
      if (!answer) continue;
      if (!answer.headersSent) answer.shouldKeepAlive = false;
      else answer.once('finish', () => setImmediate(() => this.server.closeIdleConnections()));
    }
  }
}

/** Drains the app's connections when it starts closing (Fastify's preClose). */
export function drainOnClose(app: FastifyInstance): void {
  const drainer = new ConnectionDrainer(app.server);
  app.addHook('preClose', (done) => {
    drainer.drain();
    done();
  });
}
