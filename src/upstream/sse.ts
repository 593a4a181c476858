// Server-sent events: a decoder that splits bytes into events exactly as the spec says (events may
// straddle network chunks; CRLF, LF and CR line ends; comments; multi-line data), and the writer.

export interface SseEvent {
  event: string | null;
  data: string;
  id: string | null;
}

export class SseDecoder {
  private readonly text = new TextDecoder('utf-8');
  private buffer = '';
  private dataLines: string[] = [];
  private event: string | null = null;
  private id: string | null = null;
  private pendingCR = false;

  /** Feeds bytes; returns the events they complete. */
  push(chunk: Uint8Array): SseEvent[] {
    return this.consume(this.text.decode(chunk, { stream: true }));
  }

  /** Ends the input; returns a final event only if the stream ended with one complete but undispatched. */
  end(): SseEvent[] {
    const out = this.consume(this.text.decode());
    if (this.buffer.length > 0) {
      this.processLine(this.buffer, out);
      this.buffer = '';
    }
    // Per the spec an event without its terminating blank line is discarded.
    this.dataLines = [];
    this.event = null;
    return out;
  }

  /** True when bytes of an unfinished event are buffered. */
  get hasPartialEvent(): boolean {
    return this.buffer.length > 0 || this.dataLines.length > 0;
  }

  private consume(input: string): SseEvent[] {
    const out: SseEvent[] = [];
    let text = input;
    if (this.pendingCR && text.startsWith('\n')) text = text.slice(1);
    this.pendingCR = false;
    let buffer = this.buffer + text;
    let start = 0;
    for (let i = 0; i < buffer.length; i++) {
      const ch = buffer.charCodeAt(i);
      if (ch !== 10 && ch !== 13) continue;
      this.processLine(buffer.slice(start, i), out);
      if (ch === 13) {
        if (i + 1 < buffer.length) {
          if (buffer.charCodeAt(i + 1) === 10) i++;
        } else {
          this.pendingCR = true;
        }
      }
      start = i + 1;
    }
    buffer = buffer.slice(start);
    this.buffer = buffer;
    return out;
  }

  private processLine(line: string, out: SseEvent[]): void {
    if (line.length === 0) {
      if (this.dataLines.length > 0) {
        out.push({ event: this.event, data: this.dataLines.join('\n'), id: this.id });
      }
      this.dataLines = [];
      this.event = null;
      return;
    }
    if (line.charCodeAt(0) === 58 /* ':' comment */) return;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.charCodeAt(0) === 32) value = value.slice(1);
    if (field === 'data') this.dataLines.push(value);
    else if (field === 'event') this.event = value;
    else if (field === 'id') this.id = value;
  }
}

/** Yields the events of a byte stream as they complete. */
export async function* parseSse(body: AsyncIterable<Uint8Array>): AsyncGenerator<SseEvent, void, undefined> {
  const decoder = new SseDecoder();
  for await (const chunk of body) {
    for (const event of decoder.push(chunk)) yield event;
  }
  for (const event of decoder.end()) yield event;
}

export const SSE_DONE = 'data: [DONE]\n\n';

export function sseData(data: string): string {
  return `data: ${data}\n\n`;
}

export function sseEvent(event: string, data: string): string {
  return `event: ${event}\ndata: ${data}\n\n`;
}
