import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { decodeProtectedHeader } from 'jose';
import { fromBase64Url, toBase64Url } from '../../src/crypto/bytes.ts';
import {
  CROCKFORD_ALPHABET,
  CROCKFORD_CHECK_ALPHABET,
  enrolmentKeys,
  formatEnrolmentCode,
  generateEnrolmentCode,
  openPackage,
  parseEnrolmentCode,
  sealPackage,
} from '../../src/crypto/enrolmentCode.ts';
import { EnrolmentLookup } from '../../src/domain/protocol.ts';

const TYPO = "This code has a typo: one character is wrong. Check it against what the admin gave you.";
const FORMAT = /^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}-[0-9A-HJKMNP-TV-Z*~$=U]$/;

/** The 17 symbols of a display-form code. */
const symbolsOf = (code: string) => [...code.replace(/-/g, '')];
const fromSymbols = (symbols: string[]) => `${symbols.slice(0, 4).join('')}-${symbols.slice(4, 8).join('')}-${symbols.slice(8, 12).join('')}-${symbols.slice(12, 16).join('')}-${symbols[16]}`;
const alphabetAt = (position: number) => (position === 16 ? CROCKFORD_CHECK_ALPHABET : CROCKFORD_ALPHABET);

describe('generateEnrolmentCode', () => {
  it('gives XXXX-XXXX-XXXX-XXXX-C with a valid check character, different each time', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 300; i++) {
      const code = generateEnrolmentCode();
      expect(code).toMatch(FORMAT);
      expect(parseEnrolmentCode(code)).toEqual({ ok: true, code });
      seen.add(code);
    }
    expect(seen.size).toBe(300);
  });

  it('computes the Crockford mod-37 check symbol', () => {
    // 0 → check 0; 1 → 1; 36 → U; 37 → 0 again; the 80-bit maximum 2^80 - 1 ≡ 2^80 - 1 mod 37.
    expect(formatEnrolmentCode(new Uint8Array(10))).toBe('0000-0000-0000-0000-0');
    expect(formatEnrolmentCode(Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 0, 0, 1))).toBe('0000-0000-0000-0001-1');
    expect(formatEnrolmentCode(Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 0, 0, 36))).toBe('0000-0000-0000-0014-U');
    expect(formatEnrolmentCode(Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 0, 0, 37))).toBe('0000-0000-0000-0015-0');
    expect(formatEnrolmentCode(Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 0, 0, 32))).toBe('0000-0000-0000-0010-*');
    const max = (2n ** 80n - 1n) % 37n;
    expect(formatEnrolmentCode(new Uint8Array(10).fill(255))).toBe(`ZZZZ-ZZZZ-ZZZZ-ZZZZ-${CROCKFORD_CHECK_ALPHABET[Number(max)]}`);
  });

  it('carries 80 random bits: every symbol turns up in every data position', () => {
    const perPosition = Array.from({ length: 16 }, () => new Set<string>());
    for (let i = 0; i < 2_000; i++) symbolsOf(generateEnrolmentCode()).slice(0, 16).forEach((ch, p) => perPosition[p]!.add(ch));
    for (const set of perPosition) expect(set.size).toBe(32);
  });
});

