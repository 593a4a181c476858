import { describe, it, expect } from 'vitest';
import { piiDetector } from '../../../src/guardrails/detect/index.js';
import { found } from './fake.js';

const ids = piiDetector({ entities: ['national_id'] });
const scan = (text: string) => found((t) => ids.scan(t), text);

describe('piiDetector: national_id', () => {
  it('US SSN, dashed or spaced', () => {
    expect(scan('SSN 123-45-6789.')).toEqual([['NATIONAL_ID', '123-45-6789']]);
    expect(scan('123 45 6789')).toEqual([['NATIONAL_ID', '123 45 6789']]);
  });

  it('SSN: the SSA invalid ranges, bare digits, mixed separators and longer numbers are left', () => {
    for (const text of ['000-12-3456', '666-12-3456', '912-12-3456', '123-00-4567', '123-45-0000', '123456789', '123-45 6789', '123-45-6789-1', 'x123-45-6789']) {
      expect(scan(text), text).toEqual([]);
    }
  });

  it('UK NINO, compact or spaced', () => {
    expect(scan('NI number: AB 12 34 56 C')).toEqual([['NATIONAL_ID', 'AB 12 34 56 C']]);
    expect(scan('AB123456C')).toEqual([['NATIONAL_ID', 'AB123456C']]);
  });

  it('NINO: unissued prefixes, bad letters and suffixes are left', () => {
    for (const text of ['BG123456C', 'GB123456A', 'DA123456C', 'AO123456C', 'AB123456E', 'XAB123456C', 'AB 1234 56C']) {
      expect(scan(text), text).toEqual([]);
    }
  });

  it('Spanish DNI and NIE with their control letter', () => {
    expect(scan('DNI 12345678Z,')).toEqual([['NATIONAL_ID', '12345678Z']]);
    expect(scan('12345678-Z')).toEqual([['NATIONAL_ID', '12345678-Z']]);
    expect(scan('NIE X1234567L')).toEqual([['NATIONAL_ID', 'X1234567L']]);
    expect(scan('12345678A')).toEqual([]);
    expect(scan('X1234567T')).toEqual([]);
  });

  it('French NIR with its key, compact or spaced', () => {
    expect(scan('NIR: 1 85 05 78 006 084 91')).toEqual([['NATIONAL_ID', '1 85 05 78 006 084 91']]);
    expect(scan('185057800608491')).toEqual([['NATIONAL_ID', '185057800608491']]);
    expect(scan('1 85 05 78 006 084 36')).toEqual([]);
    expect(scan('185137800608491')).toEqual([]); // month 13
  });

  it('Dutch BSN only next to its name', () => {
    expect(scan('BSN: 111222333')).toEqual([['NATIONAL_ID', '111222333']]);
    expect(scan('mijn burgerservicenummer is 1112.22.333')).toEqual([['NATIONAL_ID', '1112.22.333']]);
    expect(scan('order 111222333')).toEqual([]);
    expect(scan('BSN: 111222334')).toEqual([]);
  });
});
