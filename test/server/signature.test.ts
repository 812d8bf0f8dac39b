/**
 * The endpoint's own signature check (node:crypto) must give exactly the answer of
 * crypto/signing.ts's verifyRequest (WebCrypto) for every input: same canonical request, same
 * algorithm, same refusals. Each case is checked against both.
 */
import { describe, expect, it } from 'vitest';
import { fromBase64Url, toBase64Url, utf8 } from '../../src/crypto/bytes.ts';
import { generateDeviceKeys, publicJwk, signRequest, verifyRequest, VERIFICATION_KEY_CACHE_SIZE, type SignedParts } from '../../src/crypto/signing.ts';
import type { PublicJwk } from '../../src/domain/protocol.ts';
import { verifySignedRequest } from '../../src/server/api/signature.ts';

const parts: SignedParts = {
  method: 'put',
  path: '/api/orgs/0190f5d2-7c2a-7b4e-8f00-1a2b3c4d5e6f/batches/6f1c1f0e-8d4b-4a55-9a5e-1f2b3c4d5e6f',
  orgId: '0190f5d2-7c2a-7b4e-8f00-1a2b3c4d5e6f',
  deviceId: '0190f5d2-7c2a-7b4e-8f00-aaaaaaaaaaaa',
  timestamp: '2025-03-04T10:32:00.000Z',
  body: '{"seq":0,"activity":"a.b.c.d.e","directory":"a.b.c.d.e","note":"é"}',
};

/** P-256's group order: (r, n - s) is the other valid form of a signature (r, s). */
const N = BigInt('0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551');

async function both(key: PublicJwk, p: SignedParts, signature: string): Promise<boolean> {
  const server = await verifySignedRequest(key, p, signature);
  const reference = await verifyRequest(key, p, signature);
  expect(server, `server ${server}, verifyRequest ${reference}`).toBe(reference);
  return server;
}

describe('verifySignedRequest', () => {
  it('accepts what signRequest signed, with a string or a Buffer body, as verifyRequest does', async () => {
    const { signing } = await generateDeviceKeys();
    const jwk = await publicJwk(signing.publicKey);
    const signature = await signRequest(signing.privateKey, parts);
    expect(await both(jwk, parts, signature)).toBe(true);
    expect(await both(jwk, { ...parts, method: 'PUT', body: Buffer.from(parts.body as string, 'utf8') }, signature)).toBe(true);
    expect(await both(jwk, { ...parts, body: utf8.encode(parts.body as string) }, signature)).toBe(true);
    // Again, now with the key kept from the first time.
    expect(await both(jwk, parts, signature)).toBe(true);
  });

  it('accepts the other form (r, n - s) of a signature, as verifyRequest does', async () => {
    const { signing } = await generateDeviceKeys();
    const jwk = await publicJwk(signing.publicKey);
    const bytes = fromBase64Url(await signRequest(signing.privateKey, parts));
    const s = BigInt(`0x${Buffer.from(bytes.slice(32)).toString('hex')}`);
    const flipped = new Uint8Array(64);
    flipped.set(bytes.slice(0, 32));
    flipped.set(Buffer.from((N - s).toString(16).padStart(64, '0'), 'hex'), 32);
    expect(await both(jwk, parts, toBase64Url(flipped))).toBe(true);
  });

  it('refuses any change to what was signed, another device, a flipped byte', async () => {
    const a = await generateDeviceKeys();
    const b = await generateDeviceKeys();
    const jwk = await publicJwk(a.signing.publicKey);
    const signature = await signRequest(a.signing.privateKey, parts);
    const changes: Partial<SignedParts>[] = [
      { body: parts.body + ' ' },
      { body: '' },
      { path: parts.path + '?x=1' },
      { timestamp: '2025-03-04T10:32:01.000Z' },
      { deviceId: '0190f5d2-7c2a-7b4e-8f00-aaaaaaaaaaab' },
      { orgId: '0190f5d2-7c2a-7b4e-8f00-1a2b3c4d5e70' },
      { method: 'POST' },
      { path: parts.path + '\n' },
    ];
    for (const change of changes) expect(await both(jwk, { ...parts, ...change }, signature), JSON.stringify(change)).toBe(false);
    expect(await both(await publicJwk(b.signing.publicKey), parts, signature)).toBe(false);
    expect(await both(await publicJwk(a.encryption.publicKey), parts, signature)).toBe(false);
    const bytes = fromBase64Url(signature);
    for (const i of [0, 31, 32, 63]) {
      const bad = bytes.slice();
      bad[i] = bad[i]! ^ 0x01;
      expect(await both(jwk, parts, toBase64Url(bad))).toBe(false);
    }
  });

  it('returns false, never throws, for a malformed signature or key', async () => {
    const { signing } = await generateDeviceKeys();
    const jwk = await publicJwk(signing.publicKey);
    const good = await signRequest(signing.privateKey, parts);
    const zero = toBase64Url(new Uint8Array(32));
    const signatures: unknown[] = ['', 'abc', good + 'AA', good.slice(0, -1), good + '=', null, 42, toBase64Url(new Uint8Array(64)), toBase64Url(new Uint8Array(70))];
    for (const signature of signatures) expect(await both(jwk, parts, signature as string)).toBe(false);
    const keys: unknown[] = [null, {}, 'not a key', { ...jwk, crv: 'P-384' }, { ...jwk, kty: 'RSA' }, { ...jwk, x: 'short' }, { ...jwk, y: jwk.x }, { ...jwk, x: zero, y: zero }];
    for (const key of keys) expect(await both(key as PublicJwk, parts, good)).toBe(false);
    // A bad key is not kept: the good one still verifies.
    expect(await both(jwk, parts, good)).toBe(true);
  });

  it('keeps verifying correctly past the number of keys it keeps', async () => {
    const devices = await Promise.all(Array.from({ length: 3 }, () => generateDeviceKeys()));
    const signed = await Promise.all(devices.map(async (d) => ({ jwk: await publicJwk(d.signing.publicKey), signature: await signRequest(d.signing.privateKey, parts) })));
    // Push the first keys out with many others (well-formed points on the curve).
    const others = await Promise.all(Array.from({ length: VERIFICATION_KEY_CACHE_SIZE + 5 }, async () => publicJwk((await generateDeviceKeys()).signing.publicKey)));
    for (const key of others) expect(await verifySignedRequest(key, parts, signed[0]!.signature)).toBe(false);
    for (const { jwk, signature } of signed) expect(await both(jwk, parts, signature)).toBe(true);
  }, 60_000);
});
