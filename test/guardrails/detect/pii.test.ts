import { describe, it, expect } from 'vitest';
import { PII_ENTITIES, piiDetector } from '../../../src/guardrails/detect/index.js';
import { found } from './fake.js';

const pii = piiDetector();
const scan = (text: string) => found((t) => pii.scan(t), text);

describe('piiDetector: email', () => {
  it('finds addresses in text, at the edges, before sentence punctuation', () => {
    expect(scan('jane.doe@acme-corp.io')).toEqual([['EMAIL', 'jane.doe@acme-corp.io']]);
    expect(scan('Write to first+tag@mail.example.co.uk, or not.')).toEqual([['EMAIL', 'first+tag@mail.example.co.uk']]);
    expect(scan('(contact: a_b%c@x-y.org).')).toEqual([['EMAIL', 'a_b%c@x-y.org']]);
    expect(scan('mail me at bob@example.com.')).toEqual([['EMAIL', 'bob@example.com']]);
  });

  it('leaves look-alikes: no TLD, one-letter TLD, numeric TLD, handles, scoped packages, dotted local edges', () => {
    for (const text of ['user@localhost', 'a@b.c', 'x@1.2.3.4', 'ping @handle now', 'npm i @openredaction/core', '.a@b.com', 'a.@b.com', 'a..b@c.com', 'a@-b.com']) {
      expect(scan(text).filter(([e]) => e === 'EMAIL'), text).toEqual([]);
    }
  });
});

describe('piiDetector: phone', () => {
  it('finds E.164 and national formats', () => {
    for (const phone of ['+44 20 7946 0958', '(415) 555-2671', '415-555-2671', '415.555.2671', '+1 415 555 2671', '06 12 34 56 78', '+14155552671', '+44 (0)20 7946 0958', '020 7946 0958', '07700 900123', '+33 6 12 34 56 78', '0049 30 1234567', '030 12345678', '+49 30 1234567', '+1 (415) 555-2671']) {
      expect(scan(`Call me on ${phone}, thanks`), phone).toEqual([['PHONE', phone]]);
      expect(scan(phone), phone).toEqual([['PHONE', phone]]);
    }
  });

  it('leaves dates, times, versions, IPs, plain long numbers and parts of longer numbers', () => {
    for (const text of ['on 2024-01-15 at 10:30:45', 'version 1.2.3 and 10.4.2', 'order 12345678 shipped', 'id 123456789012', 'pi is 3.14159265358', 'see 01.02.2024', '123-456-7890', '415-555-2671-99', 'ISBN 978-3-16-148410-0', 'from 1999 to 2024 about 4096 tokens', '1 415 555 2671 3', 'host 192.168.100.200', '4111 1111 1111 1111', 'price 1,234,567.89 and 1 234 567', '00 12 34 56']) {
      expect(scan(text).filter(([e]) => e === 'PHONE'), text).toEqual([]);
    }
  });
});

describe('piiDetector: card', () => {
  it('finds Luhn-valid numbers of known schemes, grouped or not', () => {
    for (const card of ['4111 1111 1111 1111', '4111-1111-1111-1111', '4111111111111111', '5555 5555 5555 4444', '2223 0031 2200 3222', '3782 822463 10005', '378282246310005', '6011 1111 1111 1117']) {
      expect(scan(`card: ${card}.`), card).toEqual([['CARD', card]]);
    }
  });

  it('a short group after a grouped number (expiry, CVC) is not part of it', () => {
    expect(scan('4111 1111 1111 1111 12/25 123')).toEqual([['CARD', '4111 1111 1111 1111']]);
    expect(scan('card 4111-1111-1111-1111-12')).toEqual([['CARD', '4111-1111-1111-1111']]);
  });

  it('leaves Luhn-invalid numbers, unknown prefixes, mixed separators and longer numbers', () => {
    for (const text of ['4111 1111 1111 1112', 'order 9876543210123456', '4111 1111-1111 1111', '41111111111111110000', '4111 11 11 1111 1111', '1.4111111111111111', '411 1111 1111 1111 1']) {
      expect(scan(text).filter(([e]) => e === 'CARD'), text).toEqual([]);
    }
  });
});

