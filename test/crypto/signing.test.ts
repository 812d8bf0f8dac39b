import { describe, expect, it } from 'vitest';
import { PublicJwk } from '../../src/domain/protocol.ts';
import { fromBase64Url, toBase64Url, utf8 } from '../../src/crypto/bytes.ts';
import {
  canonicalRequest,
  exportDevicePrivateKeys,
  generateDeviceKeys,
  importDevicePrivateKeys,
  publicJwk,
  sha256B64u,
  signRequest,
  verifyRequest,
  type SignedParts,
} from '../../src/crypto/signing.ts';

const parts: SignedParts = {
  method: 'post',
  path: '/api/v1/batches/6f1c1f0e-8d4b-4a55-9a5e-1f2b3c4d5e6f?x=1',
  orgId: '0190f5d2-7c2a-7b4e-8f00-1a2b3c4d5e6f',
  deviceId: '0190f5d2-7c2a-7b4e-8f00-aaaaaaaaaaaa',
  timestamp: '2025-03-04T10:32:00.000Z',
  body: '{"sealed":"abc.def.ghi.jkl.mno"}',
};

describe('generateDeviceKeys', () => {
  it('makes ECDSA and ECDH P-256 pairs whose private halves are exported once, then used non-extractable', async () => {
    const keys = await generateDeviceKeys();
    const { signing, encryption } = keys;
    expect(signing.privateKey.algorithm).toMatchObject({ name: 'ECDSA', namedCurve: 'P-256' });
    expect(encryption.privateKey.algorithm).toMatchObject({ name: 'ECDH', namedCurve: 'P-256' });
    expect(signing.privateKey.usages).toEqual(['sign']);
    expect(encryption.privateKey.usages).toEqual(['deriveBits']);
    const jwks = await exportDevicePrivateKeys(keys);
    expect(Object.keys(jwks.signing).sort()).toEqual(['crv', 'd', 'kty', 'x', 'y']);
    const opened = await importDevicePrivateKeys(jwks);
    expect(opened.signing.extractable).toBe(false);
    expect(opened.encryption.extractable).toBe(false);
    await expect(crypto.subtle.exportKey('jwk', opened.signing)).rejects.toThrow();
    await expect(crypto.subtle.exportKey('pkcs8', opened.encryption)).rejects.toThrow();
    // The opened key signs for the same public key.
    const signature = await signRequest(opened.signing, parts);
    expect(await verifyRequest(await publicJwk(signing.publicKey), parts, signature)).toBe(true);
  });

  it('makes a different identity each time', async () => {
    const a = await generateDeviceKeys();
    const b = await generateDeviceKeys();
    expect((await publicJwk(a.signing.publicKey)).x).not.toBe((await publicJwk(b.signing.publicKey)).x);
  });
});

describe('publicJwk', () => {
  it('gives only kty, crv, x and y, and matches the protocol schema', async () => {
    const { signing, encryption } = await generateDeviceKeys();
    for (const key of [signing.publicKey, encryption.publicKey]) {
      const jwk = await publicJwk(key);
      expect(Object.keys(jwk).sort()).toEqual(['crv', 'kty', 'x', 'y']);
      expect(jwk.kty).toBe('EC');
      expect(jwk.crv).toBe('P-256');
      expect(PublicJwk.safeParse(jwk).success).toBe(true);
    }
  });

  it('refuses a private key', async () => {
    const { signing } = await generateDeviceKeys();
    await expect(publicJwk(signing.privateKey)).rejects.toThrow(/public key/);
  });
});

describe('sha256B64u', () => {
  it('hashes strings as UTF-8 and bytes as they are', async () => {
    expect(await sha256B64u('')).toBe('47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU');
    expect(await sha256B64u('abc')).toBe('ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0');
    expect(await sha256B64u(utf8.encode('abc'))).toBe(await sha256B64u('abc'));
    expect(await sha256B64u('é')).toBe(await sha256B64u(new Uint8Array([0xc3, 0xa9])));
  });

  it('hashes exactly the viewed bytes of a subarray', async () => {
    const big = utf8.encode('xxabcxx');
    expect(await sha256B64u(big.subarray(2, 5))).toBe(await sha256B64u('abc'));
  });
});

describe('canonicalRequest', () => {
  it('joins the fixed lines with the body hash', async () => {
    const text = await canonicalRequest({ ...parts, body: '' });
    expect(text).toBe(
      [
        'footfall-request-v1',
        'POST',
        parts.path,
        parts.orgId,
        parts.deviceId,
        parts.timestamp,
        '47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU',
      ].join('\n'),
    );
  });

  it('treats a string body and its UTF-8 bytes the same', async () => {
    expect(await canonicalRequest(parts)).toBe(await canonicalRequest({ ...parts, body: utf8.encode(parts.body as string) }));
  });

  it('hashes each of several string bodies as its own, started together, long and short, ASCII or not', async () => {
    const bodies = ['x'.repeat(300_000), 'é€😀 '.repeat(1000), '', 'short', 'ü'.repeat(200_000)];
    const together = await Promise.all(bodies.map((body) => canonicalRequest({ ...parts, body })));
    const alone: string[] = [];
    for (const body of bodies) alone.push(await canonicalRequest({ ...parts, body: utf8.encode(body) }));
    expect(together).toEqual(alone);
  });

  it('refuses a field with a line break', async () => {
    await expect(canonicalRequest({ ...parts, path: '/a\nb' })).rejects.toThrow(/line break/);
    await expect(canonicalRequest({ ...parts, deviceId: 'x\r' })).rejects.toThrow(/line break/);
  });
});

