// One scanner per PII entity (national ids are in national-id.ts). Each pattern finds candidates
// cheaply and a validator decides, since precision matters more than recall here: a card must pass
// Luhn and a scheme's prefix, an IBAN mod-97 and its country's length, a phone a known shape.
import { isIP } from 'node:net';
import { ibanLength, ibanValid, isCardNumber } from './validators.js';
import type { Finding } from './types.js';

export type Scanner = (text: string, out: Finding[]) => void;

const MAX_LOCAL = 64;
const MAX_DOMAIN = 189;
export const EMAIL_MAX = MAX_LOCAL + 1 + MAX_DOMAIN;

function isLocalChar(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) ||
    c === 46 || c === 95 || c === 37 || c === 43 || c === 45; // . _ % + -
}

function isDomainChar(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 46 || c === 45;
}

const DOMAIN_RE = /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$/;

/** Emails are found from each '@' outwards rather than by a regex, which would backtrack over every word. */
export const scanEmail: Scanner = (text, out) => {
  for (let at = text.indexOf('@'); at !== -1; at = text.indexOf('@', at + 1)) {
    let start = at;
    while (start > 0 && at - start <= MAX_LOCAL && isLocalChar(text.charCodeAt(start - 1))) start--;
    if (start === at || at - start > MAX_LOCAL) continue;
    let end = at + 1;
    while (end < text.length && end - at <= MAX_DOMAIN && isDomainChar(text.charCodeAt(end))) end++;
    if (end - at > MAX_DOMAIN) continue;
    while (end > at + 1 && (text[end - 1] === '.' || text[end - 1] === '-')) end--; // sentence punctuation
    const first = text.charCodeAt(start);
    if (first === 46 || text.charCodeAt(at - 1) === 46) continue;
    const local = text.slice(start, at);
    if (local.includes('..') || !DOMAIN_RE.test(text.slice(at + 1, end))) continue;
    out.push({ start, end, entity: 'EMAIL' });
  }
};

// 13–19 digits, compact or in the printed groupings (4-4-4-4[-1..3], Amex 4-6-5, Diners 4-6-4) with
// one kind of separator; not part of a longer number.
const CARD_RE = /(?<![\w.+-])(?:\d{13,19}|\d{4}([ -])(?:\d{4}\1\d{4}\1\d{4}(?:\1\d{1,3})?|\d{6}\1\d{4,5}))(?![\w-]|[.,]\d)/g;
const SEPARATORS_RE = /[ -]/g;
/** "4111 1111 1111 1111" is 19 characters; a short group after it may be an expiry month or a CVC. */
const GROUPED_16 = 19;

export const scanCard: Scanner = (text, out) => {
  CARD_RE.lastIndex = 0;
  for (let m = CARD_RE.exec(text); m; m = CARD_RE.exec(text)) {
    const raw = m[0];
    let length = raw.length;
    const digits = m[1] === undefined ? raw : raw.replace(SEPARATORS_RE, '');
    if (!isCardNumber(digits)) {
      if (length <= GROUPED_16 || raw[GROUPED_16] !== m[1] || !isCardNumber(digits.slice(0, 16))) continue;
      length = GROUPED_16;
    }
    out.push({ start: m.index, end: m.index + length, entity: 'CARD' });
  }
};

// Compact, or printed in groups of four with a shorter last group.
const IBAN_RE = /(?<![A-Za-z0-9])[A-Z]{2}\d{2}(?:[A-Z0-9]{11,30}|(?: [A-Z0-9]{4}){2,8}(?: [A-Z0-9]{1,3})?)(?![A-Za-z0-9])/g;

export const scanIban: Scanner = (text, out) => {
  IBAN_RE.lastIndex = 0;
  for (let m = IBAN_RE.exec(text); m; m = IBAN_RE.exec(text)) {
    const want = ibanLength(m[0].slice(0, 2));
    if (want === undefined) continue;
    // A grouped IBAN may have swallowed a following upper-case word: cut at the country's length.
    let compact = '';
    let end = m.index;
    const stop = m.index + m[0].length;
    while (end < stop && compact.length < want) {
      if (text[end] !== ' ') compact += text[end];
      end++;
    }
    if (end < stop && text[end] !== ' ') continue;
    if (ibanValid(compact)) out.push({ start: m.index, end, entity: 'IBAN' });
  }
};

