// Reversible masking: each masked value becomes a stable placeholder (<EMAIL_1>, the same value the
// same placeholder within a request); placeholders made from the request's own text are put back in
// the answer, those made from the answer's text are not (the client was not meant to see that value).
import type { Finding } from './detect/index.js';

const PLACEHOLDER = /<([A-Z][A-Z0-9_]*)_(\d+)>/g;
/** The longest text a placeholder can be: the release point of a stream never falls inside one. */
const PLACEHOLDER_MAX = 48;

export class Placeholders {
  private readonly counters = new Map<string, number>();
  /** `restorable \0 entity \0 value` → placeholder. */
  private readonly byValue = new Map<string, string>();
  /** Placeholder → the value it stands for (request text only). */
  private readonly originals = new Map<string, string>();

  /** `text` with each finding replaced by its placeholder; findings sorted, not overlapping. */
  mask(text: string, findings: readonly Finding[], restorable: boolean): string {
    let out = '';
    let at = 0;
    for (const f of findings) {
      if (f.start < at) continue;
      out += text.slice(at, f.start) + this.placeholder(f.entity, text.slice(f.start, f.end), restorable);
      at = f.end;
    }
    return out + text.slice(at);
  }

  /** Placeholders of request values put back; any other `<X_n>` is left as it is. */
  restore(text: string): string {
    if (this.originals.size === 0 || !text.includes('<')) return text;
    return text.replace(PLACEHOLDER, (whole) => this.originals.get(whole) ?? whole);
  }

  get restorable(): boolean {
    return this.originals.size > 0;
  }

  private placeholder(entity: string, value: string, restorable: boolean): string {
    const key = `${restorable ? 1 : 0}\u0000${entity}\u0000${value}`;
    const known = this.byValue.get(key);
    if (known) return known;
    const n = (this.counters.get(entity) ?? 0) + 1;
    this.counters.set(entity, n);
    const placeholder = `<${entity}_${n}>`;
    this.byValue.set(key, placeholder);
    if (restorable) this.originals.set(placeholder, value);
    return placeholder;
  }
}

/**
 * Moves a stream's release point back so it does not fall inside a placeholder (`<EMAIL_` now,
 * `1>` in the next chunk): text before the returned index can be restored and sent.
 */
export function placeholderSafeCut(text: string, cut: number): number {
  const from = Math.max(0, cut - PLACEHOLDER_MAX);
  const open = text.lastIndexOf('<', cut - 1);
  if (open < from) return cut;
  const close = text.indexOf('>', open);
  if (close !== -1 && close < cut) return cut;
  return /^<[A-Z0-9_]*>?$/.test(text.slice(open, close === -1 ? text.length : close + 1).slice(0, PLACEHOLDER_MAX)) ? open : cut;
}
