/**
 * Personal codes: what a person the admin added types on a device to set her own PIN there
 * (docs/security.md#people). A code has the enrolment code's form (80 random bits, a check
 * character, forgiving to type) and never leaves the admin's screen and the paper she is given.
 *
 * The organisation's list of people carries only a check value: HKDF-SHA256 of the code, bound
 * to the person's id, so a code works for her alone and the list gives nothing away. Guessing a
 * code from its check means searching 2^80 values.
 */
import { toBase64Url, utf8 } from './bytes.ts';
import { generateEnrolmentCode, parseEnrolmentCode } from './enrolmentCode.ts';

export const generatePersonalCode = generateEnrolmentCode;

/** The check value of a code (display form or as typed) for one person. */
export async function personalCodeCheck(code: string, personId: string): Promise<string> {
  const parsed = parseEnrolmentCode(code, 'personal code');
  if (!parsed.ok) throw new Error(parsed.message);
  const base = await crypto.subtle.importKey('raw', utf8.encode(parsed.code), 'HKDF', false, ['deriveBits']);
  const bits = await crypto.subtle.deriveBits(
    { name: 'HKDF', hash: 'SHA-256', salt: utf8.encode('footfall/personal-code/v1'), info: utf8.encode(`footfall/personal-code/check/${personId}`) },
    base,
    256,
  );
  return toBase64Url(new Uint8Array(bits));
}

export type CodeVerdict = { ok: true } | { ok: false; message: string };

/** Whether a typed code is the one whose check the admin published for this person. */
export async function verifyPersonalCode(typed: string, personId: string, check: string): Promise<CodeVerdict> {
  const parsed = parseEnrolmentCode(typed, 'personal code');
  if (!parsed.ok) return parsed;
  const expected = await personalCodeCheck(parsed.code, personId);
  return sameText(expected, check) ? { ok: true } : { ok: false, message: 'That is not your personal code. Check it against the paper the admin gave you, or ask her for a new one.' };
}

/** Compares every character, so the time taken says nothing about where two values differ. */
function sameText(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}
