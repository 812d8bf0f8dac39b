import { describe, expect, it } from 'vitest';
import { fromBase64Url, toBase64Url, utf8 } from '../../src/crypto/bytes.ts';
import { generateOrgKeyPair, openWith, sealTo } from '../../src/crypto/envelope.ts';
import {
  ORG_KEY_KDF_ITERATIONS,
  generateRecoveryCode,
  normaliseRecoveryCode,
  passphraseProblem,
  unwrapOrgKey,
  wrapOrgKey,
} from '../../src/crypto/orgKey.ts';

// Most tests use a low iteration count for speed; one test uses the default.
const FAST = 1_000;
const PASSPHRASE = 'correct horse battery staple';

/** The unwrapped key is the organisation's when it opens a batch sealed to the organisation. */
async function opensFor(publicJwk: Parameters<typeof sealTo>[0], key: CryptoKey): Promise<boolean> {
  const jwe = await sealTo(publicJwk, utf8.encode('batch 42'));
  return utf8.decode(await openWith(key, jwe)) === 'batch 42';
}

describe('wrapOrgKey / unwrapOrgKey', () => {
  it('uses at least 600,000 PBKDF2-SHA256 iterations by default, and round-trips', async () => {
    expect(ORG_KEY_KDF_ITERATIONS).toBeGreaterThanOrEqual(600_000);
    const org = await generateOrgKeyPair();
    const wrapped = await wrapOrgKey(org.privateKey, PASSPHRASE);
    const blob = JSON.parse(wrapped) as Record<string, unknown>;
    expect(blob.iterations).toBe(ORG_KEY_KDF_ITERATIONS);
    expect(blob.iterations as number).toBeGreaterThanOrEqual(600_000);
    const key = await unwrapOrgKey(wrapped, PASSPHRASE);
    expect(key).not.toBeNull();
    expect(await opensFor(org.publicJwk, key!)).toBe(true);
  });

  it('writes {v, kdf, iterations, salt, iv, ciphertext} with nothing of the key in the clear', async () => {
    const org = await generateOrgKeyPair();
    const wrapped = await wrapOrgKey(org.privateKey, PASSPHRASE, FAST);
    const blob = JSON.parse(wrapped) as Record<string, unknown>;
    expect(Object.keys(blob).sort()).toEqual(['ciphertext', 'iterations', 'iv', 'kdf', 'salt', 'v']);
    expect(blob).toMatchObject({ v: 1, kdf: 'PBKDF2-SHA256', iterations: FAST });
    expect(fromBase64Url(blob.salt as string).length).toBe(16);
    expect(fromBase64Url(blob.iv as string).length).toBe(12);
    const d = (await crypto.subtle.exportKey('jwk', org.privateKey)).d!;
    expect(wrapped).not.toContain(d);
    expect(wrapped).not.toContain(org.publicJwk.x);
    // Fresh salt and iv each time.
    const again = JSON.parse(await wrapOrgKey(org.privateKey, PASSPHRASE, FAST)) as Record<string, unknown>;
    expect(again.salt).not.toBe(blob.salt);
    expect(again.iv).not.toBe(blob.iv);
  });

  it('gives back an extractable ECDH key that can be wrapped again', async () => {
    const org = await generateOrgKeyPair();
    const key = (await unwrapOrgKey(await wrapOrgKey(org.privateKey, PASSPHRASE, FAST), PASSPHRASE))!;
    expect(key.type).toBe('private');
    expect(key.algorithm).toMatchObject({ name: 'ECDH', namedCurve: 'P-256' });
    expect(key.extractable).toBe(true);
    expect(key.usages).toContain('deriveBits');
    const rewrapped = await wrapOrgKey(key, 'another admin passphrase', FAST);
    const key2 = (await unwrapOrgKey(rewrapped, 'another admin passphrase'))!;
    expect(await opensFor(org.publicJwk, key2)).toBe(true);
  });

  it('gives null for a wrong passphrase (including a different case or spacing)', async () => {
    const org = await generateOrgKeyPair();
    const wrapped = await wrapOrgKey(org.privateKey, PASSPHRASE, FAST);
    expect(await unwrapOrgKey(wrapped, 'correct horse battery stapler')).toBeNull();
    expect(await unwrapOrgKey(wrapped, PASSPHRASE.toUpperCase())).toBeNull();
    expect(await unwrapOrgKey(wrapped, PASSPHRASE + ' ')).toBeNull();
    expect(await unwrapOrgKey(wrapped, '')).toBeNull();
  });

  it('normalises passphrases to NFC only', async () => {
    const org = await generateOrgKeyPair();
    const composed = 'café au lait, s’il vous plaît';
    const decomposed = composed.normalize('NFD');
    expect(decomposed).not.toBe(composed);
    const wrapped = await wrapOrgKey(org.privateKey, composed, FAST);
    expect(await unwrapOrgKey(wrapped, decomposed)).not.toBeNull();
  });

  it('gives null when the ciphertext was altered (indistinguishable from a wrong secret)', async () => {
    const org = await generateOrgKeyPair();
    const blob = JSON.parse(await wrapOrgKey(org.privateKey, PASSPHRASE, FAST)) as Record<string, string>;
    const ct = fromBase64Url(blob.ciphertext!);
    ct[0] = ct[0]! ^ 1;
    expect(await unwrapOrgKey(JSON.stringify({ ...blob, ciphertext: toBase64Url(ct) }), PASSPHRASE)).toBeNull();
  });

  it('throws a clear error for a malformed blob', async () => {
    const org = await generateOrgKeyPair();
    const blob = JSON.parse(await wrapOrgKey(org.privateKey, PASSPHRASE, FAST)) as Record<string, unknown>;
    const bad: string[] = [
      'not json',
      '[]',
      'null',
      JSON.stringify({ ...blob, v: 2 }),
      JSON.stringify({ ...blob, kdf: 'scrypt' }),
      JSON.stringify({ ...blob, iterations: 0 }),
      JSON.stringify({ ...blob, iterations: '600000' }),
      JSON.stringify({ ...blob, iterations: 1e12 }),
      JSON.stringify({ ...blob, salt: undefined }),
      JSON.stringify({ ...blob, iv: 'AAAA' }),
      JSON.stringify({ ...blob, ciphertext: 'has spaces in it' }),
    ];
    for (const text of bad) {
      await expect(unwrapOrgKey(text, PASSPHRASE), text).rejects.toThrow(/damaged or is not a Footfall key/);
    }
  });

  it('refuses to wrap a key that is not the organisation private key, or without a secret', async () => {
    const org = await generateOrgKeyPair();
    await expect(wrapOrgKey(org.privateKey, '', FAST)).rejects.toThrow(/passphrase or recovery code/);
    await expect(wrapOrgKey(org.privateKey, PASSPHRASE, 0)).rejects.toThrow(/iteration/);
    const aes = await crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, true, ['encrypt']);
    await expect(wrapOrgKey(aes, PASSPHRASE, FAST)).rejects.toThrow(/ECDH P-256/);
    const locked = await crypto.subtle.generateKey({ name: 'ECDH', namedCurve: 'P-256' }, false, ['deriveBits']);
    await expect(wrapOrgKey(locked.privateKey, PASSPHRASE, FAST)).rejects.toThrow(/not extractable/);
  });
});

