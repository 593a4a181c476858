// The PII detector: the selected entities' scanners run in turn, each skipped when a cheap check shows
// the text cannot hold one (no '@' for emails, no digit for the numeric ones).
import { compileAllow, finish } from './findings.js';
import { NATIONAL_ID_MAX, scanNationalId } from './national-id.js';
import { EMAIL_MAX, scanCard, scanEmail, scanIban, scanIp, scanPhone, type Scanner } from './pii-scanners.js';
import type { Detector, Finding } from './types.js';

export const PII_ENTITIES = ['email', 'phone', 'card', 'iban', 'national_id', 'ip_address'] as const;
export type PiiEntity = (typeof PII_ENTITIES)[number];

interface EntityScanner {
  scan: Scanner;
  /** Longest finding, in UTF-16 units. */
  max: number;
  /** Whether it needs a digit in the text (every entity but email). */
  digits: boolean;
}

const SCANNERS: Readonly<Record<PiiEntity, EntityScanner>> = {
  email: { scan: scanEmail, max: EMAIL_MAX, digits: false },
  phone: { scan: scanPhone, max: 40, digits: true },
  card: { scan: scanCard, max: 37, digits: true },
  iban: { scan: scanIban, max: 42, digits: true },
  national_id: { scan: scanNationalId, max: NATIONAL_ID_MAX, digits: true },
  ip_address: { scan: scanIp, max: 45, digits: true },
};

const DIGIT_RE = /\d/;

export function piiDetector(opts: { entities?: readonly PiiEntity[]; allow?: readonly string[] } = {}): Detector {
  const entities = [...new Set(opts.entities ?? PII_ENTITIES)];
  for (const entity of entities) {
    if (!(entity in SCANNERS)) throw new Error(`unknown PII entity ${JSON.stringify(entity)}`);
  }
  const email = entities.includes('email');
  const numeric = entities.filter((e) => SCANNERS[e].digits).map((e) => SCANNERS[e].scan);
  const allowed = compileAllow(opts.allow);
  return {
    maxMatchLength: Math.max(0, ...entities.map((e) => SCANNERS[e].max)),
    scan(text: string): Finding[] {
      const found: Finding[] = [];
      if (email && text.includes('@')) scanEmail(text, found);
      if (numeric.length > 0 && DIGIT_RE.test(text)) for (const scan of numeric) scan(text, found);
      return finish(text, found, allowed);
    },
  };
}
