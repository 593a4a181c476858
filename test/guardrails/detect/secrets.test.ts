import { describe, it, expect } from 'vitest';
import { SECRET_KINDS, secretsDetector, type SecretKind } from '../../../src/guardrails/detect/index.js';
import { BASE64, UPPER_DIGITS, found, token } from './fake.js';

const secrets = secretsDetector();
const scan = (text: string) => found((t) => secrets.scan(t), text);

const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const pemBody = Array.from({ length: 20 }, (_, i) => token(64, i + 1, BASE64)).join('\n');

/** One fake value per kind, with the text the finding must cover when it is not the whole value. */
const SAMPLES: Record<SecretKind, { text: string; value?: string }> = {
  openai_key: { text: 'sk-' + token(48, 1) },
  anthropic_key: { text: 'sk-' + 'ant-' + 'api03-' + token(93, 2) + 'AA' },
  aws_access_key: { text: 'AKIA' + token(16, 3, UPPER_DIGITS) },
  aws_secret_key: { text: 'aws_secret_access_key = ' + token(40, 4, BASE64), value: token(40, 4, BASE64) },
  github_token: { text: 'ghp_' + token(36, 5) },
  gitlab_token: { text: 'glpat-' + token(20, 6) },
  slack_token: { text: 'xoxb-' + '123456789012-1234567890123-' + token(24, 7) },
  stripe_key: { text: 'sk_' + 'live_' + token(24, 8) },
  google_api_key: { text: 'AIza' + token(35, 9) },
  private_key: { text: '-----BEGIN RSA PRIVATE KEY-----\n' + pemBody + '\n-----END RSA PRIVATE KEY-----' },
  jwt: { text: b64url({ alg: 'HS256', typ: 'JWT' }) + '.' + b64url({ sub: '1234567890', name: 'Jane' }) + '.' + token(43, 10) },
  npm_token: { text: 'npm_' + token(36, 11) },
  huggingface_token: { text: 'hf_' + token(34, 12) },
  azure_storage_key: { text: 'AccountKey=' + token(86, 13, BASE64) + '==', value: token(86, 13, BASE64) + '==' },
};

describe('secretsDetector: each kind', () => {
  for (const kind of SECRET_KINDS) {
    const { text, value = text } = SAMPLES[kind];
    const entity = kind.toUpperCase();
    it(`${kind}: alone, in a sentence, quoted, and at the end of a line`, () => {
      expect(scan(text)).toEqual([[entity, value]]);
      expect(scan(`here is my key: ${text}. thanks`)).toEqual([[entity, value]]);
      expect(scan(`{"key":"${text}"}`)).toEqual([[entity, value]]);
      expect(scan(`export X=${text}\nnext`)).toEqual([[entity, value]]);
    });
  }
});

describe('secretsDetector: variants', () => {
  it('OpenAI project and service-account keys; Anthropic keys are not reported as OpenAI', () => {
    const proj = 'sk-' + 'proj-' + token(120, 20, BASE64.slice(0, 62) + '_-');
    expect(scan(proj)).toEqual([['OPENAI_KEY', proj]]);
    expect(scan(SAMPLES.anthropic_key.text)[0][0]).toBe('ANTHROPIC_KEY');
  });

  it('AWS session keys, GitHub fine-grained tokens, Stripe restricted keys, PKCS#8 PEM', () => {
    const values = [
      ['AWS_ACCESS_KEY', 'ASIA' + token(16, 21, UPPER_DIGITS)],
      ['GITHUB_TOKEN', 'github_pat_' + token(82, 22)],
      ['GITHUB_TOKEN', 'ghs_' + token(36, 23)],
      ['STRIPE_KEY', 'rk_' + 'live_' + token(30, 24)],
      ['PRIVATE_KEY', '-----BEGIN PRIVATE KEY-----\n' + pemBody + '\n-----END PRIVATE KEY-----'],
    ];
    for (const [entity, value] of values) expect(scan(`x ${value} y`)).toEqual([[entity, value]]);
  });

  it('labelled AWS secrets in other spellings', () => {
    const secret = token(40, 25, BASE64);
    expect(scan(`AWS_SECRET_ACCESS_KEY="${secret}"`)).toEqual([['AWS_SECRET_KEY', secret]]);
    expect(scan(`secretAccessKey: '${secret}'`)).toEqual([['AWS_SECRET_KEY', secret]]);
  });

  it('a PEM block inside JSON with escaped newlines', () => {
    const pem = '-----BEGIN EC PRIVATE KEY-----\\n' + token(64, 26, BASE64) + '\\n-----END EC PRIVATE KEY-----';
    expect(scan(`{"key":"${pem}"}`)).toEqual([['PRIVATE_KEY', pem]]);
  });
});

