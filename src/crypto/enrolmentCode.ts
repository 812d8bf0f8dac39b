/**
 * One-time enrolment codes, typed by a person from the admin's screen onto a new device.
 *
 * A code is 80 random bits written as 16 Crockford base32 characters plus one check character
 * (the value mod 37, Crockford's check symbol), shown as XXXX-XXXX-XXXX-XXXX-C. The check
 * character catches every single wrong character and every swap of two neighbours before anything
 * is sent. Typing is forgiving: case, spaces and dashes do not matter, O reads as 0, and I and L
 * read as 1.
 *
 * The code itself never leaves the devices. HKDF-SHA256 derives two independent values from it:
 * - `lookup`, 32 bytes the endpoint uses to find the pending enrolment (all the endpoint ever sees);
 * - `packageKey`, an AES-256-GCM key that seals the enrolment package (the team key and the
 *   organisation's details) which the endpoint stores and hands over, unable to read it.
 * Guessing a code means searching 2^80 values; the endpoint also expires codes and limits attempts.
 */
import { CompactEncrypt, compactDecrypt } from 'jose';
import { randomBytes, toBase64Url, utf8 } from './bytes.ts';
import { bytesJson, jsonBytes } from './envelope.ts';

/** Crockford's base32 alphabet: digits and letters without I, L, O and U. */
export const CROCKFORD_ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
/** The 37 check symbols: the 32 above, then Crockford's five extra symbols. */
export const CROCKFORD_CHECK_ALPHABET = CROCKFORD_ALPHABET + '*~$=U';

const DATA_LENGTH = 16;
export const ENROLMENT_CODE_LENGTH = DATA_LENGTH + 1;
const RECHECK = "Check it against what the admin gave you.";

/** Big-endian bytes as Crockford base32, 5 bits a character (bytes.length * 8 must divide by 5). */
export function toCrockford(bytes: Uint8Array): string {
  const bits = bytes.length * 8;
  if (bits % 5 !== 0) throw new RangeError('Crockford encoding here needs a whole number of 5-bit characters.');
  let value = 0n;
  for (const b of bytes) value = (value << 8n) | BigInt(b);
  let out = '';
  for (let shift = BigInt(bits - 5); shift >= 0n; shift -= 5n) out += CROCKFORD_ALPHABET[Number((value >> shift) & 31n)];
  return out;
}

/** One typed character, read forgivingly: upper case, O as 0, I and L as 1. */
export function readCrockfordChar(ch: string): string {
  const up = ch.toUpperCase();
  if (up === 'O') return '0';
  if (up === 'I' || up === 'L') return '1';
  return up;
}

/** Split into groups of `size` joined by '-'. */
export function groupChars(text: string, size: number): string {
  const groups: string[] = [];
  for (let i = 0; i < text.length; i += size) groups.push(text.slice(i, i + size));
  return groups.join('-');
}

/** Separators people type between groups; ignored. */
export function isSeparator(ch: string): boolean {
  return ch === '-' || /\s/.test(ch);
}

function checkSymbol(data: string): string {
  let value = 0n;
  for (const ch of data) value = value * 32n + BigInt(CROCKFORD_ALPHABET.indexOf(ch));
  return CROCKFORD_CHECK_ALPHABET[Number(value % 37n)]!;
}

/** The display form of the code for 10 bytes: XXXX-XXXX-XXXX-XXXX-C. */
export function formatEnrolmentCode(bytes: Uint8Array): string {
  if (bytes.length !== 10) throw new RangeError('An enrolment code is made from 10 bytes (80 bits).');
  const data = toCrockford(bytes);
  return `${groupChars(data, 4)}-${checkSymbol(data)}`;
}

/** A fresh code: 80 random bits. */
export function generateEnrolmentCode(): string {
  return formatEnrolmentCode(randomBytes(10));
}

export type ParsedEnrolmentCode = { ok: true; code: string } | { ok: false; message: string };

/**
 * Read a typed code. On success `code` is the canonical display form (what generateEnrolmentCode
 * returned), which is also what enrolmentKeys derives from.
 */
