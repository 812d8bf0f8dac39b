/**
 * The device keyring: what encrypts records at rest on a tablet or phone.
 *
 * One random 256-bit root secret per device. HKDF derives from it an AES-256-GCM key for record
 * content, another for the upload bookkeeping a locked page keeps, and an HMAC key for blind index tags (so "today's visits" can be looked up without
 * storing dates in the clear). The root secret itself is stored only wrapped under a key derived
 * from each staff member's PIN (PBKDF2-SHA256, 600,000 iterations), and lives in memory only while
 * the app is unlocked.
 */
import { randomBytes, toBase64Url, fromBase64Url, utf8 } from './bytes.ts';

export const PIN_KDF_ITERATIONS = 600_000;

export interface Keyring {
  /** Kept only so the keyring can be wrapped for another PIN; never leaves memory unwrapped. */
  readonly root: Uint8Array<ArrayBuffer>;
  readonly content: CryptoKey;
  readonly index: CryptoKey;
  /**
   * AES-256-GCM for what a locked page needs to upload and to say when it last synced (each
   * batch's sequence number, the last-synced time): kept in that page's memory after it locks,
   * beside the signing key, so it opens no record (docs/security.md#device-keys).
   */
  readonly upload: CryptoKey;
}

/** The root secret sealed under one PIN. Stored beside the staff member it belongs to. */
export interface WrappedRoot {
  kdf: 'PBKDF2-SHA256';
  iterations: number;
  salt: string;
  iv: string;
  ciphertext: string;
}

export async function createKeyring(): Promise<Keyring> {
  return keyringFromRoot(randomBytes(32));
}

async function keyringFromRoot(root: Uint8Array<ArrayBuffer>): Promise<Keyring> {
  const base = await crypto.subtle.importKey('raw', root, 'HKDF', false, ['deriveKey']);
  const hkdf = (info: string) => ({ name: 'HKDF', hash: 'SHA-256', salt: new Uint8Array(32), info: utf8.encode(info) });
  const content = await crypto.subtle.deriveKey(hkdf('footfall/at-rest/content/v1'), base, { name: 'AES-GCM', length: 256 }, false, [
    'encrypt',
    'decrypt',
  ]);
  const index = await crypto.subtle.deriveKey(hkdf('footfall/at-rest/index/v1'), base, { name: 'HMAC', hash: 'SHA-256', length: 256 }, false, [
    'sign',
  ]);
  const upload = await crypto.subtle.deriveKey(hkdf('footfall/at-rest/upload/v1'), base, { name: 'AES-GCM', length: 256 }, false, [
    'encrypt',
    'decrypt',
  ]);
  return { root, content, index, upload };
}

async function pinKey(pin: string, salt: Uint8Array<ArrayBuffer>, iterations: number): Promise<CryptoKey> {
  const material = await crypto.subtle.importKey('raw', utf8.encode(pin), 'PBKDF2', false, ['deriveKey']);
  return crypto.subtle.deriveKey(
    { name: 'PBKDF2', hash: 'SHA-256', salt, iterations },
    material,
    { name: 'AES-GCM', length: 256 },
    false,
    ['encrypt', 'decrypt'],
  );
}

// The staff id is bound into the wrap as associated data, so one person's wrapped root cannot be
// moved onto another person's entry.
export async function wrapRoot(keyring: Keyring, pin: string, staffId: string, iterations = PIN_KDF_ITERATIONS): Promise<WrappedRoot> {
  const salt = randomBytes(16);
  const iv = randomBytes(12);
  const key = await pinKey(pin, salt, iterations);
  const ciphertext = await crypto.subtle.encrypt({ name: 'AES-GCM', iv, additionalData: utf8.encode(staffId) }, key, keyring.root);
  return { kdf: 'PBKDF2-SHA256', iterations, salt: toBase64Url(salt), iv: toBase64Url(iv), ciphertext: toBase64Url(new Uint8Array(ciphertext)) };
}

/** The keyring, or null when the PIN is wrong. */
export async function unwrapRoot(wrapped: WrappedRoot, pin: string, staffId: string): Promise<Keyring | null> {
  const key = await pinKey(pin, fromBase64Url(wrapped.salt), wrapped.iterations);
  try {
    const root = await crypto.subtle.decrypt(
      { name: 'AES-GCM', iv: fromBase64Url(wrapped.iv), additionalData: utf8.encode(staffId) },
      key,
      fromBase64Url(wrapped.ciphertext),
    );
    return keyringFromRoot(new Uint8Array(root));
  } catch {
    return null;
  }
}
