/**
 * Device identity and signed requests.
 *
 * Each device holds two P-256 key pairs, made here with WebCrypto:
 * - ECDSA (SHA-256) signs every request the device sends, so the endpoint can tell that an upload
 *   came from an enrolled, unrevoked device and that its body, path and time were not changed.
 * - ECDH receives keys sealed to the device (a new team key after a revocation; see envelope.ts).
 * The private halves are made extractable once, so that they can be sealed under the device keyring
 * at enrolment (docs/security.md#device-keys): a locked device's storage holds them only sealed.
 * Opened at unlock, they are imported again NON-extractable, so the keys in use can never be read
 * back by script.
 *
 * A signature covers a canonical request: fixed lines joined by '\n', ending in the SHA-256 of the
 * body bytes, so a signature for one batch cannot be moved onto another body. A signature alone does
 * not stop a replay; the endpoint makes replays harmless (idempotent batch ids) and checks the
 * timestamp window. ECDSA signatures are malleable ((r, s) and (r, n - s) both verify), so nothing
 * may use a signature as an identifier.
 */
import type { PublicJwk } from '../domain/protocol.ts';
import { fromBase64Url, keptUtf8, toBase64Url, utf8 } from './bytes.ts';

const SIGNING_ALG = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const SIGN_PARAMS = { name: 'ECDSA', hash: 'SHA-256' } as const;
const ENCRYPTION_ALG = { name: 'ECDH', namedCurve: 'P-256' } as const;

/** The first line of every canonical request; a new format gets a new version. */
export const CANONICAL_REQUEST_VERSION = 'footfall-request-v1';

/** A P-256 ECDSA signature in IEEE P1363 form (r || s) is 64 bytes: 86 base64url characters. */
const SIGNATURE_PATTERN = /^[A-Za-z0-9_-]{86}$/;
const COORDINATE_PATTERN = /^[A-Za-z0-9_-]{43}$/;

export interface DeviceKeys {
  /** ECDSA P-256: signs requests. */
  signing: CryptoKeyPair;
  /** ECDH P-256: opens keys sealed to this device. */
  encryption: CryptoKeyPair;
}

/** A fresh identity for this device. Its private keys are exported once, to be sealed at rest. */
export async function generateDeviceKeys(): Promise<DeviceKeys> {
  const signing = await crypto.subtle.generateKey(SIGNING_ALG, true, ['sign', 'verify']);
  // 'deriveBits' is what jose's ECDH-ES uses to open a JWE sealed to this key.
  const encryption = await crypto.subtle.generateKey(ENCRYPTION_ALG, true, ['deriveBits']);
  return { signing, encryption };
}

/** The private halves a device uses, as it holds them while unlocked. */
export interface DevicePrivateKeys {
  signing: CryptoKey;
  encryption: CryptoKey;
}

/** A private P-256 key as JSON, for sealing under the device keyring and nowhere else. */
export interface PrivateJwk {
  kty: 'EC';
  crv: 'P-256';
  x: string;
  y: string;
  d: string;
}

export interface DevicePrivateJwks {
  signing: PrivateJwk;
  encryption: PrivateJwk;
}

/** The private halves of freshly made keys, to be sealed at once. */
export async function exportDevicePrivateKeys(keys: DeviceKeys): Promise<DevicePrivateJwks> {
  const one = async (key: CryptoKey): Promise<PrivateJwk> => {
    const jwk = await crypto.subtle.exportKey('jwk', key);
    if (jwk.kty !== 'EC' || jwk.crv !== 'P-256' || !jwk.x || !jwk.y || !jwk.d) throw new Error('A device key must be a private P-256 key.');
    return { kty: 'EC', crv: 'P-256', x: jwk.x, y: jwk.y, d: jwk.d };
  };
  return { signing: await one(keys.signing.privateKey), encryption: await one(keys.encryption.privateKey) };
}

/** The private keys opened from their sealed row, NON-extractable from here on. */
export async function importDevicePrivateKeys(jwks: DevicePrivateJwks): Promise<DevicePrivateKeys> {
  const [signing, encryption] = await Promise.all([
    crypto.subtle.importKey('jwk', jwks.signing, SIGNING_ALG, false, ['sign']),
    crypto.subtle.importKey('jwk', jwks.encryption, ENCRYPTION_ALG, false, ['deriveBits']),
  ]);
  return { signing, encryption };
}

/** The public JWK of a P-256 key (ECDSA or ECDH), with only kty, crv, x and y. */
export async function publicJwk(key: CryptoKey): Promise<PublicJwk> {
  if (key.type !== 'public') throw new Error('publicJwk needs a public key; it was given a ' + key.type + ' key.');
  const jwk = await crypto.subtle.exportKey('jwk', key);
  if (jwk.kty !== 'EC' || jwk.crv !== 'P-256' || typeof jwk.x !== 'string' || typeof jwk.y !== 'string') {
    throw new Error('publicJwk needs a P-256 elliptic-curve key.');
  }
  return { kty: 'EC', crv: 'P-256', x: jwk.x, y: jwk.y };
}

/** What a signature covers. */
export interface SignedParts {
  method: string;
  /** The path and query string, exactly as sent. */
  path: string;
  orgId: string;
  deviceId: string;
  /** ISO 8601, from the device clock. */
  timestamp: string;
  /** The body bytes; a string is taken as its UTF-8 bytes. */
  body: Uint8Array | string;
}

