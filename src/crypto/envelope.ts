/**
 * Sealed data: JWE (RFC 7516) in compact serialisation, made and opened by `jose` on WebCrypto.
 *
 * Two kinds of seal:
 *
 * 1. To a public key (`sealTo` / `openWith`): activity batches sealed to the organisation, and new
 *    team keys sealed to a device. alg "ECDH-ES+A256KW", enc "A256GCM". For every call jose makes a
 *    fresh random 256-bit content key and encrypts the plaintext with AES-256-GCM under it; it makes a
 *    fresh ephemeral P-256 key pair, does ECDH with the recipient's public key, and wraps the content
 *    key with AES-256-KW under a key derived from the shared secret. Only the holder of the
 *    recipient's private key can open it; the sender keeps nothing that could (a device that sealed a
 *    batch cannot read it back).
 *
 *    About the key derivation (docs/security.md#envelopes), honestly: JWE's ECDH-ES does not
 *    use HKDF; it uses the Concat KDF of RFC 7518 §4.6 (NIST SP 800-56A §5.8.1, single-step, SHA-256),
 *    with the algorithm name, the (empty) PartyUInfo/PartyVInfo and the key length as OtherInfo. That
 *    is a standard, well-analysed KDF for exactly this purpose, and JWE from jose is an
 *    acceptable envelope, so we use it as specified rather than altering the format. HKDF is used
 *    elsewhere (keyring.ts, enrolmentCode.ts), where we choose the derivation ourselves.
 *
 * 2. With the shared team key (`sealWithTeamKey` / `openWithTeamKey`): the directory of women, which
 *    every enrolled device reads. alg "dir", enc "A256GCM", with protected header kid "team-v<N>" so a
 *    device knows which team key version to use. The header is authenticated (it is the AES-GCM
 *    associated data), so the kid cannot be changed unnoticed.
 *
 * Padding. Before encryption the plaintext is framed as
 *   4-byte big-endian length || data || zero bytes
 * up to the size bucket: the smallest power of two of at least 1 KiB that holds the frame, or
 * `padTo` when that is larger. The ciphertext length then reveals only the bucket, not how many
 * records a batch holds. The cost is at most a doubling of the size. jose's "zip" (compression) is
 * never used and is refused when opening, because compression would leak through the size again.
 */
import { CompactEncrypt, compactDecrypt, decodeProtectedHeader, type CompactJWEHeaderParameters } from 'jose';
import type { PublicJwk } from '../domain/protocol.ts';
import { fromBase64Url, toBase64Url } from './bytes.ts';

export const SEAL_ALG = 'ECDH-ES+A256KW';
export const TEAM_ALG = 'dir';
export const CONTENT_ENC = 'A256GCM';

/** The smallest padding bucket: 1 KiB. */
export const MIN_BUCKET = 1024;
/** The largest plaintext a frame can describe here (the length field is 4 bytes; stay well inside it). */
const MAX_PLAINTEXT = 0x4000_0000; // 1 GiB

const ECDH_P256 = { name: 'ECDH', namedCurve: 'P-256' } as const;
const COMPACT_JWE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
const TEAM_KID = /^team-v([1-9][0-9]{0,8})$/;

// ---------------------------------------------------------------------------------------------
// Padding

/** The padded size for a plaintext of `length` bytes. */
export function paddedSize(length: number, padTo?: number): number {
  if (!Number.isSafeInteger(length) || length < 0) throw new TypeError('A plaintext length must be a non-negative integer.');
  if (length > MAX_PLAINTEXT) throw new RangeError('This plaintext is too large to seal (over 1 GiB).');
  if (padTo !== undefined && (!Number.isSafeInteger(padTo) || padTo <= 0)) {
    throw new TypeError('padTo must be a positive whole number of bytes.');
  }
  const framed = 4 + length;
  let bucket = MIN_BUCKET;
  while (bucket < framed) bucket *= 2;
  return Math.max(bucket, padTo ?? 0);
}

/** Frame and pad a plaintext: 4-byte big-endian length, the data, zero bytes up to the bucket. */
export function padPlaintext(plaintext: Uint8Array, padTo?: number): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(paddedSize(plaintext.length, padTo));
  new DataView(out.buffer).setUint32(0, plaintext.length, false);
  out.set(plaintext, 4);
  return out;
}

