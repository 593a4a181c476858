// A streamed answer's text, checked before it is sent: text is held until a window of it has come,
// checked with what precedes it, and released except for an overlap kept back, so a value split
// across chunks (or windows) is seen whole. A value that straddles the release point goes out whole
// with its window; so does a placeholder, which is put back only once it is complete.
import type { GuardSession } from './session.js';
import { placeholderSafeCut } from './placeholders.js';

/** Characters of already-sent text kept as left context (word boundaries at the window's start). */
const CONTEXT = 24;

export interface WindowSettings {
  window_chars: number;
  overlap_chars: number;
}

export class StreamWindow {
  private pending = '';
  private context = '';
  /** Everything released so far, as the client got it. */
  released = '';

  constructor(
    private readonly session: GuardSession,
    private readonly settings: WindowSettings,
  ) {}

  /** Takes a delta; returns the text that may be sent now (often ''). Throws GuardrailBlocked. */
  async push(delta: string): Promise<string> {
    this.pending += delta;
    if (this.pending.length < this.settings.window_chars + this.settings.overlap_chars) return '';
    return this.release(false);
  }

  /** The end of this text: everything still held, checked. Throws GuardrailBlocked. */
  async flush(): Promise<string> {
    if (this.pending === '') return '';
    return this.release(true);
  }

  private async release(final: boolean): Promise<string> {
    const text = this.context + this.pending;
    const base = this.context.length;
    let cut = text.length;
    if (!final) {
      cut -= this.settings.overlap_chars;
      for (const f of this.session.findings(text)) if (f.start < cut && f.end > cut && f.start >= base) cut = f.end;
      cut = placeholderSafeCut(text, cut);
      if (cut <= base) return '';
    }
    const chunk = [text.slice(0, cut)];
    await this.session.run('output', chunk, [base]);
    this.context = text.slice(Math.max(0, cut - CONTEXT), cut);
    this.pending = text.slice(cut);
    const out = chunk[0].slice(base);
    this.released += out;
    return out;
  }
}
