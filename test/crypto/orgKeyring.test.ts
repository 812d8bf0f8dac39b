import { describe, expect, it } from 'vitest';
import { announceOrgKey, certifyAdminDevice, readCertificate, readOrgKeyAnnouncement } from '../../src/crypto/authority.ts';
import { utf8 } from '../../src/crypto/bytes.ts';
import { generateOrgKeyPair, sealTo, sealedKeyId } from '../../src/crypto/envelope.ts';
import { wrapOrgKey } from '../../src/crypto/orgKey.ts';
import { keyId, openOnly, openWithOrgKeys, unwrapEach } from '../../src/crypto/orgKeyring.ts';
import { generateDeviceKeys, publicJwk } from '../../src/crypto/signing.ts';
import type { OrgKeyClaims } from '../../src/domain/protocol.ts';

const orgId = '0190f5d2-7c2a-7b4e-8f00-1a2b3c4d5e6f';
const at = '2026-12-05T10:00:00.000Z';
const ITERATIONS = 1_000; // tests only

async function rotated() {
  const first = await generateOrgKeyPair();
  const second = await generateOrgKeyPair();
  const [firstKid, secondKid] = await Promise.all([keyId(first.publicJwk), keyId(second.publicJwk)]);
  return { first, second, firstKid, secondKid, ring: { firstKid, keys: new Map([[firstKid, first.privateKey], [secondKid, second.privateKey]]) } };
}

describe('key ids', () => {
  it('are the RFC 7638 thumbprint of the public key: stable, and different for different keys', async () => {
    const { first, second, firstKid, secondKid } = await rotated();
    expect(firstKid).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(await keyId({ ...first.publicJwk })).toBe(firstKid);
    expect(secondKid).not.toBe(firstKid);
    expect(await keyId(second.publicJwk)).toBe(secondKid);
  });
});

describe('opening with the organisation’s keys', () => {
  it('opens each sealed text with the key its header names, and what names none with the first key', async () => {
    const { first, second, secondKid, ring } = await rotated();
    const old = await sealTo(first.publicJwk, utf8.encode('old'));
    const fresh = await sealTo(second.publicJwk, utf8.encode('new'), { kid: secondKid });
    expect(sealedKeyId(old)).toBeNull();
    expect(sealedKeyId(fresh)).toBe(secondKid);
    expect(utf8.decode(await openWithOrgKeys(ring, old))).toBe('old');
    expect(utf8.decode(await openWithOrgKeys(ring, fresh))).toBe('new');
  });

  it('says plainly when the key a text names is not unlocked, and refuses a kid altered in the header', async () => {
    const { first, second, firstKid, secondKid } = await rotated();
    const onlyFirst = { firstKid, keys: new Map([[firstKid, first.privateKey]]) };
    const fresh = await sealTo(second.publicJwk, utf8.encode('new'), { kid: secondKid });
    await expect(openWithOrgKeys(onlyFirst, fresh)).rejects.toThrow(/has not unlocked/);
    // The header is authenticated: naming the first key instead cannot be done unnoticed.
    const [header, ...rest] = fresh.split('.');
    const altered = JSON.parse(utf8.decode(Uint8Array.from(atob(header!.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0))));
    const swapped = btoa(JSON.stringify({ ...altered, kid: firstKid })).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
    await expect(openWithOrgKeys(onlyFirst, [swapped, ...rest].join('.'))).rejects.toThrow(/could not be opened/);
  });

  it('unwraps every copy a secret opens, passes over the rest, and holds them non-extractable', async () => {
    const { first, second, firstKid, secondKid } = await rotated();
    const copies = await Promise.all([
      wrapOrgKey(first.privateKey, 'the admin passphrase', ITERATIONS),
      wrapOrgKey(second.privateKey, 'the admin passphrase', ITERATIONS),
      wrapOrgKey(second.privateKey, 'another admin’s passphrase', ITERATIONS),
    ]);
    const keys = await unwrapEach(copies, 'the admin passphrase');
    expect([...keys.keys()].sort()).toEqual([firstKid, secondKid].sort());
    const held = await openOnly(keys, firstKid);
    expect([...held!.keys.values()].every((k) => !k.extractable)).toBe(true);
    // Copies of another organisation's keys alone: no first key, nothing held.
    expect(await openOnly(new Map([[secondKid, second.privateKey]]), firstKid)).toBeNull();
  });
});

describe('new key announcements', () => {
  const claimsFor = async (publicKey: OrgKeyClaims['publicKey']): Promise<OrgKeyClaims> => ({ orgId, version: 2, publicKey, issuedAt: at });

  it('are signed by the organisation’s first key and read back with its public key alone', async () => {
    const { first, second } = await rotated();
    const claims = await claimsFor(second.publicJwk);
    const announcement = await announceOrgKey(first.privateKey, claims);
    expect(await readOrgKeyAnnouncement(first.publicJwk, orgId, announcement)).toEqual(claims);
  });

  it('are refused when signed by any other key (the new key itself included), for another organisation, or altered', async () => {
    const { first, second } = await rotated();
    const claims = await claimsFor(second.publicJwk);
    const selfSigned = await announceOrgKey(second.privateKey, claims);
    expect(await readOrgKeyAnnouncement(first.publicJwk, orgId, selfSigned)).toBeNull();
    const announcement = await announceOrgKey(first.privateKey, claims);
    expect(await readOrgKeyAnnouncement(first.publicJwk, '0190f5d2-7c2a-7b4e-8f00-bbbbbbbbbbbb', announcement)).toBeNull();
    const [h, p, s] = announcement.split('.');
    expect(await readOrgKeyAnnouncement(first.publicJwk, orgId, `${h}.${p}x.${s}`)).toBeNull();
    expect(await readOrgKeyAnnouncement(first.publicJwk, orgId, 'not a statement')).toBeNull();
  });

  it('are not certificates, and a certificate is not an announcement', async () => {
    const { first, second } = await rotated();
    const device = await generateDeviceKeys();
    const certificate = await certifyAdminDevice(first.privateKey, {
      orgId,
      deviceId: '0190f5d2-7c2a-7b4e-8f00-aaaaaaaaaaaa',
      signingKey: await publicJwk(device.signing.publicKey),
      issuedAt: at,
      authoritySince: at,
    });
    expect(await readOrgKeyAnnouncement(first.publicJwk, orgId, certificate)).toBeNull();
    const announcement = await announceOrgKey(first.privateKey, await claimsFor(second.publicJwk));
    expect(await readCertificate(first.publicJwk, orgId, announcement)).toBeNull();
  });

  it('refuse a version below 2 before signing: the first key is version 1', async () => {
    const { first, second } = await rotated();
    await expect(announceOrgKey(first.privateKey, { ...(await claimsFor(second.publicJwk)), version: 1 })).rejects.toThrow();
  });
});