describe('parseEnrolmentCode', () => {
  it('accepts sloppy typing and returns the display form', () => {
    const code = generateEnrolmentCode();
    const variants = [
      code.toLowerCase(),
      code.replace(/-/g, ''),
      code.replace(/-/g, ' '),
      `  ${code.replace(/-/g, ' - ')}\n`,
      code.replace(/0/g, 'O').replace(/1/g, 'I'),
      code.replace(/0/g, 'o').replace(/1/g, 'l'),
      symbolsOf(code).join(' '),
    ];
    for (const typed of variants) expect(parseEnrolmentCode(typed), typed).toEqual({ ok: true, code });
    expect(parseEnrolmentCode('oooo oooo iiii llll o')).toEqual(parseEnrolmentCode('0000-0000-1111-1111-0'));
  });

  it('accepts a lower-case u as the check symbol', () => {
    const code = formatEnrolmentCode(Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 0, 0, 36));
    expect(parseEnrolmentCode(code.toLowerCase())).toEqual({ ok: true, code });
  });

  it('says how many characters there should be and were', () => {
    const code = generateEnrolmentCode();
    expect(parseEnrolmentCode(code.slice(0, -2))).toEqual({
      ok: false,
      message: "An enrolment code has 17 characters; this one has 16. Check it against what the admin gave you.",
    });
    expect(parseEnrolmentCode(code + '7')).toEqual({
      ok: false,
      message: "An enrolment code has 17 characters; this one has 18. Check it against what the admin gave you.",
    });
    const empty = parseEnrolmentCode('  - ');
    expect(empty.ok).toBe(false);
  });

  it('names a character that is not in the alphabet', () => {
    const symbols = symbolsOf(generateEnrolmentCode());
    const cases: [string, number, RegExp][] = [
      ['U', 2, /"U" \(character 3\)/],
      ['u', 0, /"u" \(character 1\)/],
      ['#', 9, /"#" \(character 10\)/],
      ['*', 15, /"\*" \(character 16\)/], // a check-only symbol in a data position
      ['!', 16, /"!" \(the last character\)/],
      ['é', 4, /"é"|U\+00E9/],
    ];
    for (const [ch, at, pattern] of cases) {
      const typed = symbols.slice();
      typed[at] = ch;
      const parsed = parseEnrolmentCode(typed.join(''));
      expect(parsed.ok).toBe(false);
      if (!parsed.ok) {
        expect(parsed.message).toMatch(pattern);
        expect(parsed.message).toMatch(/^Enrolment codes do not use .*Check it against what the admin gave you\.$/);
      }
    }
  });

  it('reports a wrong character as a typo', () => {
    const symbols = symbolsOf(generateEnrolmentCode());
    symbols[5] = symbols[5] === '7' ? '8' : '7';
    expect(parseEnrolmentCode(symbols.join(''))).toEqual({ ok: false, message: TYPO });
  });

  it('detects every single-character substitution in some codes, exhaustively', () => {
    for (let n = 0; n < 5; n++) {
      const symbols = symbolsOf(generateEnrolmentCode());
      for (let position = 0; position < 17; position++) {
        for (const replacement of alphabetAt(position)) {
          if (replacement === symbols[position]) continue;
          const typed = symbols.slice();
          typed[position] = replacement;
          expect(parseEnrolmentCode(fromSymbols(typed)), `${position}:${replacement}`).toEqual({ ok: false, message: TYPO });
        }
      }
    }
  });

  it('detects every single-character substitution (property)', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 10, maxLength: 10 }),
        fc.integer({ min: 0, max: 16 }),
        fc.integer({ min: 1, max: 36 }),
        (bytes, position, shift) => {
          const code = formatEnrolmentCode(bytes);
          const symbols = symbolsOf(code);
          const alphabet = alphabetAt(position);
          const replacement = alphabet[(alphabet.indexOf(symbols[position]!) + (shift % alphabet.length || 1)) % alphabet.length]!;
          fc.pre(replacement !== symbols[position]);
          const typed = symbols.slice();
          typed[position] = replacement;
          const parsed = parseEnrolmentCode(fromSymbols(typed));
          expect(parsed).toEqual({ ok: false, message: TYPO });
          // The untouched code still parses.
          expect(parseEnrolmentCode(code)).toEqual({ ok: true, code });
        },
      ),
      { numRuns: 2_000 },
    );
  });

  it('detects every swap of two different neighbouring data characters (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 10, maxLength: 10 }), fc.integer({ min: 0, max: 14 }), (bytes, i) => {
        const symbols = symbolsOf(formatEnrolmentCode(bytes));
        fc.pre(symbols[i] !== symbols[i + 1]);
        const typed = symbols.slice();
        [typed[i], typed[i + 1]] = [typed[i + 1]!, typed[i]!];
        expect(parseEnrolmentCode(fromSymbols(typed)).ok).toBe(false);
      }),
      { numRuns: 1_000 },
    );
  });
});