function toBytes(data: Uint8Array | string): Uint8Array<ArrayBuffer> {
  // A string is encoded into the kept buffer (bytes.ts): digest copies it when called, below.
  // Copy a Uint8Array so WebCrypto gets a view on a plain ArrayBuffer (never a SharedArrayBuffer).
  return typeof data === 'string' ? keptUtf8(data) : new Uint8Array(data);
}

/** Base64url (no padding) of the SHA-256 of the bytes; a string is hashed as UTF-8. */
export async function sha256B64u(data: Uint8Array | string): Promise<string> {
  // Nothing may come between toBytes and digest: the kept buffer is valid only until the next encoding.
  return toBase64Url(new Uint8Array(await crypto.subtle.digest('SHA-256', toBytes(data))));
}

/**
 * The text that is signed:
 *   footfall-request-v1 \n METHOD \n path \n orgId \n deviceId \n timestamp \n base64url(SHA-256(body))
 * Throws when a field contains a line break, because the lines would then be ambiguous.
 */
export async function canonicalRequest(parts: SignedParts): Promise<string> {
  return canonicalRequestText(parts, await sha256B64u(parts.body));
}

/**
 * The canonical request for a body whose SHA-256 (base64url) is already known: what
 * canonicalRequest returns, for a verifier that hashes the body its own way (the endpoint).
 * Throws when a field contains a line break.
 */
export function canonicalRequestText(parts: Omit<SignedParts, 'body'>, bodySha256B64u: string): string {
  const fields = [parts.method.toUpperCase(), parts.path, parts.orgId, parts.deviceId, parts.timestamp];
  for (const field of fields) {
    if (typeof field !== 'string' || /[\r\n]/.test(field)) {
      throw new Error('A signed request field may not contain a line break.');
    }
  }
  return [CANONICAL_REQUEST_VERSION, ...fields, bodySha256B64u].join('\n');
}

/** Whether a signature has the one form a verifier accepts: 64 bytes (r || s) in base64url. */
export function isWellFormedSignature(signature: unknown): signature is string {
  return typeof signature === 'string' && SIGNATURE_PATTERN.test(signature);
}

/** Whether a signing key is a P-256 public JWK with well-formed coordinates (not yet whether the point is on the curve). */
export function isWellFormedSigningKey(signingKey: unknown): signingKey is PublicJwk {
  if (signingKey === null || typeof signingKey !== 'object') return false;
  const k = signingKey as Record<string, unknown>;
  return (
    k.kty === 'EC' &&
    k.crv === 'P-256' &&
    typeof k.x === 'string' &&
    typeof k.y === 'string' &&
    COORDINATE_PATTERN.test(k.x) &&
    COORDINATE_PATTERN.test(k.y)
  );
}

/** A base64url ECDSA P-256/SHA-256 signature (64 bytes, r || s) over the canonical request. */
export async function signRequest(privateKey: CryptoKey, { body, ...parts }: SignedParts): Promise<string> {
  return signHashedRequest(privateKey, parts, await sha256B64u(body));
}

/** signRequest for a body whose SHA-256 (base64url, sha256B64u) is already known. */
export async function signHashedRequest(privateKey: CryptoKey, parts: Omit<SignedParts, 'body'>, bodySha256B64u: string): Promise<string> {
  const canonical = utf8.encode(canonicalRequestText(parts, bodySha256B64u));
  return toBase64Url(new Uint8Array(await crypto.subtle.sign(SIGN_PARAMS, privateKey, canonical)));
}

/** How many imported verification keys are kept: more devices than one endpoint serves. */
export const VERIFICATION_KEY_CACHE_SIZE = 1000;

/** Imported verification keys by their coordinates, least recently used first. */
const verificationKeys = new Map<string, CryptoKey>();

/**
 * The ECDSA verification key with these coordinates. Importing a JWK costs more than verifying a
 * signature with it, and the endpoint checks the same few devices' keys on every request, so
 * imported keys are kept (at most VERIFICATION_KEY_CACHE_SIZE, least recently used dropped first).
 * The key is made from x and y alone, so the two coordinates identify it exactly. A point that is
 * not on the curve fails to import (WebCrypto checks it) and is never kept.
 */
async function verificationKey(x: string, y: string): Promise<CryptoKey> {
  const id = `${x}.${y}`;
  const cached = verificationKeys.get(id);
  if (cached) {
    verificationKeys.delete(id);
    verificationKeys.set(id, cached);
    return cached;
  }
  // Only the four public members are imported, so a stray "d" or "key_ops" cannot change anything.
  const key = await crypto.subtle.importKey('jwk', { kty: 'EC', crv: 'P-256', x, y }, SIGNING_ALG, false, ['verify']);
  verificationKeys.set(id, key);
  if (verificationKeys.size > VERIFICATION_KEY_CACHE_SIZE) verificationKeys.delete(verificationKeys.keys().next().value!);
  return key;
}

/**
 * True only when the signature is a valid ECDSA P-256/SHA-256 signature by this key over these
 * parts. Never throws: a malformed signature, key or field gives false.
 */
export async function verifyRequest(signingKey: PublicJwk, parts: SignedParts, signature: string): Promise<boolean> {
  try {
    if (!isWellFormedSignature(signature) || !isWellFormedSigningKey(signingKey)) return false;
    const [key, canonical] = await Promise.all([verificationKey(signingKey.x, signingKey.y), canonicalRequest(parts)]);
    return await crypto.subtle.verify(SIGN_PARAMS, key, fromBase64Url(signature), utf8.encode(canonical));
  } catch {
    return false;
  }
}
