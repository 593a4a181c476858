// HTTPS served by the proxy itself, for a host without a reverse proxy in front: the certificate and
// key are read from their files at start, and again on SIGHUP (a renewed certificate is served to new
// connections without a restart; a pair that cannot be read is logged and the old one kept).
import { readFileSync } from 'node:fs';
import type { Server as HttpsServer } from 'node:https';
import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';

export interface TlsFiles {
  key: Buffer;
  cert: Buffer;
}

/** The PEM files `server.tls` names, or null when it names none. */
export function readTls(tls: Config['server']['tls']): TlsFiles | null {
  if (!tls.cert_file || !tls.key_file) return null;
  return { cert: readFileSync(tls.cert_file), key: readFileSync(tls.key_file) };
}

/** Re-reads the files into the running server's secure context. */
export function reloadTls(server: HttpsServer, tls: Config['server']['tls'], logger: Logger): void {
  try {
    const files = readTls(tls);
    if (!files) return;
    server.setSecureContext(files);
    logger.info({ cert_file: tls.cert_file }, 'TLS certificate reloaded');
  } catch (error) {
    logger.error({ err_message: (error as Error).message, cert_file: tls.cert_file }, 'TLS certificate not reloaded; the previous one keeps serving');
  }
}
