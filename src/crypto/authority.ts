/**
 * Signed authority (docs/security.md#authority): who may change what every device sees.
 *
 * The organisation's key is its signing identity. The same P-256 secret that opens activity
 * batches (ECDH, envelope.ts) signs, as ECDSA, statements. An admin certificate says "this device, with this signing key, is an admin device of this organisation". Every device
 * already holds the organisation's public key from its enrolment, so every device can check a
 * certificate, and the key is recoverable from the kit like everything else. Using one key for
 * ECDH and ECDSA is what Signal's XEdDSA does on purpose; the two uses never share an input (a
 * statement is a JWS with its own `typ`, an ECDH input is a point), and joint security of ECDSA
 * with ECDH-based encryption is proven in the generic group model (Degabriele et al., CT-RSA 2012).
 *
 * The first key signs one other kind of statement: the announcement of a new organisation key
 * after a rotation, which every device checks before it seals a record to that key. The signing
 * identity stays the first key for good (docs/security.md#rotating-the-organisation-key): it is
 * what every device was enrolled with, so certificates stay valid through a rotation.
 *
 * A certified admin device signs the batch parts it uploads with its own device key (a JWS whose
 * header carries its certificate), so a device opening a part can tell, from the part alone, that
 * a certified admin device wrote it. Every other device signs its parts with its own device key
 * too (a JWS naming the organisation, the device and its public key): such a part carries no
 * authority, but the admin's device checks that key against the one an admin signed for that
 * device (src/domain/partSeals.ts), so nobody who merely knows the organisation's public key (the
 * server included) can seal records in a device's name. Parts from builds before device signing
 * are a plain JSON list of events, and are still read.
 *
 * JWS from `jose` (RFC 7515, ES256, compact serialisation); no primitive is written here.
 */
import { CompactSign, compactVerify, decodeProtectedHeader, importJWK } from 'jose';
import type { ZodType } from 'zod';
import { AdminCertificateClaims, OrgKeyClaims, PublicJwk } from '../domain/protocol.ts';
import { fromBase64Url, utf8 } from './bytes.ts';

const ES256 = 'ES256';
const ECDSA_P256 = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const CERTIFICATE_TYP = 'footfall-admin-certificate';
const ORG_KEY_TYP = 'footfall-org-key';
const PART_TYP = 'footfall-signed-part';
const DEVICE_PART_TYP = 'footfall-device-part';
const RECORDS_FILE_TYP = 'footfall-records-file';
/** The first byte of an unsigned part: a JSON list. A signed part is JWS text, which never starts so. */
const LIST_START = '['.charCodeAt(0);

/** What a signed part's signer proves. */
export interface Signer {
  /** The device's own private signing key (the one its certificate names). */
  key: CryptoKey;
  /** Its admin certificate (a JWS by the organisation's key). */
  certificate: string;
}

/**
 * An admin certificate for a device: signed with the organisation's private key, which must be
 * the extractable copy just unwrapped (signAsOrganisation).
 */
export async function certifyAdminDevice(orgKey: CryptoKey, claims: AdminCertificateClaims): Promise<string> {
  return signAsOrganisation(orgKey, CERTIFICATE_TYP, AdminCertificateClaims.parse(claims));
}

/**
 * What an admin certificate says, when the organisation's key signed it for this organisation;
 * null for anything else (a forged, altered or foreign certificate, or not a certificate at all).
 */
export async function readCertificate(orgPublicKey: PublicJwk, orgId: string, certificate: unknown): Promise<AdminCertificateClaims | null> {
  const claims = await verifiedByOrganisation(orgPublicKey, CERTIFICATE_TYP, certificate, AdminCertificateClaims);
  return claims?.orgId === orgId ? claims : null;
}

/**
 * A new organisation key's announcement (docs/security.md#rotating-the-organisation-key), signed
 * by the organisation's first key: the one every device was enrolled with and can check.
 */
export async function announceOrgKey(firstOrgKey: CryptoKey, claims: OrgKeyClaims): Promise<string> {
  return signAsOrganisation(firstOrgKey, ORG_KEY_TYP, OrgKeyClaims.parse(claims));
}

/**
 * What an announcement says, when the organisation's first key signed it for this organisation and
 * the key it announces is a P-256 point; null for anything else. A device seals to no other new key.
 */
export async function readOrgKeyAnnouncement(firstOrgPublicKey: PublicJwk, orgId: string, announcement: unknown): Promise<OrgKeyClaims | null> {
  const claims = await verifiedByOrganisation(firstOrgPublicKey, ORG_KEY_TYP, announcement, OrgKeyClaims);
  return claims?.orgId === orgId && (await isP256Point(claims.publicKey)) ? claims : null;
}

