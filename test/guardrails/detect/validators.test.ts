import { describe, it, expect } from 'vitest';
import {
  bsnValid, cardSchemeValid, dniNieValid, ibanValid, luhnValid, ninoPrefixValid, nirValid, ssnValid,
} from '../../../src/guardrails/detect/validators.js';

describe('checksums', () => {
  it('Luhn accepts test card numbers and rejects a changed digit', () => {
    expect(luhnValid('4111111111111111')).toBe(true);
    expect(luhnValid('378282246310005')).toBe(true);
    expect(luhnValid('4111111111111112')).toBe(false);
  });

  it('card schemes: Visa, Mastercard (51–55 and 2221–2720), Amex, Discover; unknown prefixes out', () => {
    expect(cardSchemeValid('4111111111111111')).toBe(true);
    expect(cardSchemeValid('5555555555554444')).toBe(true);
    expect(cardSchemeValid('2223003122003222')).toBe(true);
    expect(cardSchemeValid('378282246310005')).toBe(true);
    expect(cardSchemeValid('6011111111111117')).toBe(true);
    expect(cardSchemeValid('9111111111111111')).toBe(false);
    expect(cardSchemeValid('37828224631000')).toBe(false); // Amex is 15 digits
  });

  it('IBAN: mod-97 and the country length', () => {
    expect(ibanValid('GB82WEST12345698765432')).toBe(true);
    expect(ibanValid('DE89370400440532013000')).toBe(true);
    expect(ibanValid('GB83WEST12345698765432')).toBe(false);
    expect(ibanValid('GB82WEST1234569876543')).toBe(false);
    expect(ibanValid('QQ82WEST12345698765432')).toBe(false);
  });

  it('SSN ranges', () => {
    expect(ssnValid('123', '45', '6789')).toBe(true);
    for (const [a, g, s] of [['000', '12', '3456'], ['666', '12', '3456'], ['912', '12', '3456'], ['123', '00', '4567'], ['123', '45', '0000']]) {
      expect(ssnValid(a, g, s)).toBe(false);
    }
  });

  it('NINO prefixes never issued', () => {
    expect(ninoPrefixValid('AB')).toBe(true);
    expect(ninoPrefixValid('GB')).toBe(false);
    expect(ninoPrefixValid('TN')).toBe(false);
  });

  it('DNI and NIE control letters', () => {
    expect(dniNieValid('12345678Z')).toBe(true);
    expect(dniNieValid('12345678A')).toBe(false);
    expect(dniNieValid('X1234567L')).toBe(true);
    expect(dniNieValid('X1234567T')).toBe(false);
  });

  it('BSN 11-proof', () => {
    expect(bsnValid('111222333')).toBe(true);
    expect(bsnValid('111222334')).toBe(false);
    expect(bsnValid('000000000')).toBe(false);
  });

  it('NIR key, Corsica included', () => {
    expect(nirValid('185057800608491')).toBe(true);
    expect(nirValid('185057800608436')).toBe(false);
    const corsica = '18505' + '2A' + '006084';
    const key = 97 - Number(BigInt('1850519006084') % 97n);
    expect(nirValid(corsica + String(key).padStart(2, '0'))).toBe(true);
  });
});
