/**
 * The organisation's private key, wrapped for an admin.
 *
 * The organisation's ECDH private key (envelope.ts) opens every activity batch. It exists only on
 * admin devices and only wrapped: AES-256-GCM under a key derived from a secret with PBKDF2-SHA256
 * (600,000 iterations by default, OWASP's current figure for PBKDF2-SHA256). Each admin has a
 * passphrase copy, and a printed recovery code makes another copy, because a lost key means lost
 * records. Several wrapped copies of the same key can exist side by side.
 *
 * The secret is a passphrase or a recovery code. Whatever reads as a recovery code (24 Crockford
 * base32 characters, however grouped or cased) is normalised to its canonical form first, so a code
 * re-typed in lower case with spaces still opens the key. Any other secret is a passphrase and is
 * only NFC-normalised (so "é" typed two ways is the same passphrase); its case and spacing count.
 * The same rule applies when wrapping and unwrapping, so a passphrase that happens to look like a
 * recovery code still works, just case-insensitively.
 */
import { fromBase64Url, randomBytes, toBase64Url, utf8 } from './bytes.ts';
import { CROCKFORD_ALPHABET, groupChars, isSeparator, readCrockfordChar, toCrockford } from './enrolmentCode.ts';

export const ORG_KEY_KDF_ITERATIONS = 600_000;
/** Refuse absurd iteration counts in a stored blob, which would hang the device. */
const MAX_ITERATIONS = 20_000_000;
const AAD = utf8.encode('footfall/org-key/v1');
const ECDH_P256 = { name: 'ECDH', namedCurve: 'P-256' } as const;

export const MIN_PASSPHRASE_LENGTH = 12;
const RECOVERY_CODE_CHARS = 24;

interface WrappedOrgKeyV1 {
  v: 1;
  kdf: 'PBKDF2-SHA256';
  iterations: number;
  salt: string;
  iv: string;
  ciphertext: string;
}

const DAMAGED = 'This wrapped organisation key is damaged or is not a Footfall key';

// ---------------------------------------------------------------------------------------------
// Recovery codes

/** 120 random bits as 24 Crockford base32 characters: XXXX-XXXX-XXXX-XXXX-XXXX-XXXX. */
export function generateRecoveryCode(): string {
  return groupChars(toCrockford(randomBytes(15)), 4);
}

/**
 * The canonical form of a typed recovery code (as generateRecoveryCode shows it), or null when it
 * is not 24 characters of the alphabet. Case, spaces and dashes are ignored; O reads as 0, I and L as 1.
 */
export function normaliseRecoveryCode(input: string): string | null {
  if (typeof input !== 'string') return null;
  let out = '';
  for (const raw of input) {
    if (isSeparator(raw)) continue;
    const ch = readCrockfordChar(raw);
    if (!CROCKFORD_ALPHABET.includes(ch)) return null;
    out += ch;
    if (out.length > RECOVERY_CODE_CHARS) return null;
  }
  return out.length === RECOVERY_CODE_CHARS ? groupChars(out, 4) : null;
}

// ---------------------------------------------------------------------------------------------
// Passphrases

/** Why a passphrase is not good enough, as a sentence for the admin; null when it is acceptable. */
export function passphraseProblem(passphrase: string): string | null {
  const chars = [...passphrase.normalize('NFC')];
  if (chars.length < MIN_PASSPHRASE_LENGTH) {
    return `A passphrase needs at least ${MIN_PASSPHRASE_LENGTH} characters; this one has ${chars.length}. A few unrelated words work well.`;
  }
  if (chars.every((c) => c === chars[0])) {
    return 'A passphrase cannot be one character repeated. A few unrelated words work well.';
  }
  return null;
}

function normaliseSecret(secret: string): string {
  return normaliseRecoveryCode(secret) ?? secret.normalize('NFC');
}

// ---------------------------------------------------------------------------------------------
// Wrapping

async function secretKey(secret: string, salt: Uint8Array<ArrayBuffer>, iterations: number): Promise<CryptoKey> {
  const material = await crypto.subtle.importKey('raw', utf8.encode(normaliseSecret(secret)), 'PBKDF2', false, ['deriveKey']);
  return crypto.subtle.deriveKey({ name: 'PBKDF2', hash: 'SHA-256', salt, iterations }, material, { name: 'AES-GCM', length: 256 }, false, [
    'encrypt',
    'decrypt',
  ]);
}

/**
 * Wrap the organisation's private key under a passphrase or recovery code. Returns a JSON string
 * {v, kdf, iterations, salt, iv, ciphertext} (binary fields base64url). Lower iteration counts are
 * for tests only.
 */