describe('secretsDetector: look-alikes', () => {
  it('prefixes inside longer words, short bodies, test keys and unlabelled base64 are left', () => {
    const texts = [
      'task-' + token(40, 30), // sk- inside a word
      'desk-' + token(40, 31),
      'sk-learn-is-not-a-package-name-for-scikit',
      'sk-' + token(12, 32),
      'AKIA' + token(15, 33, UPPER_DIGITS),
      'XAKIA' + token(16, 34, UPPER_DIGITS),
      'AKIA' + token(17, 35, UPPER_DIGITS),
      'ghp_' + token(35, 36),
      'sk_' + 'test_' + token(24, 37),
      token(40, 38, BASE64),
      'my_hf_' + token(34, 39),
      '-----BEGIN PUBLIC KEY-----\n' + pemBody + '\n-----END PUBLIC KEY-----',
      '-----BEGIN RSA PRIVATE KEY-----\n' + pemBody, // never closed
      'eyJhbGciOi.eyJzdWIi.sig',
    ];
    for (const text of texts) expect(scan(text), text).toEqual([]);
  });

  it('git SHAs, UUIDs and ordinary code have no findings', () => {
    const text = 'commit 9fceb02d0ae598e95dc970b74767f19372d61af8 (uuid 123e4567-e89b-12d3-a456-426614174000)\n' +
      "const key = process.env.OPENAI_API_KEY ?? ''; const sk = 'sk-'; // set sk-... in .env";
    expect(scan(text)).toEqual([]);
  });
});

describe('secretsDetector: options and contract', () => {
  it('reports only the selected kinds', () => {
    const text = `${SAMPLES.openai_key.text} and ${SAMPLES.jwt.text}`;
    expect(found((t) => secretsDetector({ kinds: ['jwt'] }).scan(t), text)).toEqual([['JWT', SAMPLES.jwt.text]]);
  });

  it('rejects an unknown kind', () => {
    expect(() => secretsDetector({ kinds: ['password' as never] })).toThrow(/password/);
  });

  it('drops allow-listed values', () => {
    const ghp = SAMPLES.github_token.text;
    const detector = secretsDetector({ allow: [ghp.toLowerCase(), '/AKIA[A-Z0-9]{16}/'] });
    expect(detector.scan(`${ghp} ${SAMPLES.aws_access_key.text} ${SAMPLES.npm_token.text}`).map((f) => f.entity)).toEqual(['NPM_TOKEN']);
  });

  it('offsets are exact and sorted across kinds', () => {
    const text = `😀 a ${SAMPLES.npm_token.text}, b ${SAMPLES.aws_secret_key.text}; c ${SAMPLES.google_api_key.text}`;
    expect(secrets.scan(text).map((f) => text.slice(f.start, f.end))).toEqual([SAMPLES.npm_token.text, SAMPLES.aws_secret_key.value, SAMPLES.google_api_key.text]);
  });

  it('maxMatchLength: the PEM block bounds the default, a short kind its own', () => {
    expect(secrets.maxMatchLength).toBe(4096);
    expect(SAMPLES.private_key.text.length).toBeLessThan(4096);
    expect(secretsDetector({ kinds: ['aws_access_key'] }).maxMatchLength).toBe(20);
  });
});
