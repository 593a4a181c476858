// "Did you mean …?": the nearest of some known names to a misspelled one, by edit distance.

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length];
}

/** The known names close enough to `word` to be what was meant, nearest first (at most `limit`). */
export function nearest(word: string, known: Iterable<string>, limit = 1): string[] {
  const lower = word.toLowerCase();
  const scored: Array<[string, number]> = [];
  for (const name of known) {
    const d = distance(lower, name.toLowerCase());
    const prefix = name.toLowerCase().startsWith(lower) || lower.startsWith(name.toLowerCase());
    if (d <= Math.max(2, Math.floor(Math.max(word.length, name.length) / 3)) || (prefix && Math.min(word.length, name.length) >= 3)) scored.push([name, d]);
  }
  return scored.sort((x, y) => x[1] - y[1] || x[0].localeCompare(y[0])).slice(0, limit).map(([name]) => name);
}
