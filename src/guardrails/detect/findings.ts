// What every detector does with its raw candidates: drop allow-listed ones, then make the list
// non-overlapping and sorted, as the Detector contract promises.
import type { Finding } from './types.js';

/** Whether a finding's text is allowed (so not reported); undefined when the list is empty. */
export type AllowTest = (value: string) => boolean;

/**
 * Compiles an allow list: an entry written `/source/flags` is a regex that must match the whole
 * value; any other entry is a literal compared case-insensitively.
 */
export function compileAllow(allow: readonly string[] | undefined): AllowTest | undefined {
  if (!allow || allow.length === 0) return undefined;
  const literals = new Set<string>();
  const regexes: RegExp[] = [];
  for (const entry of allow) {
    const slash = entry.lastIndexOf('/');
    if (entry.length > 2 && entry[0] === '/' && slash > 0 && /^[a-z]*$/.test(entry.slice(slash + 1))) {
      const flags = entry.slice(slash + 1).replace(/[gy]/g, '');
      try {
        regexes.push(new RegExp(`^(?:${entry.slice(1, slash)})$`, flags));
      } catch (err) {
        throw new Error(`invalid allow-list regex ${JSON.stringify(entry)}: ${(err as Error).message}`);
      }
    } else {
      literals.add(entry.toLowerCase());
    }
  }
  return (value) => {
    if (literals.size > 0 && literals.has(value.toLowerCase())) return true;
    for (const re of regexes) if (re.test(value)) return true;
    return false;
  };
}

function byStartThenLongest(a: Finding, b: Finding): number {
  return a.start - b.start || b.end - a.end;
}

/**
 * Sorts findings by start and resolves overlaps in place: of two overlapping findings the longer
 * survives, the earlier one on a tie. Allow-listed findings are removed first.
 */
export function finish(text: string, found: Finding[], allowed: AllowTest | undefined): Finding[] {
  let kept = found;
  if (allowed && found.length > 0) kept = found.filter((f) => !allowed(text.slice(f.start, f.end)));
  if (kept.length < 2) return kept;
  kept.sort(byStartThenLongest);
  const out: Finding[] = [kept[0]];
  for (let i = 1; i < kept.length; i++) {
    const f = kept[i];
    const last = out[out.length - 1];
    if (f.start >= last.end) out.push(f);
    else if (f.end - f.start > last.end - last.start) out[out.length - 1] = f;
  }
  return out;
}
