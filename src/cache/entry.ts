// What the response cache stores: one complete OpenAI JSON answer (a streamed answer is assembled into
// one) with the provider that gave it. Encoded as a JSON header line then the body bytes, optionally
// deflated; the first byte says which.
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import type { Operation } from '../providers/types.js';

export interface CachedResponse {
  op: Operation;
  provider: string;
  providerType: string;
  model: string;
  /** The answer's JSON text, exactly as first sent (without `_proxy_info`). */
  body: Buffer;
  /** Small members of the answer (id, object, model, usage) read without parsing the body. */
  summary: Record<string, unknown>;
  storedAt: number;
}

const PLAIN = 0;
const DEFLATED = 1;

type Header = Omit<CachedResponse, 'body'>;

export function encodeEntry(entry: CachedResponse, compress: boolean): Buffer {
  const { body, ...header } = entry;
  const plain = Buffer.concat([Buffer.from(`${JSON.stringify(header)}\n`), body]);
  if (!compress) return Buffer.concat([Buffer.of(PLAIN), plain]);
  return Buffer.concat([Buffer.of(DEFLATED), deflateRawSync(plain, { level: 6 })]);
}

/** Null for bytes that are not an entry (a foreign or corrupted value is treated as a miss). */
export function decodeEntry(bytes: Buffer): CachedResponse | null {
  try {
    const plain = bytes[0] === DEFLATED ? inflateRawSync(bytes.subarray(1)) : bytes[0] === PLAIN ? bytes.subarray(1) : null;
    if (!plain) return null;
    const newline = plain.indexOf(0x0a);
    if (newline < 0) return null;
    const header = JSON.parse(plain.subarray(0, newline).toString('utf8')) as Header;
    return { ...header, body: plain.subarray(newline + 1) };
  } catch {
    return null;
  }
}

/** Bytes an entry holds in memory, for the cache's size bound. */
export function entrySize(entry: CachedResponse): number {
  return entry.body.length + JSON.stringify(entry.summary).length + entry.provider.length + entry.model.length + 64;
}

export function summarise(data: Record<string, unknown>): Record<string, unknown> {
  const summary: Record<string, unknown> = {};
  for (const name of ['id', 'object', 'created', 'model', 'usage']) if (data[name] !== undefined) summary[name] = data[name];
  return summary;
}