export function parseEnrolmentCode(input: string, noun = 'enrolment code'): ParsedEnrolmentCode {
  if (typeof input !== 'string') return { ok: false, message: `That is not ${article(noun)} ${noun}. ${RECHECK}` };
  const typed = [...input].filter((ch) => !isSeparator(ch));
  if (typed.length === 0) return { ok: false, message: `Type the ${noun} the admin gave you.` };
  if (typed.length !== ENROLMENT_CODE_LENGTH) {
    return {
      ok: false,
      message: `${capitalise(article(noun))} ${noun} has ${ENROLMENT_CODE_LENGTH} characters; this one has ${typed.length}. ${RECHECK}`,
    };
  }
  let data = '';
  for (let i = 0; i < DATA_LENGTH; i++) {
    const ch = readCrockfordChar(typed[i]!);
    if (!CROCKFORD_ALPHABET.includes(ch)) return { ok: false, message: badCharacter(typed[i]!, i, noun) };
    data += ch;
  }
  const check = readCrockfordChar(typed[DATA_LENGTH]!);
  if (!CROCKFORD_CHECK_ALPHABET.includes(check)) return { ok: false, message: badCharacter(typed[DATA_LENGTH]!, DATA_LENGTH, noun) };
  if (checkSymbol(data) !== check) {
    return { ok: false, message: `This code has a typo: one character is wrong. ${RECHECK}` };
  }
  return { ok: true, code: `${groupChars(data, 4)}-${check}` };
}

const article = (noun: string) => (/^[aeiou]/.test(noun) ? 'an' : 'a');
const capitalise = (text: string) => text[0]!.toUpperCase() + text.slice(1);

function badCharacter(ch: string, index: number, noun: string): string {
  const shown = /^[\x21-\x7e]$/.test(ch) ? `"${ch}"` : `U+${ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
  const where = index === DATA_LENGTH ? 'the last character' : `character ${index + 1}`;
  return `${capitalise(noun)}s do not use ${shown} (${where}). ${RECHECK}`;
}

/**
 * The endpoint's lookup value and the package key for a code (display form or as typed).
 * Deterministic: the admin's device and the new device derive the same pair from the same code.
 */
export async function enrolmentKeys(code: string): Promise<{ lookup: string; packageKey: CryptoKey }> {
  const parsed = parseEnrolmentCode(code);
  if (!parsed.ok) throw new Error(parsed.message);
  const base = await crypto.subtle.importKey('raw', utf8.encode(parsed.code), 'HKDF', false, ['deriveBits', 'deriveKey']);
  const hkdf = (info: string) => ({
    name: 'HKDF',
    hash: 'SHA-256',
    salt: utf8.encode('footfall/enrolment/v1'),
    info: utf8.encode(info),
  });
  const lookup = await crypto.subtle.deriveBits(hkdf('footfall/enrolment/lookup/v1'), base, 256);
  const packageKey = await crypto.subtle.deriveKey(hkdf('footfall/enrolment/package/v1'), base, { name: 'AES-GCM', length: 256 }, false, [
    'encrypt',
    'decrypt',
  ]);
  return { lookup: toBase64Url(new Uint8Array(lookup)), packageKey };
}

/** Seal the enrolment package (JSON) under the package key: JWE dir + A256GCM. */
export async function sealPackage(packageKey: CryptoKey, value: unknown): Promise<string> {
  return new CompactEncrypt(jsonBytes(value)).setProtectedHeader({ alg: 'dir', enc: 'A256GCM', cty: 'footfall-enrolment-v1' }).encrypt(packageKey);
}

/** Open an enrolment package. Throws a clear Error when it was altered or the code differs. */
export async function openPackage(packageKey: CryptoKey, jwe: string): Promise<unknown> {
  let plaintext: Uint8Array;
  try {
    ({ plaintext } = await compactDecrypt(jwe, packageKey, { keyManagementAlgorithms: ['dir'], contentEncryptionAlgorithms: ['A256GCM'] }));
  } catch {
    throw new Error('This enrolment package could not be opened: it was altered, or it belongs to a different code.');
  }
  return bytesJson(plaintext);
}

/**
 * A join proof (docs/security.md#devices): a random secret the admin seals in a code's package, and
 * its SHA-256 digest, which she signs in her invitation. A device that joined shows the secret to
 * the organisation (in an activity part, which only the organisation's key opens), so only a
 * device that opened the package, that is, held the code, can claim the invitation's role and site.
 */
export async function makeJoinProof(): Promise<{ proof: string; check: string }> {
  const proof = toBase64Url(randomBytes(32));
  return { proof, check: await joinProofCheck(proof) };
}

/** The digest an invitation carries for a join proof. */
export async function joinProofCheck(proof: string): Promise<string> {
  return toBase64Url(new Uint8Array(await crypto.subtle.digest('SHA-256', utf8.encode(`footfall-join-proof-v1\n${proof}`))));
}