describe('signRequest / verifyRequest', () => {
  it('round-trips: a 64-byte signature that verifies with the public JWK', async () => {
    const { signing } = await generateDeviceKeys();
    const jwk = await publicJwk(signing.publicKey);
    const signature = await signRequest(signing.privateKey, parts);
    expect(signature).toMatch(/^[A-Za-z0-9_-]{86}$/);
    expect(fromBase64Url(signature).length).toBe(64);
    expect(await verifyRequest(jwk, parts, signature)).toBe(true);
    // Same bytes given as a Uint8Array body; method case does not matter.
    expect(await verifyRequest(jwk, { ...parts, method: 'POST', body: utf8.encode(parts.body as string) }, signature)).toBe(true);
  });

  it('refuses any change to what was signed', async () => {
    const { signing } = await generateDeviceKeys();
    const jwk = await publicJwk(signing.publicKey);
    const signature = await signRequest(signing.privateKey, parts);
    const changes: Partial<SignedParts>[] = [
      { body: '{"sealed":"abc.def.ghi.jkl.mnO"}' },
      { body: parts.body + ' ' },
      { body: '' },
      { path: '/api/v1/batches/6f1c1f0e-8d4b-4a55-9a5e-1f2b3c4d5e6f?x=2' },
      { path: '/api/v1/batches/6f1c1f0e-8d4b-4a55-9a5e-1f2b3c4d5e6f' },
      { timestamp: '2025-03-04T10:32:01.000Z' },
      { deviceId: '0190f5d2-7c2a-7b4e-8f00-aaaaaaaaaaab' },
      { orgId: '0190f5d2-7c2a-7b4e-8f00-1a2b3c4d5e70' },
      { method: 'PUT' },
    ];
    for (const change of changes) {
      expect(await verifyRequest(jwk, { ...parts, ...change }, signature), JSON.stringify(change)).toBe(false);
    }
  });

  it('refuses a signature from another device', async () => {
    const a = await generateDeviceKeys();
    const b = await generateDeviceKeys();
    const signature = await signRequest(a.signing.privateKey, parts);
    expect(await verifyRequest(await publicJwk(b.signing.publicKey), parts, signature)).toBe(false);
    // Nor does a device's ECDH key stand in for its signing key.
    expect(await verifyRequest(await publicJwk(a.encryption.publicKey), parts, signature)).toBe(false);
  });

  it('refuses a signature with one byte flipped', async () => {
    const { signing } = await generateDeviceKeys();
    const jwk = await publicJwk(signing.publicKey);
    const bytes = fromBase64Url(await signRequest(signing.privateKey, parts));
    for (const i of [0, 31, 32, 63]) {
      const bad = bytes.slice();
      bad[i] = bad[i]! ^ 0x01;
      expect(await verifyRequest(jwk, parts, toBase64Url(bad))).toBe(false);
    }
  });

  it('returns false, never throws, for a malformed signature', async () => {
    const { signing } = await generateDeviceKeys();
    const jwk = await publicJwk(signing.publicKey);
    const good = await signRequest(signing.privateKey, parts);
    const malformed: unknown[] = ['', 'abc', '!!!!', good + 'AA', good.slice(0, -1), good + '=', `${good.slice(0, 40)} ${good.slice(41)}`, null, 42];
    for (const signature of malformed) {
      expect(await verifyRequest(jwk, parts, signature as string)).toBe(false);
    }
    // A DER-encoded signature is not the P1363 form we use.
    expect(await verifyRequest(jwk, parts, toBase64Url(new Uint8Array(70)))).toBe(false);
  });

  it('returns false, never throws, for a malformed key', async () => {
    const { signing } = await generateDeviceKeys();
    const jwk = await publicJwk(signing.publicKey);
    const signature = await signRequest(signing.privateKey, parts);
    const badKeys: unknown[] = [
      null,
      {},
      { ...jwk, crv: 'P-384' },
      { ...jwk, kty: 'RSA' },
      { ...jwk, x: 'short' },
      { ...jwk, y: jwk.x }, // not a point on the curve
      { ...jwk, x: toBase64Url(new Uint8Array(32)), y: toBase64Url(new Uint8Array(32)) },
      'not a key',
    ];
    for (const key of badKeys) {
      expect(await verifyRequest(key as PublicJwk, parts, signature)).toBe(false);
    }
  });

  it('returns false for parts that cannot be canonicalised', async () => {
    const { signing } = await generateDeviceKeys();
    const jwk = await publicJwk(signing.publicKey);
    const signature = await signRequest(signing.privateKey, parts);
    expect(await verifyRequest(jwk, { ...parts, path: parts.path + '\n' }, signature)).toBe(false);
  });
});
