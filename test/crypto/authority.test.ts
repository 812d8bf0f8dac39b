import { describe, expect, it } from 'vitest';
import { certifyAdminDevice, isKeyPair, isP256Point, readCertificate, readPart, signDevicePart, signPart } from '../../src/crypto/authority.ts';
import { utf8 } from '../../src/crypto/bytes.ts';
import { generateOrgKeyPair } from '../../src/crypto/envelope.ts';
import { generateDeviceKeys, publicJwk } from '../../src/crypto/signing.ts';
import type { AdminCertificateClaims } from '../../src/domain/protocol.ts';

const orgId = '0190f5d2-7c2a-7b4e-8f00-1a2b3c4d5e6f';
const deviceId = '0190f5d2-7c2a-7b4e-8f00-aaaaaaaaaaaa';
const at = '2026-12-05T10:00:00.000Z';

async function setting() {
  const org = await generateOrgKeyPair();
  const device = await generateDeviceKeys();
  const claims: AdminCertificateClaims = { orgId, deviceId, signingKey: await publicJwk(device.signing.publicKey), issuedAt: at, authoritySince: at };
  const certificate = await certifyAdminDevice(org.privateKey, claims);
  return { org, device, claims, certificate, signer: { key: device.signing.privateKey, certificate } };
}

describe('admin certificates', () => {
  it('are signed by the organisation’s key and read back with its public key alone', async () => {
    const { org, claims, certificate } = await setting();
    expect(await readCertificate(org.publicJwk, orgId, certificate)).toEqual(claims);
  });

  it('are refused from another organisation’s key, for another organisation, or altered', async () => {
    const { org, certificate } = await setting();
    const other = await generateOrgKeyPair();
    expect(await readCertificate(other.publicJwk, orgId, certificate)).toBeNull();
    expect(await readCertificate(org.publicJwk, '0190f5d2-7c2a-7b4e-8f00-bbbbbbbbbbbb', certificate)).toBeNull();
    const [header, payload, signature] = certificate.split('.');
    const altered = JSON.parse(utf8.decode(Buffer.from(payload!, 'base64url'))) as AdminCertificateClaims;
    altered.deviceId = '0190f5d2-7c2a-7b4e-8f00-cccccccccccc';
    const forged = [header, Buffer.from(JSON.stringify(altered)).toString('base64url'), signature].join('.');
    expect(await readCertificate(org.publicJwk, orgId, forged)).toBeNull();
    expect(await readCertificate(org.publicJwk, orgId, 'not a certificate')).toBeNull();
    expect(await readCertificate(org.publicJwk, orgId, 42)).toBeNull();
  });

  it('can only be made with the organisation’s private key', async () => {
    const { device, claims } = await setting();
    await expect(certifyAdminDevice(device.encryption.publicKey, claims)).rejects.toThrow();
  });
});

describe('signed parts', () => {
  it('carry the certified signer, and an unsigned list is read as it is', async () => {
    const { org, claims, signer } = await setting();
    const plain = utf8.encode('[{"a":1}]');
    const signed = await signPart(signer, plain);
    expect(await readPart(org.publicJwk, orgId, signed)).toEqual({ signedBy: claims, sealedBy: null, plaintext: plain });
    expect(await readPart(org.publicJwk, orgId, plain)).toEqual({ signedBy: null, sealedBy: null, plaintext: plain });
  });

  it('are refused when the payload was changed, the signer is not the certified key, or the certificate is not the organisation’s', async () => {
    const { org, certificate, signer } = await setting();
    const signed = utf8.decode(await signPart(signer, utf8.encode('[]')));
    const [header, , signature] = signed.split('.');
    const changed = [header, Buffer.from('[{"type":"woman.erased"}]').toString('base64url'), signature].join('.');
    await expect(readPart(org.publicJwk, orgId, utf8.encode(changed))).rejects.toThrow(/signature/);

    const stranger = await generateDeviceKeys();
    const borrowed = await signPart({ key: stranger.signing.privateKey, certificate }, utf8.encode('[]'));
    await expect(readPart(org.publicJwk, orgId, borrowed)).rejects.toThrow(/signature/);

    const other = await generateOrgKeyPair();
    await expect(readPart(other.publicJwk, orgId, await signPart(signer, utf8.encode('[]')))).rejects.toThrow(/certificate/);
    await expect(readPart(org.publicJwk, orgId, utf8.encode('garbage'))).rejects.toThrow(/neither/);
  });
});

