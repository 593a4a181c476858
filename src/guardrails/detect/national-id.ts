// National identifiers, limited to those with a checksum or a strict structure, since a bare run of
// digits is far more often an order number than an id:
// - US SSN: AAA-GG-SSSS, dashed or spaced only (a bare 9-digit run is not flagged); area 000, 666 and
//   9xx, group 00 and serial 0000 excluded.
// - UK NINO: two prefix letters from the issued classes (BG, GB, KN, NK, NT, TN, ZZ never issued),
//   six digits (optionally spaced in pairs), suffix A–D.
// - Spanish DNI (8 digits + control letter) and NIE (X/Y/Z + 7 digits + control letter).
// - Dutch BSN: 9 digits (or 4.2.3 dotted) passing the 11-proof, and only when "BSN",
//   "burgerservicenummer" or "sofinummer" appears in the 40 characters before it: the 11-proof alone
//   accepts one random 9-digit number in 11.
// - French NIR: sex 1/2/3/4/7/8, year, month, department (2A/2B for Corsica), commune, order, and the
//   mod-97 key; compact or spaced as printed on the carte Vitale.
import { bsnValid, dniNieValid, nirValid, ninoPrefixValid, ssnValid } from './validators.js';
import type { Scanner } from './pii-scanners.js';

export const NATIONAL_ID_MAX = 26;

const SSN_RE = /(?<![\w-])(\d{3})([- ])(\d{2})\2(\d{4})(?![\w-])/g;
const NINO_RE = /(?<![A-Za-z0-9])([A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z]) ?\d{2}( ?)\d{2}\2\d{2}\2[A-D](?![A-Za-z0-9])/g;
const DNI_RE = /(?<![A-Za-z0-9-])(?:\d{8}|[XYZ]-?\d{7})-?[A-Z](?![A-Za-z0-9-])/g;
const BSN_RE = /(?<![\w.-])(?:\d{9}|\d{4}\.\d{2}\.\d{3})(?![\w-]|\.\d)/g;
const BSN_CONTEXT_RE = /\bbsn\b|burgerservicenummer|sofinummer/i;
const NIR_RE = /(?<![\w-])[1-478]( ?)\d{2}\1(?:0[1-9]|1[0-2]|[2-9]\d)\1(?:\d{2}|2[AB])\1\d{3}\1\d{3}\1\d{2}(?![\w-])/g;
const NOT_ALNUM_RE = /[^A-Z0-9]/g;

export const scanNationalId: Scanner = (text, out) => {
  SSN_RE.lastIndex = 0;
  for (let m = SSN_RE.exec(text); m; m = SSN_RE.exec(text)) {
    if (ssnValid(m[1], m[3], m[4])) out.push({ start: m.index, end: m.index + m[0].length, entity: 'NATIONAL_ID' });
  }
  NINO_RE.lastIndex = 0;
  for (let m = NINO_RE.exec(text); m; m = NINO_RE.exec(text)) {
    if (ninoPrefixValid(m[1])) out.push({ start: m.index, end: m.index + m[0].length, entity: 'NATIONAL_ID' });
  }
  DNI_RE.lastIndex = 0;
  for (let m = DNI_RE.exec(text); m; m = DNI_RE.exec(text)) {
    if (dniNieValid(m[0].replace(NOT_ALNUM_RE, ''))) {
      out.push({ start: m.index, end: m.index + m[0].length, entity: 'NATIONAL_ID' });
    }
  }
  NIR_RE.lastIndex = 0;
  for (let m = NIR_RE.exec(text); m; m = NIR_RE.exec(text)) {
    if (nirValid(m[0].replace(NOT_ALNUM_RE, ''))) {
      out.push({ start: m.index, end: m.index + m[0].length, entity: 'NATIONAL_ID' });
    }
  }
  BSN_RE.lastIndex = 0;
  for (let m = BSN_RE.exec(text); m; m = BSN_RE.exec(text)) {
    if (bsnValid(m[0].replace(NOT_ALNUM_RE, '')) && BSN_CONTEXT_RE.test(text.slice(Math.max(0, m.index - 40), m.index))) {
      out.push({ start: m.index, end: m.index + m[0].length, entity: 'NATIONAL_ID' });
    }
  }
};
