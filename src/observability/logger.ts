// The pino logger: JSON lines, secrets redacted wherever they appear in a logged object.
import pino, { type Bindings, type ChildLoggerOptions, type Logger } from 'pino';
import type { Config } from '../config/schema.js';

// Where secrets can appear in what this project logs. Exact paths only: wildcard paths made pino
// walk every logged object and tripled the cost of each request's log line (34 µs against 12 µs).
const SECRET_HEADERS = ['authorization', 'x-api-key', 'api-key', 'x-goog-api-key'];
const HOLDERS = ['headers', 'req.headers'];
const REDACT = [
  'authorization',
  'api_key',
  'apiKey',
  'x-api-key',
  ...HOLDERS.flatMap((holder) => SECRET_HEADERS.map((header) => `${holder}["${header}"]`)),
];

/**
 * Lines are gathered into writes of up to 4 KB, and whatever is waiting is written at least every
 * FLUSH_MS. One write per line cost the proxy about 19 µs of main-thread time per request (an fs.write
 * through the libuv thread pool each), plus the pool thread's own CPU. `logger.flush()` (main.ts
 * calls it before every exit) writes what is waiting synchronously, so only a hard kill can lose
 * the last FLUSH_MS of lines.
 */
const BATCH_BYTES = 4096;
const FLUSH_MS = 50;

type SonicBoom = ReturnType<typeof pino.destination>;

/**
 * Gathers lines in an array and hands them to a synchronous sonic-boom destination as one string.
 * sonic-boom's own batching (`minLength`) appends each line to one string and measures that string's
 * byte length on every write, flattening it again each time: about 1 µs more per line, and 2.6 KB of
 * garbage per request, than joining the lines once per batch.
 */
export class BatchingDestination {
  private lines: string[] = [];
  private size = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(
    readonly sink: SonicBoom,
    private readonly batchBytes = BATCH_BYTES,
    flushMs = FLUSH_MS,
  ) {
    this.timer = setInterval(() => this.writeBatch(), flushMs);
    this.timer.unref();
  }

  write(line: string): boolean {
    this.lines.push(line);
    this.size += line.length;
    if (this.size >= this.batchBytes) this.writeBatch();
    return true;
  }

  /** pino's `logger.flush(cb)`. */
  flush(callback?: (error?: Error) => void): void {
    this.writeBatch();
    this.sink.flush(callback);
  }

  flushSync(): void {
    this.writeBatch();
    this.sink.flushSync();
  }

  /** Writes what is gathered, then opens the file again by its name (after logrotate moved it away). */
  reopen(): void {
    this.writeBatch();
    this.sink.reopen();
  }

  end(): void {
    clearInterval(this.timer);
    this.writeBatch();
    this.sink.end();
  }

  private writeBatch(): void {
    if (this.size === 0) return;
    const text = this.lines.length === 1 ? this.lines[0] : this.lines.join('');
    this.lines = [];
    this.size = 0;
    this.sink.write(text);
  }
}

/**
 * `,"time":"<ISO 8601>"` like pino.stdTimeFunctions.isoTime, but the date and time up to the second
 * are formatted once per second instead of once per line (Date#toISOString showed in profiles).
 */
export function isoTime(): string {
  const now = Date.now();
  const second = Math.floor(now / 1000);
  if (second !== cachedSecond) {
    cachedSecond = second;
    cachedPrefix = `,"time":"${new Date(second * 1000).toISOString().slice(0, 20)}`;
  }
  const ms = now - second * 1000;
  return `${cachedPrefix}${ms < 10 ? '00' : ms < 100 ? '0' : ''}${ms}Z"`;
}
let cachedSecond = -1;
let cachedPrefix = '';

/** The paths redacted from log lines, also applied to stored request and response bodies. */
export function redactPaths(logging: Config['logging'], auth?: Config['auth']): string[] {
  const headerName = auth?.api_key_header.toLowerCase();
  return [...new Set([...REDACT, ...(headerName ? HOLDERS.map((holder) => `${holder}["${headerName}"]`) : []), ...logging.redact])];
}

/** With `logging.file`: reopens the file (SIGHUP, after logrotate renamed it); a no-op on stdout. */
export function reopenLogFile(logger: Logger, logging: Config['logging']): void {
  if (!logging.file) return;
  const destination = (logger as unknown as Record<symbol, unknown>)[pino.symbols.streamSym];
  if (destination instanceof BatchingDestination) destination.reopen();
}

export function createLogger(logging: Config['logging'], auth?: Config['auth']): Logger {
  const paths = redactPaths(logging, auth);
  const sink = logging.file ? pino.destination({ dest: logging.file, mkdir: true, sync: true }) : pino.destination({ dest: 1, sync: true });
  const destination = new BatchingDestination(sink);
  return pino(
    {
      level: logging.level,
      redact: { paths, censor: '[REDACTED]' },
      base: { service: 'llm-proxy' },
      timestamp: isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  );
}

/**
 * Fastify's per-request logger (`request.log`), made by pino only when something logs through it.
 * Fastify asks for one per request; pino's child() (bindings serialised, redaction applied) cost
 * about 0.5 KB and a few hundred ns each time, and most requests log only their one request line,
 * which goes through the root logger (request-context.ts).
 */
export class LazyChildLogger {
  private made: Logger | null = null;

  constructor(
    private readonly parent: Logger,
    private readonly bindings: Bindings,
    private readonly options: ChildLoggerOptions,
  ) {}

  private get logger(): Logger {
    return (this.made ??= this.parent.child(this.bindings, this.options));
  }

  get level(): string {
    return this.made?.level ?? this.options.level ?? this.parent.level;
  }

  set level(level: string) {
    this.logger.level = level;
  }

  fatal(obj: unknown, ...rest: unknown[]): void {
    this.logger.fatal(obj as object, ...(rest as [string]));
  }

  error(obj: unknown, ...rest: unknown[]): void {
    this.logger.error(obj as object, ...(rest as [string]));
  }

  warn(obj: unknown, ...rest: unknown[]): void {
    this.logger.warn(obj as object, ...(rest as [string]));
  }

  info(obj: unknown, ...rest: unknown[]): void {
    this.logger.info(obj as object, ...(rest as [string]));
  }

  debug(obj: unknown, ...rest: unknown[]): void {
    this.logger.debug(obj as object, ...(rest as [string]));
  }

  trace(obj: unknown, ...rest: unknown[]): void {
    this.logger.trace(obj as object, ...(rest as [string]));
  }

  silent(): void {}

  child(bindings: Bindings, options?: ChildLoggerOptions): Logger {
    return this.logger.child(bindings, options);
  }
}
