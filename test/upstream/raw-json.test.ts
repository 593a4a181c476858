import { expect, test } from 'vitest';
import { looksLikeObject, memberSlice, RawJson, usageOf } from '../../src/upstream/raw-json.js';

const parseObject = (bytes: Buffer) => JSON.parse(bytes.toString('utf8')) as Record<string, unknown>;

test('usage is read from the bytes without parsing the whole answer', () => {
  const answer = { id: 'x', choices: [{ message: { content: 'hi' } }], usage: { prompt_tokens: 3, completion_tokens: 4, total_tokens: 7, details: { cached_tokens: 1 } } };
  let parsedWhole = 0;
  const result = new RawJson(Buffer.from(JSON.stringify(answer, null, 2)), (bytes) => {
    parsedWhole++;
    return parseObject(bytes);
  });
  expect(usageOf(result)).toEqual(answer.usage);
  expect(parsedWhole).toBe(0);
  expect(result.data.id).toBe('x');
  expect(parsedWhole).toBe(1);
});

test('a "usage" inside a string is not taken for the member', () => {
  const answer = { choices: [{ message: { content: 'say "usage": {"prompt_tokens": 99} } please' } }] };
  const raw = Buffer.from(JSON.stringify(answer));
  expect(memberSlice(raw, 'usage')).toBeUndefined();
  expect(usageOf(new RawJson(raw, parseObject))).toBeNull();
});

test('braces and quotes inside strings of the member do not end it early', () => {
  const raw = Buffer.from('{"usage": {"note": "a } and a \\" and {", "total_tokens": 5}}');
  expect(memberSlice(raw, 'usage')).toEqual({ note: 'a } and a " and {', total_tokens: 5 });
});

test('a usage that is not an object, or is missing, counts as none', () => {
  expect(usageOf(new RawJson(Buffer.from('{"usage": null}'), parseObject))).toBeNull();
  expect(usageOf(new RawJson(Buffer.from('{"id": 1}'), parseObject))).toBeNull();
  expect(usageOf({ data: { usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 } } })).toEqual({ prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 });
});

test('an answer that is not JSON fails when read, through the parse given', () => {
  const result = new RawJson(Buffer.from('{not json}'), (bytes) => {
    JSON.parse(bytes.toString('utf8'));
    return {};
  });
  expect(() => result.data).toThrow();
});

test('looksLikeObject takes a braced body, spaces around it allowed, and nothing else', () => {
  expect(looksLikeObject(Buffer.from(' \n{"a":1}\r\n'))).toBe(true);
  expect(looksLikeObject(Buffer.from('{}'))).toBe(true);
  for (const text of ['', '   ', '[1,2]', '<html></html>', '{"a":1', '"{}"', '{']) expect(looksLikeObject(Buffer.from(text)), text).toBe(false);
});
