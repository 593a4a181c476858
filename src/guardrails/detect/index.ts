// The built-in guardrail detectors: PII, secrets and operator regexes, each a pure text → findings scan.
export type { Detector, Finding } from './types.js';
export { PII_ENTITIES, piiDetector, type PiiEntity } from './pii.js';
export { SECRET_KINDS, secretsDetector, type SecretKind } from './secrets.js';
export { compilePattern, DEFAULT_REGEX_MAX_MATCH, regexDetector } from './regex.js';
