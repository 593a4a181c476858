// Operator-written patterns: compiled once at config time (so a bad one is reported with its text),
// with the leading inline flags of Python/PCRE/Go configs turned into JS flags.
import { compileAllow, finish } from './findings.js';
import type { Detector, Finding } from './types.js';

const INLINE_FLAGS_RE = /^\(\?([a-zA-Z]+)\)/;
const SUPPORTED_FLAGS = 'ims';
/** A regex detector's findings are assumed no longer than this unless told otherwise. */
export const DEFAULT_REGEX_MAX_MATCH = 256;

/**
 * Compiles a pattern for global scanning. Leading `(?i)`, `(?s)`, `(?m)` (or combined, `(?is)`)
 * become JS flags; Python's `(?P<name>…)` and `(?P=name)` become JS named groups. The `u` flag is
 * added when the pattern compiles with it. Throws an Error naming the pattern when it is invalid.
 */
export function compilePattern(pattern: string): RegExp {
  let source = pattern;
  const flags = new Set<string>();
  for (let m = INLINE_FLAGS_RE.exec(source); m; m = INLINE_FLAGS_RE.exec(source)) {
    for (const flag of m[1]) {
      if (!SUPPORTED_FLAGS.includes(flag)) {
        throw new Error(`invalid regex pattern ${JSON.stringify(pattern)}: inline flag "${flag}" is not supported (only i, m, s)`);
      }
      flags.add(flag);
    }
    source = source.slice(m[0].length);
  }
  source = source.replace(/\(\?P</g, '(?<').replace(/\(\?P=(\w+)\)/g, '\\k<$1>');
  const base = [...flags].join('') + 'g';
  try {
    return new RegExp(source, base + 'u');
  } catch {
    // Some valid non-Unicode patterns (e.g. an escaped '-' or a lone '{') are errors under 'u'.
  }
  try {
    return new RegExp(source, base);
  } catch (err) {
    throw new Error(`invalid regex pattern ${JSON.stringify(pattern)}: ${(err as Error).message}`);
  }
}

function scanWith(re: RegExp, entity: string, text: string, out: Finding[]): void {
  re.lastIndex = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    if (m[0].length === 0) {
      // An empty match is no finding; step past it (a whole code point under 'u') so the scan ends.
      const code = text.charCodeAt(re.lastIndex);
      re.lastIndex += re.unicode && code >= 0xd800 && code <= 0xdbff ? 2 : 1;
      continue;
    }
    out.push({ start: m.index, end: m.index + m[0].length, entity });
  }
}

export function regexDetector(opts: {
  patterns: readonly string[];
  allow?: readonly string[];
  entity: string;
  /** Longest finding for stream windows; DEFAULT_REGEX_MAX_MATCH when not given. */
  maxMatchLength?: number;
}): Detector {
  const regexes = opts.patterns.map(compilePattern);
  const allowed = compileAllow(opts.allow);
  const { entity } = opts;
  return {
    maxMatchLength: opts.maxMatchLength ?? DEFAULT_REGEX_MAX_MATCH,
    scan(text: string): Finding[] {
      const found: Finding[] = [];
      for (const re of regexes) scanWith(re, entity, text, found);
      return finish(text, found, allowed);
    },
  };
}