describe('enrolmentKeys', () => {
  it('derives a 32-byte lookup and a separate non-extractable AES-GCM 256 key', async () => {
    const code = generateEnrolmentCode();
    const { lookup, packageKey } = await enrolmentKeys(code);
    expect(lookup).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(fromBase64Url(lookup).length).toBe(32);
    expect(EnrolmentLookup.safeParse(lookup).success).toBe(true);
    expect(packageKey.algorithm).toMatchObject({ name: 'AES-GCM', length: 256 });
    expect(packageKey.extractable).toBe(false);
    // The lookup is not the package key: the key made from the lookup bytes cannot open a package.
    const fromLookup = await crypto.subtle.importKey('raw', fromBase64Url(lookup), 'AES-GCM', false, ['decrypt']);
    const sealed = await sealPackage(packageKey, { teamKey: 'k' });
    await expect(openPackage(fromLookup, sealed)).rejects.toThrow(/could not be opened/);
    // Nor is it the code in disguise.
    expect(lookup).not.toContain(code.replace(/-/g, ''));
  });

  it('is deterministic for a code, however it was typed, and differs between codes', async () => {
    const code = generateEnrolmentCode();
    const a = await enrolmentKeys(code);
    const b = await enrolmentKeys(code.toLowerCase().replace(/-/g, ' ').replace(/0/g, 'o'));
    expect(b.lookup).toBe(a.lookup);
    // Same package key: what one seals the other opens.
    expect(await openPackage(b.packageKey, await sealPackage(a.packageKey, { n: 1 }))).toEqual({ n: 1 });
    let other = generateEnrolmentCode();
    while (other === code) other = generateEnrolmentCode();
    const c = await enrolmentKeys(other);
    expect(c.lookup).not.toBe(a.lookup);
    await expect(openPackage(c.packageKey, await sealPackage(a.packageKey, { n: 1 }))).rejects.toThrow(/different code/);
  });

  it('refuses an invalid code with its message', async () => {
    await expect(enrolmentKeys('ABCD')).rejects.toThrow('An enrolment code has 17 characters; this one has 4.');
  });
});

describe('sealPackage / openPackage', () => {
  it('round-trips JSON as JWE dir / A256GCM without the content in the clear', async () => {
    const { packageKey } = await enrolmentKeys(generateEnrolmentCode());
    const value = { orgId: 'o-1', teamKeys: [{ version: 2, key: 'c2VjcmV0LXRlYW0ta2V5' }], name: 'Front desk tablet' };
    const jwe = await sealPackage(packageKey, value);
    const header = decodeProtectedHeader(jwe);
    expect(header.alg).toBe('dir');
    expect(header.enc).toBe('A256GCM');
    expect(jwe.split('.')).toHaveLength(5);
    expect(jwe).not.toContain('Front desk');
    expect(jwe).not.toContain('c2VjcmV0LXRlYW0ta2V5');
    expect(await openPackage(packageKey, jwe)).toEqual(value);
  });

  it('refuses a package with a byte flipped in any part', async () => {
    const { packageKey } = await enrolmentKeys(generateEnrolmentCode());
    const jwe = await sealPackage(packageKey, { teamKey: 'x' });
    for (const part of [0, 2, 3, 4]) {
      const parts = jwe.split('.');
      const bytes = fromBase64Url(parts[part]!);
      bytes[0] = bytes[0]! ^ 1;
      parts[part] = toBase64Url(bytes);
      await expect(openPackage(packageKey, parts.join('.'))).rejects.toThrow(/could not be opened/);
    }
    await expect(openPackage(packageKey, 'garbage')).rejects.toThrow(/could not be opened/);
  });
});
