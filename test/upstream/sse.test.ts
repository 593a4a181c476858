import { describe, expect, test } from 'vitest';
import { SseDecoder } from '../../src/upstream/sse.js';

const enc = (text: string) => Buffer.from(text, 'utf8');

function decodeAll(pieces: Uint8Array[]) {
  const decoder = new SseDecoder();
  const events = pieces.flatMap((p) => decoder.push(p));
  return [...events, ...decoder.end()];
}

describe('SseDecoder', () => {
  test('splits events and keeps event names and ids', () => {
    const events = decodeAll([enc('event: ping\nid: 7\ndata: {"a":1}\n\ndata: two\n\n')]);
    expect(events).toEqual([
      { event: 'ping', id: '7', data: '{"a":1}' },
      { event: null, id: '7', data: 'two' },
    ]);
  });

  test('an event straddling network chunks, with the blank line split across them', () => {
    const text = 'data: {"hello":"wörld"}\n\ndata: second\n\n';
    const bytes = enc(text);
    // Every split point, including inside the two-byte UTF-8 "ö" and between the two newlines.
    for (let cut = 1; cut < bytes.length; cut++) {
      const events = decodeAll([bytes.subarray(0, cut), bytes.subarray(cut)]);
      expect(events.map((e) => e.data)).toEqual(['{"hello":"wörld"}', 'second']);
    }
  });

  test('CRLF and lone CR line ends, including a CRLF split between chunks', () => {
    expect(decodeAll([enc('data: a\r\n\r\ndata: b\r\r')]).map((e) => e.data)).toEqual(['a', 'b']);
    expect(decodeAll([enc('data: a\r'), enc('\n\r'), enc('\n')]).map((e) => e.data)).toEqual(['a']);
  });

  test('comments are ignored and multi-line data is joined with newlines', () => {
    const events = decodeAll([enc(': keep-alive\ndata: line1\ndata: line2\ndata\n\n')]);
    expect(events).toEqual([{ event: null, id: null, data: 'line1\nline2\n' }]);
  });

  test('an unterminated event at the end is discarded, and reported as partial', () => {
    const decoder = new SseDecoder();
    expect(decoder.push(enc('data: complete\n\ndata: cut'))).toHaveLength(1);
    expect(decoder.hasPartialEvent).toBe(true);
    expect(decoder.end()).toEqual([]);
  });

  test('no space after the colon keeps the value whole; only one leading space is stripped', () => {
    expect(decodeAll([enc('data:x\n\ndata:  y\n\n')]).map((e) => e.data)).toEqual(['x', ' y']);
  });
});
