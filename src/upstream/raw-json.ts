// Upstream JSON answers kept as bytes: parsed whole only when something reads them, with `usage`
// found in the bytes and parsed alone.
import type { JsonResult, Usage } from '../providers/types.js';

/** The answer's `usage`, read without parsing the whole answer when it came as bytes. */
export function usageOf(result: JsonResult): Usage | null {
  const usage = result instanceof RawJson ? result.usage : result.data.usage;
  return usage && typeof usage === 'object' && !Array.isArray(usage) ? (usage as Usage) : null;
}

/**
 * An upstream JSON answer kept as its bytes. Pass-through answers go back to the client as they
 * came, so parsing them whole (most of the cost for an 18 KB embedding) waits until something reads
 * `data`; `usage` is found in the bytes and parsed alone.
 */
export class RawJson implements JsonResult {
  private parsed: Record<string, unknown> | null = null;
  private usageValue: unknown = undefined;

  constructor(
    readonly raw: Buffer,
    private readonly parse: (raw: Buffer) => Record<string, unknown>,
  ) {}

  get data(): Record<string, unknown> {
    this.parsed ??= this.parse(this.raw);
    return this.parsed;
  }

  get usage(): unknown {
    if (this.usageValue === undefined) this.usageValue = this.parsed ? this.parsed.usage : (memberSlice(this.raw, 'usage') ?? this.data.usage ?? null);
    return this.usageValue;
  }
}

/**
 * The value of the last top-level-looking `"key": {...}` member in JSON bytes, parsed, or undefined
 * when it cannot be found that way (the caller then parses the whole document). A key inside a
 * string is escaped (`\"usage\"`) and so never matches.
 */
export function memberSlice(raw: Buffer, key: string): unknown {
  const at = raw.lastIndexOf(needle(key));
  if (at <= 0 || raw[at - 1] === 0x5c /* \\ */) return undefined;
  let i = at + key.length + 2;
  while (i < raw.length && isSpace(raw[i])) i++;
  if (raw[i] !== 0x3a /* : */) return undefined;
  i++;
  while (i < raw.length && isSpace(raw[i])) i++;
  if (raw[i] !== 0x7b /* { */) return undefined;
  const start = i;
  let depth = 0;
  let inString = false;
  for (; i < raw.length; i++) {
    const c = raw[i];
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b) depth++;
    else if (c === 0x7d && --depth === 0) {
      try {
        return JSON.parse(raw.toString('utf8', start, i + 1)) as unknown;
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

/** `"key"` as bytes, made once per key (a string needle is converted on every search). */
function needle(key: string): Buffer {
  let bytes = NEEDLES.get(key);
  if (!bytes) NEEDLES.set(key, (bytes = Buffer.from(`"${key}"`)));
  return bytes;
}
const NEEDLES = new Map<string, Buffer>();

/** First and last non-space bytes are `{` and `}`: a cheap check that bytes are a JSON object. */
export function looksLikeObject(raw: Buffer): boolean {
  let start = 0;
  let end = raw.length - 1;
  while (start <= end && isSpace(raw[start])) start++;
  while (end >= start && isSpace(raw[end])) end--;
  return end > start && raw[start] === 0x7b && raw[end] === 0x7d;
}

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}