// E.164 (compact or grouped, optional "(0)", "00" for "+"), NANP "(415) 555-2671" / "415-555-2671", and national
// numbers with a trunk 0 in separated groups ("06 12 34 56 78", "020 7946 0958", "07700 900123").
// Not preceded or followed by a word, a dot, a slash or another separated digit group, so dates,
// versions, IPs, paths and parts of longer numbers are left alone.
const PHONE_RE = new RegExp(
  String.raw`(?<![\w+.\-/:]|\d[ .\-])(?:` +
    String.raw`\+\d{7,15}` +
    String.raw`|\+\d{1,4}(?:[ .\-]?\(\d{1,4}\))?[ .\-]?\d{1,5}(?:[ .\-]\d{1,8}){0,6}` +
    String.raw`|00[1-9]\d{0,2}(?:[ .\-]?\(\d{1,4}\))?[ .\-]\d{1,5}(?:[ .\-]\d{1,8}){1,6}` +
    String.raw`|\([2-9]\d{2}\) ?[2-9]\d{2}[ .\-]\d{4}` +
    String.raw`|[2-9]\d{2}([ .\-])[2-9]\d{2}\1\d{4}` +
    String.raw`|0\d{1,4}([ .\-])\d{2,8}(?:\2\d{2,4}){0,4}` +
    String.raw`)(?![\w/]|[.\-]\d| \d)`,
  'g',
);
const NON_DIGITS_RE = /\D/g;

export const scanPhone: Scanner = (text, out) => {
  PHONE_RE.lastIndex = 0;
  for (let m = PHONE_RE.exec(text); m; m = PHONE_RE.exec(text)) {
    const raw = m[0];
    let digits = raw.replace(NON_DIGITS_RE, '').length;
    if (raw.startsWith('00')) digits -= 2; // the international prefix, as '+'
    if (digits < 7 || digits > 15) continue;
    if (raw[0] === '+' || raw.startsWith('00')) {
      if (digits < 8) continue;
    } else if (raw[0] === '0') {
      // Trunk-0 national numbers: 9–12 digits; with a single separator, a 3–5 digit area code first.
      if (digits < 9 || digits > 12) continue;
      const sep = raw.indexOf(m[2]);
      if (sep === raw.lastIndexOf(m[2]) && (sep < 3 || sep > 5)) continue;
    }
    out.push({ start: m.index, end: m.index + raw.length, entity: 'PHONE' });
  }
};

const IPV4_RE = /(?<![\w.])(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?![\w]|\.\d)/g;
const HEX_DIGIT_RE = /[0-9A-Fa-f]/;
const IPV6_MAX = 45;

function isHex(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70);
}

function isWordChar(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95;
}

/**
 * IPv6 candidates are grown around a colon followed, within five hex digits, by another colon; a
 * regex starting on a hex digit would try every 'a'–'f' in prose. node:net's isIP decides.
 */
function scanIpv6(text: string, out: Finding[]): void {
  let from = 0;
  for (let c = text.indexOf(':'); c !== -1; c = text.indexOf(':', from)) {
    from = c + 1;
    let j = c + 1;
    while (j < c + 5 && isHex(text.charCodeAt(j))) j++;
    if (text.charCodeAt(j) !== 58) continue;
    let start = c;
    while (start > 0 && c - start < IPV6_MAX && (isHex(text.charCodeAt(start - 1)) || text.charCodeAt(start - 1) === 58)) start--;
    let end = j;
    for (let ch = text.charCodeAt(end); end - start < IPV6_MAX && (isHex(ch) || ch === 58 || ch === 46); ch = text.charCodeAt(++end));
    while (text.charCodeAt(end - 1) === 46) end--;
    const before = start > 0 ? text.charCodeAt(start - 1) : 32;
    if (isWordChar(before) || before === 46 || end - start > IPV6_MAX || (end < text.length && isWordChar(text.charCodeAt(end)))) continue;
    const candidate = text.slice(start, end);
    if (HEX_DIGIT_RE.test(candidate) && isIP(candidate) === 6) {
      out.push({ start, end, entity: 'IP_ADDRESS' });
      from = end;
    }
  }
}

export const scanIp: Scanner = (text, out) => {
  IPV4_RE.lastIndex = 0;
  for (let m = IPV4_RE.exec(text); m; m = IPV4_RE.exec(text)) {
    out.push({ start: m.index, end: m.index + m[0].length, entity: 'IP_ADDRESS' });
  }
  scanIpv6(text, out);
};