describe('recovery codes', () => {
  it('are 24 Crockford base32 characters in 6 groups of 4', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const code = generateRecoveryCode();
      expect(code).toMatch(/^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){5}$/);
      seen.add(code);
    }
    expect(seen.size).toBe(200);
  });

  it('carry 120 random bits: every character of the alphabet turns up in every position', () => {
    const perPosition = Array.from({ length: 24 }, () => new Set<string>());
    for (let i = 0; i < 2_000; i++) {
      [...generateRecoveryCode().replace(/-/g, '')].forEach((ch, p) => perPosition[p]!.add(ch));
    }
    for (const set of perPosition) expect(set.size).toBe(32);
  });

  it('normalise to the generated form, forgiving case, spacing, dashes and look-alikes', () => {
    const code = generateRecoveryCode();
    expect(normaliseRecoveryCode(code)).toBe(code);
    expect(normaliseRecoveryCode(code.toLowerCase())).toBe(code);
    expect(normaliseRecoveryCode(code.replace(/-/g, ' '))).toBe(code);
    expect(normaliseRecoveryCode(`  ${code.replace(/-/g, '')}  `)).toBe(code);
    expect(normaliseRecoveryCode('ABCD-EFGH-JKMN-PQRS-TVWX-YZ01')).toBe('ABCD-EFGH-JKMN-PQRS-TVWX-YZ01');
    expect(normaliseRecoveryCode('abcd efgh jkmn pqrs tvwx yzol')).toBe('ABCD-EFGH-JKMN-PQRS-TVWX-YZ01');
    expect(normaliseRecoveryCode('OOOO-IIII-LLLL-oooo-iiii-llll')).toBe('0000-1111-1111-0000-1111-1111');
  });

  it('normalise to null for a wrong length or alphabet', () => {
    expect(normaliseRecoveryCode('')).toBeNull();
    expect(normaliseRecoveryCode('ABCD-EFGH-JKMN-PQRS-TVWX-YZ0')).toBeNull();
    expect(normaliseRecoveryCode('ABCD-EFGH-JKMN-PQRS-TVWX-YZ012')).toBeNull();
    expect(normaliseRecoveryCode('ABCD-EFGH-JKMN-PQRS-TVWX-YZ0U')).toBeNull();
    expect(normaliseRecoveryCode('ABCD-EFGH-JKMN-PQRS-TVWX-YZ0#')).toBeNull();
    expect(normaliseRecoveryCode(PASSPHRASE)).toBeNull();
  });

  it('unwrap the organisation key when re-typed in lower case with spaces', async () => {
    const org = await generateOrgKeyPair();
    const code = generateRecoveryCode();
    const wrapped = await wrapOrgKey(org.privateKey, code, FAST);
    const retyped = code.toLowerCase().replace(/-/g, ' ').replace(/0/g, 'o').replace(/1/g, 'l');
    const key = await unwrapOrgKey(wrapped, retyped);
    expect(key).not.toBeNull();
    expect(await opensFor(org.publicJwk, key!)).toBe(true);
    expect(await unwrapOrgKey(wrapped, generateRecoveryCode())).toBeNull();
  });
});

describe('passphraseProblem', () => {
  it('accepts a long enough passphrase', () => {
    expect(passphraseProblem(PASSPHRASE)).toBeNull();
    expect(passphraseProblem('twelve chars')).toBeNull();
  });

  it('says a short passphrase needs at least 12 characters', () => {
    expect(passphraseProblem('')).toMatch(/at least 12 characters; this one has 0\./);
    expect(passphraseProblem('short one')).toMatch(/at least 12 characters; this one has 9\./);
    expect(passphraseProblem('eleven char')).toMatch(/at least 12 characters/);
  });

  it('counts characters, not UTF-16 units', () => {
    expect(passphraseProblem('👋👋👋👋👋👋')).toMatch(/this one has 6\./);
  });

  it('refuses one character repeated', () => {
    expect(passphraseProblem('aaaaaaaaaaaaaaaa')).toMatch(/cannot be one character repeated/);
    expect(passphraseProblem(' '.repeat(20))).toMatch(/cannot be one character repeated/);
  });

  it('answers in a sentence', () => {
    for (const p of ['x', 'aaaaaaaaaaaaa']) {
      const problem = passphraseProblem(p)!;
      expect(problem).toMatch(/^[A-Z].*\.$/);
    }
  });
});