describe('piiDetector: iban', () => {
  it('finds valid IBANs, compact or in groups of four', () => {
    for (const iban of ['GB82 WEST 1234 5698 7654 32', 'GB82WEST12345698765432', 'DE89 3704 0044 0532 0130 00', 'DE89370400440532013000', 'NL91 ABNA 0417 1643 00']) {
      expect(scan(`IBAN: ${iban}.`), iban).toEqual([['IBAN', iban]]);
    }
  });

  it('stops at the country length when an upper-case word follows', () => {
    expect(scan('pay BE68 5390 0754 7034 THEN confirm')).toEqual([['IBAN', 'BE68 5390 0754 7034']]);
  });

  it('leaves a wrong check digit, a wrong length, an unknown country', () => {
    for (const text of ['GB83 WEST 1234 5698 7654 32', 'GB82 WEST 1234 5698 7654 3', 'DE89 3704 0044 0532 0130 001', 'QQ82WEST12345698765432']) {
      expect(scan(text).filter(([e]) => e === 'IBAN'), text).toEqual([]);
    }
  });
});

describe('piiDetector: ip_address', () => {
  it('finds IPv4 and IPv6', () => {
    for (const ip of ['192.168.1.10', '10.0.0.1', '255.255.255.255', '2001:db8::1', '::1', 'fe80::1ff:fe23:4567:890a', '2001:0db8:85a3:0000:0000:8a2e:0370:7334', '::ffff:192.168.1.1']) {
      expect(scan(`host ${ip}.`), ip).toEqual([['IP_ADDRESS', ip]]);
      expect(scan(ip), ip).toEqual([['IP_ADDRESS', ip]]);
    }
  });

  it('leaves versions, bad octets, leading zeros, times, MACs and C++ scopes', () => {
    for (const text of ['1.2.3.4.5', 'v1.2.3.4', '256.1.1.1', '01.02.03.04', '10:30:45', '00:1A:2B:3C:4D:5E', 'std::vector<int>', 'x :: Int', 'git 3f2a9c1d', 'id 123e4567-e89b-12d3-a456-426614174000']) {
      expect(scan(text).filter(([e]) => e === 'IP_ADDRESS'), text).toEqual([]);
    }
  });
});

describe('piiDetector: options and contract', () => {
  it('a prompt without PII has no findings', () => {
    const prompt = 'Release 2.3.1 (2024-01-15) fixed bug #4411 in commit 9fceb02d0ae598e95dc970b74767f19372d61af8; uuid 123e4567-e89b-12d3-a456-426614174000, took 12.5 s at 10:30.';
    expect(scan(prompt)).toEqual([]);
  });

  it('reports only the selected entities', () => {
    const text = 'jane@acme.io, 4111 1111 1111 1111, 10.0.0.1';
    expect(found((t) => piiDetector({ entities: ['card'] }).scan(t), text)).toEqual([['CARD', '4111 1111 1111 1111']]);
    expect(found((t) => piiDetector({ entities: ['email', 'ip_address'] }).scan(t), text)).toEqual([['EMAIL', 'jane@acme.io'], ['IP_ADDRESS', '10.0.0.1']]);
    expect(piiDetector({ entities: [] }).scan(text)).toEqual([]);
  });

  it('rejects an unknown entity', () => {
    expect(() => piiDetector({ entities: ['passport' as never] })).toThrow(/passport/);
  });

  it('drops allow-listed values: literals case-insensitively, /regex/ only on a whole match', () => {
    const detector = piiDetector({ allow: ['SUPPORT@acme.io', '/.*@example\\.com/i', '/10\\.0/'] });
    const text = 'support@acme.io, Bob@EXAMPLE.com, jane@acme.io, 10.0.0.1';
    expect(found((t) => detector.scan(t), text)).toEqual([['EMAIL', 'jane@acme.io'], ['IP_ADDRESS', '10.0.0.1']]);
  });

  it('offsets are exact, sorted and non-overlapping', () => {
    const text = 'Ünïcødé 😀 jane@acme.io then +44 20 7946 0958 and GB82 WEST 1234 5698 7654 32 end';
    const findings = pii.scan(text);
    expect(findings.map((f) => text.slice(f.start, f.end))).toEqual(['jane@acme.io', '+44 20 7946 0958', 'GB82 WEST 1234 5698 7654 32']);
    for (let i = 1; i < findings.length; i++) expect(findings[i].start).toBeGreaterThanOrEqual(findings[i - 1].end);
  });

  it('maxMatchLength is finite and covers the selected entities', () => {
    expect(pii.maxMatchLength).toBe(254);
    expect(piiDetector({ entities: ['card'] }).maxMatchLength).toBeLessThanOrEqual(64);
    for (const e of PII_ENTITIES) expect(Number.isFinite(piiDetector({ entities: [e] }).maxMatchLength)).toBe(true);
  });
});
