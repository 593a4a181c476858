// The pino logger: JSON lines, secrets redacted wherever they appear in a logged object.
import pino, { type Logger } from 'pino';
import type { Config } from '../config/schema.js';

const REDACT = [
  'authorization',
  'api_key',
  'apiKey',
  'x-api-key',
  'headers.authorization',
  'headers["x-api-key"]',
  'headers["api-key"]',
  'headers["x-goog-api-key"]',
  'req.headers.authorization',
  'req.headers["x-api-key"]',
  '*.authorization',
  '*.api_key',
  '*.apiKey',
  '*["x-api-key"]',
  '*["api-key"]',
  '*["x-goog-api-key"]',
];

export function createLogger(logging: Config['logging'], auth?: Config['auth']): Logger {
  const headerName = auth?.api_key_header.toLowerCase();
  const paths = [...REDACT, ...(headerName ? [`headers["${headerName}"]`, `*["${headerName}"]`] : []), ...logging.redact];
  const destination = logging.file ? pino.destination({ dest: logging.file, mkdir: true, sync: false }) : pino.destination({ dest: 1, sync: false });
  return pino(
    {
      level: logging.level,
      redact: { paths: [...new Set(paths)], censor: '[REDACTED]' },
      base: { service: 'llm-proxy' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  );
}
