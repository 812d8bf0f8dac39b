/**
 * The endpoint's signature check: the same check as crypto/signing.ts's verifyRequest (the same
 * canonical request, ECDSA P-256 with SHA-256, a 64-byte r || s signature, the same refusals),
 * done with node:crypto instead of WebCrypto because it runs on every request. In Node, WebCrypto's
 * verify spends well over 100 µs of the event loop's time per call before it even reaches the
 * thread pool; node:crypto's verify with a callback hands the whole ECDSA computation to the
 * thread pool and keeps the event loop free for other requests. Both are OpenSSL underneath.
 *
 * Verification keys are kept once made (at most VERIFICATION_KEY_CACHE_SIZE, least recently used
 * dropped first): the same few devices sign every request. A key is made from its x and y alone,
 * so the coordinates identify it exactly; a point that is not on the curve is refused by
 * createPublicKey and never kept.
 */
import { createHash, createPublicKey, verify, type KeyObject } from 'node:crypto';
import {
  canonicalRequestText,
  isWellFormedSignature,
  isWellFormedSigningKey,
  VERIFICATION_KEY_CACHE_SIZE,
  type SignedParts,
} from '../../crypto/signing.ts';
import type { PublicJwk } from '../../domain/protocol.ts';

const keys = new Map<string, KeyObject>();

function verificationKey(x: string, y: string): KeyObject {
  const id = `${x}.${y}`;
  const cached = keys.get(id);
  if (cached) {
    keys.delete(id);
    keys.set(id, cached);
    return cached;
  }
  // Only the four public members are used, so a stray "d" or "key_ops" cannot change anything.
  const key = createPublicKey({ key: { kty: 'EC', crv: 'P-256', x, y }, format: 'jwk' });
  keys.set(id, key);
  if (keys.size > VERIFICATION_KEY_CACHE_SIZE) keys.delete(keys.keys().next().value!);
  return key;
}

/** SHA-256 (base64url, no padding) of a request body, as the canonical request names it. */
export function bodySha256(body: SignedParts['body']): string {
  return createHash('sha256').update(body).digest('base64url');
}

/**
 * True only when the signature is a valid ECDSA P-256/SHA-256 signature by this key over these
 * parts. Never throws: a malformed signature, key or field gives false. `bodyHash`, when the
 * caller has already hashed the body (bodySha256), saves hashing it again.
 */
export async function verifySignedRequest(signingKey: PublicJwk, parts: SignedParts, signature: string, bodyHash?: string): Promise<boolean> {
  try {
    if (!isWellFormedSignature(signature) || !isWellFormedSigningKey(signingKey)) return false;
    const key = verificationKey(signingKey.x, signingKey.y);
    const canonical = Buffer.from(canonicalRequestText(parts, bodyHash ?? bodySha256(parts.body)), 'utf8');
    const bytes = Buffer.from(signature, 'base64url');
    return await new Promise<boolean>((resolve) => {
      verify('sha256', canonical, { key, dsaEncoding: 'ieee-p1363' }, bytes, (error, valid) => resolve(!error && valid === true));
    });
  } catch {
    return false;
  }
}
