// The contract between the guardrail engine and the built-in detectors: a detector is a pure function
// from text to non-overlapping findings, plus how long one finding can be (for stream windows).

export interface Finding {
  /** UTF-16 offsets into the scanned text, end exclusive. */
  start: number;
  end: number;
  /** Upper-case label used in placeholders: EMAIL, CARD, OPENAI_KEY, or a regex detector's label. */
  entity: string;
}

export interface Detector {
  /** Non-overlapping findings sorted by start (on overlap the longer, then the earlier, is kept). */
  scan(text: string): Finding[];
  /** The longest text one finding can span; stream windows hold back at least this much. */
  readonly maxMatchLength: number;
}