/**
 * A statement signed by the organisation's key. The key is the extractable copy just unwrapped:
 * its bytes are needed to use the same secret as ECDSA; the ECDSA key made from them cannot be
 * exported and is dropped when this returns.
 */
async function signAsOrganisation(orgKey: CryptoKey, typ: string, claims: object): Promise<string> {
  const jwk = await crypto.subtle.exportKey('jwk', orgKey);
  if (jwk.kty !== 'EC' || jwk.crv !== 'P-256' || !jwk.d) throw new Error('Only the organisation’s private key can sign for the organisation.');
  const signing = await crypto.subtle.importKey('jwk', { kty: 'EC', crv: 'P-256', x: jwk.x, y: jwk.y, d: jwk.d }, ECDSA_P256, false, ['sign']);
  return new CompactSign(ownRealm(utf8.encode(JSON.stringify(claims)))).setProtectedHeader({ alg: ES256, typ }).sign(signing);
}

/** The claims of a statement of this `typ` signed by the organisation's key; null for anything else. Never throws. */
async function verifiedByOrganisation<T>(orgPublicKey: PublicJwk, typ: string, jws: unknown, schema: ZodType<T>): Promise<T | null> {
  try {
    if (typeof jws !== 'string' || decodeProtectedHeader(jws).typ !== typ) return null;
    const key = await importJWK({ kty: 'EC', crv: 'P-256', x: orgPublicKey.x, y: orgPublicKey.y }, ES256);
    const { payload } = await compactVerify(jws, key, { algorithms: [ES256] });
    return schema.parse(JSON.parse(new TextDecoder().decode(payload)));
  } catch {
    return null;
  }
}

/** A part's plaintext signed by a certified admin device: JWS text, its certificate in the header. */
export async function signPart(signer: Signer, plaintext: Uint8Array): Promise<Uint8Array<ArrayBuffer>> {
  const jws = await new CompactSign(ownRealm(plaintext)).setProtectedHeader({ alg: ES256, typ: PART_TYP, cert: signer.certificate }).sign(signer.key);
  return utf8.encode(jws);
}

/**
 * A part's plaintext signed by the device that sealed it (docs/security.md#device-signed-parts):
 * JWS text whose protected header names the organisation, the device and the device's public
 * signing key, so the signature cannot be moved onto another part, device or organisation.
 */
export async function signDevicePart(signer: DeviceSigner, plaintext: Uint8Array): Promise<Uint8Array<ArrayBuffer>> {
  const { orgId, deviceId, publicKey } = signer;
  const header = { alg: ES256, typ: DEVICE_PART_TYP, org: orgId, dev: deviceId, jwk: { kty: 'EC', crv: 'P-256', x: publicKey.x, y: publicKey.y } };
  const jws = await new CompactSign(ownRealm(plaintext)).setProtectedHeader(header).sign(signer.key);
  return utf8.encode(jws);
}

/** What a device needs to sign the parts it seals. */
export interface DeviceSigner {
  /** The device's own private signing key. */
  key: CryptoKey;
  /** Its public half, as its device statements name it. */
  publicKey: PublicJwk;
  orgId: string;
  deviceId: string;
}

/** The device a device-signed part names, and the key its signature holds under. */
export interface DeviceSeal {
  deviceId: string;
  signingKey: PublicJwk;
}

/**
 * A part as opened: its plaintext; the admin device that signed it, if one did; and for a part a
 * device signed, that device and its key, or 'invalid' when the signature does not hold under the
 * key it names or names another organisation (its records are then set aside, not guessed at).
 */
export interface ReadPart {
  signedBy: AdminCertificateClaims | null;
  sealedBy: DeviceSeal | 'invalid' | null;
  plaintext: Uint8Array;
}

/**
 * Reads an opened part: an unsigned one as it is, an admin's only when its certificate is the
 * organisation's and its signature is by the certified key, a device's with whether its signature
 * holds. Throws when a part claims an admin's signature that does not hold, or is no part at all:
 * it is forged or damaged, and nothing in it may be used.
 */