/** The data inside a frame. Throws when the frame is malformed or the padding is not all zero. */
export function unpadPlaintext(framed: Uint8Array): Uint8Array<ArrayBuffer> {
  if (framed.length < 4) throw new Error('Opened sealed data has invalid padding: it is shorter than its length field.');
  const length = new DataView(framed.buffer, framed.byteOffset, framed.byteLength).getUint32(0, false);
  if (length > framed.length - 4) throw new Error('Opened sealed data has invalid padding: its length field is larger than the data.');
  for (let i = 4 + length; i < framed.length; i++) {
    if (framed[i] !== 0) throw new Error('Opened sealed data has invalid padding: the padding bytes are not zero.');
  }
  // A copy on a plain ArrayBuffer, so callers can hand it straight to WebCrypto or TextDecoder.
  const data = new Uint8Array(length);
  data.set(framed.subarray(4, 4 + length));
  return data;
}

// ---------------------------------------------------------------------------------------------
// JSON helpers

/** UTF-8 JSON bytes of a value. */
export function jsonBytes(value: unknown): Uint8Array<ArrayBuffer> {
  const text = JSON.stringify(value);
  if (text === undefined) throw new TypeError('This value cannot be written as JSON.');
  return new TextEncoder().encode(text) as Uint8Array<ArrayBuffer>;
}

/** The value in UTF-8 JSON bytes. Throws on invalid UTF-8 or invalid JSON. */
export function bytesJson(bytes: Uint8Array): unknown {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new Error('Opened data is not valid UTF-8 text.');
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new Error('Opened data is not valid JSON.');
  }
}

// ---------------------------------------------------------------------------------------------
// Checks shared by the open functions

const TAMPERED = 'it was altered, or it was sealed for a different key';

function protectedHeaderOf(jwe: string, what: string): CompactJWEHeaderParameters {
  if (typeof jwe !== 'string' || !COMPACT_JWE.test(jwe)) {
    throw new Error(`This ${what} could not be opened: it is not a sealed (compact JWE) text.`);
  }
  let header: CompactJWEHeaderParameters;
  try {
    header = decodeProtectedHeader(jwe) as CompactJWEHeaderParameters;
  } catch {
    throw new Error(`This ${what} could not be opened: its header is damaged (${TAMPERED}).`);
  }
  if (header.zip !== undefined) throw new Error(`This ${what} could not be opened: compressed sealed data is not accepted.`);
  if (header.crit !== undefined) throw new Error(`This ${what} could not be opened: it uses header extensions this app does not know.`);
  return header;
}

async function decryptCompact(jwe: string, key: CryptoKey, alg: string, what: string): Promise<Uint8Array> {
  let plaintext: Uint8Array;
  try {
    ({ plaintext } = await compactDecrypt(jwe, key, {
      keyManagementAlgorithms: [alg],
      contentEncryptionAlgorithms: [CONTENT_ENC],
    }));
  } catch {
    // jose's message is not shown: it may say which check failed, which helps nobody at the desk.
    throw new Error(`This ${what} could not be opened: ${TAMPERED}.`);
  }
  return plaintext;
}

// ---------------------------------------------------------------------------------------------
// Sealing to a public key

/**
 * The organisation's key pair (ECDH P-256). The private key is extractable so that orgKey.ts can
 * wrap it under the admin's passphrase and recovery code; it must never be stored unwrapped.
 */
export async function generateOrgKeyPair(): Promise<{ publicJwk: PublicJwk; privateKey: CryptoKey }> {
  const pair = await crypto.subtle.generateKey(ECDH_P256, true, ['deriveBits']);
  const jwk = await crypto.subtle.exportKey('jwk', pair.publicKey);
  if (typeof jwk.x !== 'string' || typeof jwk.y !== 'string') throw new Error('The new organisation key could not be exported.');
  return { publicJwk: { kty: 'EC', crv: 'P-256', x: jwk.x, y: jwk.y }, privateKey: pair.privateKey };
}

async function importRecipient(recipient: PublicJwk): Promise<CryptoKey> {
  if (
    recipient === null ||
    typeof recipient !== 'object' ||
    recipient.kty !== 'EC' ||
    recipient.crv !== 'P-256' ||
    typeof recipient.x !== 'string' ||
    typeof recipient.y !== 'string'
  ) {
    throw new Error('Cannot seal: the recipient key is not a P-256 public key.');
  }
  try {
    // Only the public members, so a stray "d" or "key_ops" changes nothing. WebCrypto checks the
    // point is on the curve (an invalid-curve key would otherwise leak the ephemeral secret).
    return await crypto.subtle.importKey('jwk', { kty: 'EC', crv: 'P-256', x: recipient.x, y: recipient.y }, ECDH_P256, true, []);
  } catch {
    throw new Error('Cannot seal: the recipient key is not a valid P-256 public key.');
  }
}

