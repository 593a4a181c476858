// The secrets detector: well-known credential formats by their real prefixes and lengths. The selected
// kinds are joined into two regexes (case-sensitive tokens, case-insensitive labelled values) so a
// scan is two passes over the text whatever the selection.
import { compileAllow, finish } from './findings.js';
import type { Detector, Finding } from './types.js';

export const SECRET_KINDS = [
  'openai_key', 'anthropic_key', 'aws_access_key', 'aws_secret_key', 'github_token', 'gitlab_token',
  'slack_token', 'stripe_key', 'google_api_key', 'private_key', 'jwt', 'npm_token', 'huggingface_token',
  'azure_storage_key',
] as const;
export type SecretKind = (typeof SECRET_KINDS)[number];

interface SecretFormat {
  /** Regex source without capturing groups; tokens are bounded by non-token characters on both sides. */
  source: string;
  /** Longest match. */
  max: number;
  /** Labelled formats (matched case-insensitively) report only their last `value` characters. */
  value?: number;
  /** Random bodies have upper- and lower-case letters and digits; prose and identifiers rarely do. */
  mixed?: boolean;
}

const B = '(?<![A-Za-z0-9_-])';
const E = '(?![A-Za-z0-9_-])';
const PEM_BODY_MAX = 4000;

const FORMATS: Readonly<Record<SecretKind, SecretFormat>> = {
  openai_key: { source: `${B}sk-(?!ant-)(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,200}${E}`, max: 210, mixed: true },
  anthropic_key: { source: `${B}sk-ant-[a-z]{2,8}\\d{2}-[A-Za-z0-9_-]{32,200}${E}`, max: 220, mixed: true },
  aws_access_key: { source: `${B}(?:AKIA|ASIA)[A-Z0-9]{16}${E}`, max: 20 },
  github_token: { source: `${B}(?:gh[pousr]_[A-Za-z0-9]{36}|github_pat_[A-Za-z0-9_]{22,255})${E}`, max: 266 },
  gitlab_token: { source: `${B}glpat-[A-Za-z0-9_-]{20,64}${E}`, max: 70, mixed: true },
  slack_token: { source: `${B}xox[abposr]-\\d{6,}-[A-Za-z0-9-]{8,250}${E}`, max: 280 },
  stripe_key: { source: `${B}(?:sk|rk)_live_[A-Za-z0-9]{24,247}${E}`, max: 255 },
  google_api_key: { source: `${B}AIza[A-Za-z0-9_-]{35}${E}`, max: 39 },
  private_key: {
    source: `-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----[\\s\\S]{1,${PEM_BODY_MAX}}?-----END (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----`,
    max: PEM_BODY_MAX + 96,
  },
  jwt: { source: `${B}eyJ[A-Za-z0-9_-]{8,500}\\.eyJ[A-Za-z0-9_-]{8,3000}\\.[A-Za-z0-9_-]{16,512}${E}`, max: 4020 },
  npm_token: { source: `${B}npm_[A-Za-z0-9]{36}${E}`, max: 40 },
  huggingface_token: { source: `${B}hf_[A-Za-z0-9]{34}${E}`, max: 37 },
  // Labelled: only a value next to its name is a secret (a bare 40-character base64 string is not).
  aws_secret_key: {
    source: `(?:aws_?secret_?access_?key|aws_?secret_?key|secretaccesskey)["']?\\s{0,8}[:=]>?\\s{0,8}["']?[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])`,
    max: 90, // the label must be in the same window as the value
    value: 40,
  },
  azure_storage_key: { source: `AccountKey=[A-Za-z0-9+/]{86}==(?![A-Za-z0-9+/=])`, max: 100, value: 88 },
};

const UPPER_RE = /[A-Z]/;
const LOWER_RE = /[a-z]/;
const DIGIT_RE = /\d/;

interface Pass {
  re: RegExp;
  kinds: SecretKind[];
}

function buildPass(kinds: SecretKind[], flags: string): Pass | undefined {
  if (kinds.length === 0) return undefined;
  return { re: new RegExp(kinds.map((k) => `(${FORMATS[k].source})`).join('|'), flags), kinds };
}

function runPass(pass: Pass, text: string, out: Finding[]): void {
  const { re, kinds } = pass;
  re.lastIndex = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    let i = 0;
    while (m[i + 1] === undefined) i++;
    const kind = kinds[i];
    const format = FORMATS[kind];
    const end = m.index + m[0].length;
    if (format.mixed && !(UPPER_RE.test(m[0]) && LOWER_RE.test(m[0]) && DIGIT_RE.test(m[0]))) continue;
    out.push({ start: format.value ? end - format.value : m.index, end, entity: kind.toUpperCase() });
  }
}

export function secretsDetector(opts: { kinds?: readonly SecretKind[]; allow?: readonly string[] } = {}): Detector {
  const kinds = [...new Set(opts.kinds ?? SECRET_KINDS)];
  for (const kind of kinds) {
    if (!(kind in FORMATS)) throw new Error(`unknown secret kind ${JSON.stringify(kind)}`);
  }
  const passes = [
    buildPass(kinds.filter((k) => !FORMATS[k].value), 'g'),
    buildPass(kinds.filter((k) => FORMATS[k].value), 'gi'),
  ].filter((p): p is Pass => p !== undefined);
  const allowed = compileAllow(opts.allow);
  return {
    maxMatchLength: Math.max(0, ...kinds.map((k) => FORMATS[k].max)),
    scan(text: string): Finding[] {
      const found: Finding[] = [];
      for (const pass of passes) runPass(pass, text, found);
      return finish(text, found, allowed);
    },
  };
}