export async function readPart(orgPublicKey: PublicJwk, orgId: string, opened: Uint8Array): Promise<ReadPart> {
  if (opened[0] === LIST_START) return { signedBy: null, sealedBy: null, plaintext: opened };
  const jws = new TextDecoder().decode(opened);
  let header: ReturnType<typeof decodeProtectedHeader>;
  try {
    header = decodeProtectedHeader(jws);
  } catch {
    throw new Error('This part is neither a list of records nor a signed part.');
  }
  if (header.typ === DEVICE_PART_TYP) return readDevicePart(orgId, jws, header);
  if (header.typ !== PART_TYP) throw new Error('This part is neither a list of records nor a signed part.');
  const claims = await readCertificate(orgPublicKey, orgId, header.cert);
  if (!claims) throw new Error('This part claims an admin certificate that the organisation’s key did not sign.');
  try {
    const key = await importJWK({ kty: 'EC', crv: 'P-256', x: claims.signingKey.x, y: claims.signingKey.y }, ES256);
    const { payload } = await compactVerify(jws, key, { algorithms: [ES256] });
    return { signedBy: claims, sealedBy: null, plaintext: payload };
  } catch {
    throw new Error('This part’s signature is not by the certified device’s key.');
  }
}

/**
 * A device-signed part: checked once, here, against the key its header names (whether that is
 * the key an admin signed for the device is for the reader to say, src/domain/partSeals.ts).
 */
async function readDevicePart(orgId: string, jws: string, header: ReturnType<typeof decodeProtectedHeader>): Promise<ReadPart> {
  const payload = jws.split('.')[1];
  let plaintext: Uint8Array;
  try {
    plaintext = fromBase64Url(payload ?? '');
  } catch {
    throw new Error('This part is neither a list of records nor a signed part.');
  }
  const signingKey = PublicJwk.safeParse(header.jwk);
  const deviceId = header.dev;
  if (!signingKey.success || typeof deviceId !== 'string' || header.org !== orgId) return { signedBy: null, sealedBy: 'invalid', plaintext };
  try {
    const key = await importJWK({ kty: 'EC', crv: 'P-256', x: signingKey.data.x, y: signingKey.data.y }, ES256);
    await compactVerify(jws, key, { algorithms: [ES256] });
    return { signedBy: null, sealedBy: { deviceId, signingKey: signingKey.data }, plaintext };
  } catch {
    return { signedBy: null, sealedBy: 'invalid', plaintext };
  }
}

/**
 * A revoked device's records file (src/app/sync/recordsFile.ts), signed with its own device key:
 * the admin checks it against the key the organisation enrolled for that device, so no other device
 * can hand her a file in its name.
 */
export function signRecordsFile(deviceKey: CryptoKey, content: Uint8Array): Promise<string> {
  return new CompactSign(ownRealm(content)).setProtectedHeader({ alg: ES256, typ: RECORDS_FILE_TYP }).sign(deviceKey);
}

/** What a records file says, not yet checked: it names the device whose key must verify it. Null when it is not one. */
export function recordsFileClaims(jws: unknown): Uint8Array | null {
  try {
    if (typeof jws !== 'string' || decodeProtectedHeader(jws).typ !== RECORDS_FILE_TYP) return null;
    return fromBase64Url(jws.split('.')[1] ?? '');
  } catch {
    return null;
  }
}

/** Whether a records file was signed by this device key. Never throws. */
export async function isRecordsFileBy(signingKey: PublicJwk, jws: string): Promise<boolean> {
  try {
    const key = await importJWK({ kty: 'EC', crv: 'P-256', x: signingKey.x, y: signingKey.y }, ES256);
    const { protectedHeader } = await compactVerify(jws, key, { algorithms: [ES256] });
    return protectedHeader.typ === RECORDS_FILE_TYP;
  } catch {
    return false;
  }
}

/** A copy made with this realm's Uint8Array, which jose checks for (a test DOM's TextEncoder answers with another's). */
function ownRealm(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  return new Uint8Array(bytes);
}

/** Whether a private signing key is the private half of this public key (a signature by one verifies with the other). */
export async function isKeyPair(privateKey: CryptoKey, publicKey: PublicJwk): Promise<boolean> {
  try {
    const probe = utf8.encode('footfall-key-pair-probe');
    const signature = await crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, privateKey, probe);
    const verify = await crypto.subtle.importKey('jwk', { kty: 'EC', crv: 'P-256', x: publicKey.x, y: publicKey.y }, ECDSA_P256, false, ['verify']);
    return await crypto.subtle.verify({ name: 'ECDSA', hash: 'SHA-256' }, verify, signature, probe);
  } catch {
    return false;
  }
}

/** Whether a JWK is a point on the P-256 curve (WebCrypto refuses to import one that is not). */
export async function isP256Point(jwk: PublicJwk): Promise<boolean> {
  try {
    await crypto.subtle.importKey('jwk', { kty: 'EC', crv: 'P-256', x: jwk.x, y: jwk.y }, ECDSA_P256, false, ['verify']);
    return true;
  } catch {
    return false;
  }
}