describe('parts a device signs', () => {
  async function deviceSigner(id = deviceId) {
    const keys = await generateDeviceKeys();
    const publicKey = await publicJwk(keys.signing.publicKey);
    return { key: keys.signing.privateKey, publicKey, orgId, deviceId: id };
  }

  it('name the device and the key their signature holds under, and carry no authority', async () => {
    const org = await generateOrgKeyPair();
    const signer = await deviceSigner();
    const plain = utf8.encode('[{"a":1}]');
    expect(await readPart(org.publicJwk, orgId, await signDevicePart(signer, plain))).toEqual({
      signedBy: null,
      sealedBy: { deviceId, signingKey: signer.publicKey },
      plaintext: plain,
    });
  });

  it('are read as invalid when altered, signed by another key than they name, or for another organisation', async () => {
    const org = await generateOrgKeyPair();
    const signer = await deviceSigner();
    const [header, , signature] = utf8.decode(await signDevicePart(signer, utf8.encode('[]'))).split('.');
    // Another part's records under this signature: the signature does not move with them.
    const moved = utf8.encode([header, Buffer.from('[{"a":2}]').toString('base64url'), signature].join('.'));
    expect(await readPart(org.publicJwk, orgId, moved)).toEqual({ signedBy: null, sealedBy: 'invalid', plaintext: utf8.encode('[{"a":2}]') });

    // Another device's key, naming this device's: the key named must be the one that signed.
    const stranger = await deviceSigner();
    const impostor = await signDevicePart({ ...stranger, publicKey: signer.publicKey }, utf8.encode('[]'));
    expect((await readPart(org.publicJwk, orgId, impostor)).sealedBy).toBe('invalid');

    // The header names the organisation and the device; changing either breaks the signature.
    const renamed = JSON.parse(Buffer.from(header!, 'base64url').toString()) as Record<string, unknown>;
    for (const change of [{ dev: '0190f5d2-7c2a-7b4e-8f00-bbbbbbbbbbbb' }, { org: '0190f5d2-7c2a-7b4e-8f00-bbbbbbbbbbbb' }]) {
      const forged = [Buffer.from(JSON.stringify({ ...renamed, ...change })).toString('base64url'), Buffer.from('[]').toString('base64url'), signature].join('.');
      expect((await readPart(org.publicJwk, orgId, utf8.encode(forged))).sealedBy).toBe('invalid');
    }
    expect((await readPart(org.publicJwk, '0190f5d2-7c2a-7b4e-8f00-bbbbbbbbbbbb', await signDevicePart(signer, utf8.encode('[]')))).sealedBy).toBe('invalid');
  });
});

describe('key checks', () => {
  it('tells a key pair from two unrelated keys', async () => {
    const a = await generateDeviceKeys();
    const b = await generateDeviceKeys();
    expect(await isKeyPair(a.signing.privateKey, await publicJwk(a.signing.publicKey))).toBe(true);
    expect(await isKeyPair(a.signing.privateKey, await publicJwk(b.signing.publicKey))).toBe(false);
  });

  it('tells a point on P-256 from one that is not', async () => {
    const jwk = await publicJwk((await generateDeviceKeys()).signing.publicKey);
    expect(await isP256Point(jwk)).toBe(true);
    expect(await isP256Point({ ...jwk, y: jwk.y.slice(0, -2) + (jwk.y.endsWith('AA') ? 'AQ' : 'AA') })).toBe(false);
  });
});
