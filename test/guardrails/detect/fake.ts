// Fake credentials for the detector tests, built at run time so no secret-shaped literal sits in the source.
const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** `n` pseudo-random characters of `alphabet` (deterministic per seed), starting with upper, lower, digit. */
export function token(n: number, seed = 1, alphabet = ALNUM): string {
  let x = seed * 7919 + 17;
  let out = alphabet === ALNUM ? 'Qz4' : '';
  while (out.length < n) {
    x = (x * 1103515245 + 12345) % 2147483648;
    out += alphabet[x % alphabet.length];
  }
  return out.slice(0, n);
}

export const UPPER_DIGITS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
export const BASE64 = ALNUM + '+/';

/** Each finding as [entity, matched text], for readable expectations. */
export function found(scan: (text: string) => { start: number; end: number; entity: string }[], text: string): [string, string][] {
  return scan(text).map((f) => [f.entity, text.slice(f.start, f.end)]);
}
