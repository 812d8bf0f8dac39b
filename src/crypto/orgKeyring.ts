/**
 * The organisation's keys after a rotation (docs/security.md#rotating-the-organisation-key).
 *
 * Rotating the organisation key makes a new ECDH key pair; records are sealed to the newest one,
 * and the old private keys are kept (wrapped) so an admin still opens what was sealed to them. Each
 * key is named by its id: the RFC 7638 JWK thumbprint (SHA-256) of its public half, written in
 * the sealed text's authenticated header. A sealed text that names no key was sealed before key
 * ids existed, to the organisation's first key (the one every device was enrolled with).
 */
import { calculateJwkThumbprint } from 'jose';
import type { PublicJwk } from '../domain/protocol.ts';
import { openWith, sealedKeyId } from './envelope.ts';
import { unwrapOrgKey } from './orgKey.ts';

/** The organisation's private keys an admin has unlocked, by key id, and which of them is the first. */
export interface OrgKeyring {
  /** The id of the organisation's first key: it opens what names no key. */
  firstKid: string;
  keys: ReadonlyMap<string, CryptoKey>;
}

/** A public key's id: its RFC 7638 thumbprint, base64url. */
export function keyId(publicKey: PublicJwk): Promise<string> {
  return calculateJwkThumbprint({ kty: 'EC', crv: 'P-256', x: publicKey.x, y: publicKey.y }, 'sha256');
}

/** Opens what was sealed to any of the organisation's keys, with the one its header names. */
export async function openWithOrgKeys(ring: OrgKeyring, jwe: string): Promise<Uint8Array<ArrayBuffer>> {
  const kid = sealedKeyId(jwe) ?? ring.firstKid;
  const key = ring.keys.get(kid);
  if (!key) throw new Error('This sealed data was sealed to an organisation key this device has not unlocked. Open the reports again with the passphrase.');
  return openWith(key, jwe);
}

/**
 * Every key among wrapped copies that `secret` opens, by key id: extractable, as unwrapOrgKey
 * gives them (so the first can sign and a new one be wrapped). A copy it does not open (another
 * admin's passphrase) or cannot read is passed over.
 */
export async function unwrapEach(wrapped: readonly string[], secret: string): Promise<Map<string, CryptoKey>> {
  const keys = new Map<string, CryptoKey>();
  for (const copy of wrapped) {
    const key = await unwrapOrgKey(copy, secret).catch(() => null);
    if (key) keys.set(await keyId(await publicHalf(key)), key);
  }
  return keys;
}

/**
 * The keyring to hold in memory: each key imported again as non-extractable, so no code on the
 * page can read its bytes from then on. Null when the first key is not among them (copies of
 * another organisation's key).
 */
export async function openOnly(keys: ReadonlyMap<string, CryptoKey>, firstKid: string): Promise<OrgKeyring | null> {
  if (!keys.has(firstKid)) return null;
  const held = new Map<string, CryptoKey>();
  for (const [kid, key] of keys) {
    const { x, y, d } = await crypto.subtle.exportKey('jwk', key);
    held.set(kid, await crypto.subtle.importKey('jwk', { kty: 'EC', crv: 'P-256', x, y, d }, ECDH_P256, false, ['deriveBits']));
  }
  return { firstKid, keys: held };
}

async function publicHalf(key: CryptoKey): Promise<PublicJwk> {
  const { x, y } = await crypto.subtle.exportKey('jwk', key);
  if (!x || !y) throw new Error('An organisation key could not be read.');
  return { kty: 'EC', crv: 'P-256', x, y };
}

const ECDH_P256 = { name: 'ECDH', namedCurve: 'P-256' } as const;
