// Finds a key written twice at the top level of a JSON object. JSON.parse keeps the last one, but the
// raw bytes are forwarded as they are, and an upstream may read the first: a request must not be
// checked on one model and served another.

/** How many times `key` appears as a top-level member name of the JSON object in `text` (escapes decoded). */
export function topLevelKeyCount(text: string, key: string): number {
  let depth = 0;
  let count = 0;
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      const start = i;
      for (i++; i < text.length && text[i] !== '"'; i++) if (text[i] === '\\') i++;
      if (depth === 1 && expectKey) {
        expectKey = false;
        try {
          if (JSON.parse(text.slice(start, i + 1)) === key) count++;
        } catch {
          // malformed: JSON.parse of the whole body reports it
        }
      }
    } else if (c === '{' || c === '[') {
      depth++;
      expectKey = depth === 1 && c === '{';
    } else if (c === '}' || c === ']') {
      depth--;
    } else if (c === ',' && depth === 1) {
      expectKey = true;
    }
  }
  return count;
}

/** Cheap pre-check: only bodies that could name `key` twice (or hide it behind an escape) are scanned. */
export function mayRepeatKey(text: string, key: string): boolean {
  const quoted = `"${key}"`;
  const first = text.indexOf(quoted);
  return (first !== -1 && text.indexOf(quoted, first + quoted.length) !== -1) || text.includes('\\u');
}