/**
 * Seal bytes so that only the holder of the recipient's private key can open them. `kid` names the
 * recipient's key in the (authenticated) header, so the organisation, which may hold several keys
 * after a rotation, knows which one opens it (orgKeyring.ts).
 */
export async function sealTo(recipient: PublicJwk, plaintext: Uint8Array, options?: { padTo?: number; kid?: string }): Promise<string> {
  const key = await importRecipient(recipient);
  return new CompactEncrypt(padPlaintext(plaintext, options?.padTo))
    .setProtectedHeader({ alg: SEAL_ALG, enc: CONTENT_ENC, ...(options?.kid !== undefined && { kid: options.kid }) })
    .encrypt(key);
}

/** The key id a sealed text names in its header, or null when it names none (sealed before key ids). */
export function sealedKeyId(jwe: string): string | null {
  const { kid } = protectedHeaderOf(jwe, 'sealed data');
  return typeof kid === 'string' ? kid : null;
}

/** Open what `sealTo` sealed to this private key's public half. Throws a clear Error otherwise. */
export async function openWith(privateKey: CryptoKey, jwe: string): Promise<Uint8Array<ArrayBuffer>> {
  const what = 'sealed data';
  const header = protectedHeaderOf(jwe, what);
  if (header.alg !== SEAL_ALG || header.enc !== CONTENT_ENC) {
    throw new Error(`This ${what} could not be opened: it is not sealed to a key (expected ${SEAL_ALG} with ${CONTENT_ENC}).`);
  }
  return unpadPlaintext(await decryptCompact(jwe, privateKey, SEAL_ALG, what));
}

// ---------------------------------------------------------------------------------------------
// The team key

/**
 * A new team key: AES-256-GCM, extractable, because it is sealed to each device at enrolment and
 * after a revocation (exportTeamKey).
 */
export async function generateTeamKey(): Promise<CryptoKey> {
  return crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, true, ['encrypt', 'decrypt']);
}

/** The raw 32 key bytes as base64url, to be sealed to a device (never sent or stored in the clear). */
export async function exportTeamKey(key: CryptoKey): Promise<string> {
  return toBase64Url(new Uint8Array(await crypto.subtle.exportKey('raw', key)));
}

/** A team key from its base64url raw bytes (extractable, so an admin device can pass it on). */
export async function importTeamKey(raw: string): Promise<CryptoKey> {
  if (typeof raw !== 'string' || !/^[A-Za-z0-9_-]{43}$/.test(raw)) {
    throw new Error('A team key is 32 bytes of base64url (43 characters); this one is not.');
  }
  return crypto.subtle.importKey('raw', fromBase64Url(raw), { name: 'AES-GCM', length: 256 }, true, ['encrypt', 'decrypt']);
}

function teamKid(version: number): string {
  if (!Number.isSafeInteger(version) || version < 1 || version > 999_999_999) {
    throw new TypeError('A team key version is a whole number from 1.');
  }
  return `team-v${version}`;
}

/** Seal bytes with a team key version; the version is in the (authenticated) kid header. */
export async function sealWithTeamKey(team: { version: number; key: CryptoKey }, plaintext: Uint8Array): Promise<string> {
  return new CompactEncrypt(padPlaintext(plaintext))
    .setProtectedHeader({ alg: TEAM_ALG, enc: CONTENT_ENC, kid: teamKid(team.version) })
    .encrypt(team.key);
}

/** Open what `sealWithTeamKey` sealed, choosing the key by the kid's version. */
export async function openWithTeamKey(keys: ReadonlyMap<number, CryptoKey>, jwe: string): Promise<Uint8Array<ArrayBuffer>> {
  const what = 'shared record';
  const header = protectedHeaderOf(jwe, what);
  if (header.alg !== TEAM_ALG || header.enc !== CONTENT_ENC) {
    throw new Error(`This ${what} could not be opened: it is not sealed with a team key (expected ${TEAM_ALG} with ${CONTENT_ENC}).`);
  }
  const match = typeof header.kid === 'string' ? TEAM_KID.exec(header.kid) : null;
  if (!match) throw new Error(`This ${what} could not be opened: it does not say which team key sealed it.`);
  const version = Number(match[1]);
  const key = keys.get(version);
  if (!key) throw new Error(`This ${what} was sealed with team key version ${version}, which this device does not hold.`);
  return unpadPlaintext(await decryptCompact(jwe, key, TEAM_ALG, what));
}
