// Building blocks the configuration's section schemas share: closed sections that name an unknown key
// and the key meant, enums and URLs with readable messages, durations, CIDR ranges.
import { isIP } from 'node:net';
import { z } from 'zod';
import { nearest } from './suggest.js';

/** Separates the per-key messages of one unknown-keys issue (formatIssues puts each on its own line). */
export const KEY_SEPARATOR = '\n';

/**
 * A closed section: a key it does not know is an error naming the nearest known one ("did you mean"),
 * so a misspelling never silently falls back to a default. Open maps (model names, headers) use
 * z.record instead.
 */
export function section<S extends z.core.$ZodLooseShape>(shape: S) {
  const known = Object.keys(shape);
  return z.strictObject(shape, {
    error: (issue) => {
      if (issue.code !== 'unrecognized_keys') return undefined;
      return issue.keys
        .map((key) => {
          const [meant] = nearest(key, known);
          return meant ? `unknown key; did you mean '${meant}'?` : `unknown key; known keys here: ${known.join(', ')}`;
        })
        .join(KEY_SEPARATOR);
    },
  });
}

export const ENV_NAME = /^[A-Z][A-Z0-9_]*$/;

export const oneOf = <T extends readonly [string, ...string[]]>(values: T) =>
  z.enum(values, {
    error: (issue) => `'${String(issue.input)}' is not one of [${values.join(', ')}]`,
  });

export const httpUrl = z
  .string()
  .refine((value) => {
    try {
      const url = new URL(value);
      return url.protocol === 'http:' || url.protocol === 'https:';
    } catch {
      return false;
    }
  }, { error: (issue) => `'${String(issue.input)}' is not a valid http(s) URL` });

export const seconds = z.number().positive();

export const cidr = z.string().refine(
  (value) => {
    const [address, prefix, extra] = value.split('/');
    const family = isIP(address);
    if (family === 0 || extra !== undefined) return false;
    if (prefix === undefined) return true;
    return /^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128);
  },
  { error: (issue) => `'${String(issue.input)}' is not an IP address or CIDR range` },
);
