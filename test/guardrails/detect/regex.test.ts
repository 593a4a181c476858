import { describe, it, expect } from 'vitest';
import { compilePattern, DEFAULT_REGEX_MAX_MATCH, regexDetector } from '../../../src/guardrails/detect/index.js';
import { found } from './fake.js';

const scanWith = (patterns: string[], text: string, allow?: string[]) =>
  found((t) => regexDetector({ patterns, allow, entity: 'TICKET' }).scan(t), text);

describe('compilePattern', () => {
  it('turns leading inline flags into JS flags and always adds g', () => {
    expect(compilePattern('(?i)secret').flags).toBe('giu');
    expect(compilePattern('(?is)a.b').flags).toBe('gisu');
    expect(compilePattern('(?i)(?m)^x').flags).toBe('gimu');
    expect(compilePattern('plain').flags).toBe('gu');
  });

  it('drops u when the pattern is only valid without it', () => {
    const re = compilePattern('[a\\-z]\\-');
    expect(re.flags).toBe('g');
    expect('z-'.match(re)).toEqual(['z-']);
  });

  it('accepts Python named groups', () => {
    expect(compilePattern('(?P<id>\\d+)-(?P=id)').test('12-12')).toBe(true);
  });

  it('throws naming the pattern when it is invalid or uses an unsupported flag', () => {
    expect(() => compilePattern('([a-z')).toThrow(/invalid regex pattern "\(\[a-z"/);
    expect(() => compilePattern('(?x) a b')).toThrow(/"\(\?x\) a b".*inline flag "x"/);
  });
});

describe('regexDetector', () => {
  it('reports matches under the given entity with exact offsets', () => {
    expect(scanWith(['JIRA-\\d+'], 'see JIRA-42 and JIRA-7.')).toEqual([['TICKET', 'JIRA-42'], ['TICKET', 'JIRA-7']]);
    const text = '😀😀 JIRA-9';
    const [f] = regexDetector({ patterns: ['JIRA-\\d+'], entity: 'TICKET' }).scan(text);
    expect(text.slice(f.start, f.end)).toBe('JIRA-9');
  });

  it('applies inline flags', () => {
    expect(scanWith(['(?i)project x'], 'About PROJECT X.')).toEqual([['TICKET', 'PROJECT X']]);
    expect(scanWith(['(?s)BEGIN.*?END'], 'BEGIN\nmiddle\nEND')).toEqual([['TICKET', 'BEGIN\nmiddle\nEND']]);
    expect(scanWith(['(?m)^id: \\w+$'], 'a\nid: one\nid: two')).toEqual([['TICKET', 'id: one'], ['TICKET', 'id: two']]);
    expect(scanWith(['BEGIN.*END'], 'BEGIN\nEND')).toEqual([]);
  });

  it('a pattern that can match nothing ends and reports no empty findings', () => {
    expect(scanWith(['a*'], 'bbb')).toEqual([]);
    expect(scanWith(['x?'], 'xax')).toEqual([['TICKET', 'x'], ['TICKET', 'x']]);
    expect(scanWith(['(?:)'], '😀 text')).toEqual([]);
    expect(scanWith(['\\b'], 'two words')).toEqual([]);
  });

  it('resolves overlaps between patterns: the longer, then the earlier, wins', () => {
    expect(scanWith(['abc', 'bcdef'], 'abcdef')).toEqual([['TICKET', 'bcdef']]);
    expect(scanWith(['abc', 'bcd'], 'abcd')).toEqual([['TICKET', 'abc']]);
    expect(scanWith(['abcdef', 'cd', 'ef'], 'abcdef gh')).toEqual([['TICKET', 'abcdef']]);
    expect(scanWith(['ab', 'cd'], 'cd ab')).toEqual([['TICKET', 'cd'], ['TICKET', 'ab']]);
  });

  it('allow list: literals case-insensitively, /regex/flags on the whole match', () => {
    const text = 'JIRA-1 jira-2 JIRA-30 JIRA-300';
    expect(scanWith(['(?i)jira-\\d+'], text, ['jira-1', '/JIRA-3\\d/'])).toEqual([['TICKET', 'jira-2'], ['TICKET', 'JIRA-300']]);
    expect(scanWith(['(?i)jira-\\d+'], text, ['/jira-\\d/i'])).toEqual([['TICKET', 'JIRA-30'], ['TICKET', 'JIRA-300']]);
  });

  it('an allow-listed longer match does not hide a shorter overlapping one', () => {
    expect(scanWith(['ab', 'abcd'], 'abcd', ['abcd'])).toEqual([['TICKET', 'ab']]);
  });

  it('an invalid allow regex or pattern throws at construction', () => {
    expect(() => regexDetector({ patterns: ['x'], allow: ['/(/'], entity: 'X' })).toThrow(/allow-list regex "\/\(\/"/);
    expect(() => regexDetector({ patterns: ['ok', '[z-a]'], entity: 'X' })).toThrow(/"\[z-a\]"/);
  });

  it('a literal that merely contains slashes is a literal', () => {
    expect(scanWith(['\\S+/\\S+'], 'see a/b and c/d', ['a/b'])).toEqual([['TICKET', 'c/d']]);
  });

  it('maxMatchLength defaults to a finite bound and can be given', () => {
    expect(regexDetector({ patterns: ['x'], entity: 'X' }).maxMatchLength).toBe(DEFAULT_REGEX_MAX_MATCH);
    expect(regexDetector({ patterns: ['x'], entity: 'X', maxMatchLength: 12 }).maxMatchLength).toBe(12);
  });
});