export async function wrapOrgKey(privateKey: CryptoKey, secret: string, iterations = ORG_KEY_KDF_ITERATIONS): Promise<string> {
  if (typeof secret !== 'string' || secret.length === 0) throw new Error('Cannot wrap the organisation key without a passphrase or recovery code.');
  if (!Number.isSafeInteger(iterations) || iterations < 1 || iterations > MAX_ITERATIONS) {
    throw new RangeError(`The iteration count must be a whole number from 1 to ${MAX_ITERATIONS}.`);
  }
  if (privateKey.type !== 'private' || privateKey.algorithm.name !== 'ECDH') {
    throw new Error('Only the organisation private key (ECDH P-256) can be wrapped here.');
  }
  if (!privateKey.extractable) throw new Error('The organisation key cannot be wrapped: it is not extractable.');
  const jwk = await crypto.subtle.exportKey('jwk', privateKey);
  if (jwk.kty !== 'EC' || jwk.crv !== 'P-256' || !jwk.d || !jwk.x || !jwk.y) {
    throw new Error('Only the organisation private key (ECDH P-256) can be wrapped here.');
  }
  // Only the key material: usages and extractability are set again on unwrap.
  const plain = utf8.encode(JSON.stringify({ kty: 'EC', crv: 'P-256', x: jwk.x, y: jwk.y, d: jwk.d }));
  const salt = randomBytes(16);
  const iv = randomBytes(12);
  const key = await secretKey(secret, salt, iterations);
  const ciphertext = await crypto.subtle.encrypt({ name: 'AES-GCM', iv, additionalData: AAD }, key, plain);
  const wrapped: WrappedOrgKeyV1 = {
    v: 1,
    kdf: 'PBKDF2-SHA256',
    iterations,
    salt: toBase64Url(salt),
    iv: toBase64Url(iv),
    ciphertext: toBase64Url(new Uint8Array(ciphertext)),
  };
  return JSON.stringify(wrapped);
}

function b64uField(value: unknown, name: string, check: (length: number) => boolean): Uint8Array<ArrayBuffer> {
  if (typeof value !== 'string' || !/^[A-Za-z0-9_-]+$/.test(value)) throw new Error(`${DAMAGED} (its ${name} is missing or not base64url).`);
  const bytes = fromBase64Url(value);
  if (!check(bytes.length)) throw new Error(`${DAMAGED} (its ${name} has the wrong length).`);
  return bytes;
}

function parseWrapped(wrapped: string): { iterations: number; salt: Uint8Array<ArrayBuffer>; iv: Uint8Array<ArrayBuffer>; ciphertext: Uint8Array<ArrayBuffer> } {
  let blob: unknown;
  try {
    blob = JSON.parse(wrapped);
  } catch {
    throw new Error(`${DAMAGED} (it is not valid JSON).`);
  }
  if (blob === null || typeof blob !== 'object' || Array.isArray(blob)) throw new Error(`${DAMAGED} (it is not a key object).`);
  const b = blob as Record<string, unknown>;
  if (b.v !== 1) throw new Error(`${DAMAGED} (unknown version ${JSON.stringify(b.v)}).`);
  if (b.kdf !== 'PBKDF2-SHA256') throw new Error(`${DAMAGED} (unknown key derivation ${JSON.stringify(b.kdf)}).`);
  const iterations = b.iterations;
  if (typeof iterations !== 'number' || !Number.isSafeInteger(iterations) || iterations < 1 || iterations > MAX_ITERATIONS) {
    throw new Error(`${DAMAGED} (its iteration count is not valid).`);
  }
  return {
    iterations,
    salt: b64uField(b.salt, 'salt', (n) => n >= 16 && n <= 64),
    iv: b64uField(b.iv, 'iv', (n) => n === 12),
    ciphertext: b64uField(b.ciphertext, 'ciphertext', (n) => n > 16 && n <= 4096),
  };
}

/**
 * The organisation's private key (ECDH P-256, extractable so it can be wrapped again, usable with
 * openWith), or null when the secret is wrong. Throws a clear Error when the blob is malformed.
 * A blob whose ciphertext was altered also gives null: AES-GCM cannot tell that from a wrong secret.
 */
export async function unwrapOrgKey(wrapped: string, secret: string): Promise<CryptoKey | null> {
  if (typeof wrapped !== 'string') throw new Error(`${DAMAGED} (it is not text).`);
  const { iterations, salt, iv, ciphertext } = parseWrapped(wrapped);
  if (typeof secret !== 'string' || secret.length === 0) return null;
  const key = await secretKey(secret, salt, iterations);
  let plain: ArrayBuffer;
  try {
    plain = await crypto.subtle.decrypt({ name: 'AES-GCM', iv, additionalData: AAD }, key, ciphertext);
  } catch {
    return null;
  }
  let jwk: JsonWebKey;
  try {
    jwk = JSON.parse(utf8.decode(plain)) as JsonWebKey;
  } catch {
    throw new Error(`${DAMAGED} (it opened, but does not hold a key).`);
  }
  try {
    return await crypto.subtle.importKey('jwk', { kty: 'EC', crv: 'P-256', x: jwk.x, y: jwk.y, d: jwk.d }, ECDH_P256, true, ['deriveBits']);
  } catch {
    throw new Error(`${DAMAGED} (it opened, but the key inside is not a P-256 private key).`);
  }
}
