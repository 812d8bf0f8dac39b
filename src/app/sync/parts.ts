/**
 * A batch part as devices read it back: the events it holds, the certified admin device that
 * signed it, if one did, and how it was sealed (src/crypto/authority.ts, src/domain/partSeals.ts).
 * The shared directory (sync/engine.ts) and the admin's archive (admin/archive/archiveReader.ts) both read parts here and screen them with the
 * one rule of src/domain/authority.ts.
 */
import { readOrgKeyAnnouncement, readPart } from '../../crypto/authority.ts';
import { bytesJson } from '../../crypto/envelope.ts';
import { screenPart, type ScreenedPart } from '../../domain/authority.ts';
import { FootfallEvent } from '../../domain/events.ts';
import { ADMIN_SEAL, keySeal, unsignedSeal, type PartSeal } from '../../domain/partSeals.ts';
import type { AdminCertificateClaims, PublicJwk } from '../../domain/protocol.ts';

/** What a device needs to check who may have written a part. */
export interface Authority {
  orgId: string;
  /** The organisation's first key: its signing identity (docs/security.md#authority). */
  orgPublicKey: PublicJwk;
  /** When the organisation began to sign authority, or null when this device has not learnt it yet. */
  authoritySince: string | null;
}

/** Where a part came from, as the endpoint listed it. */
export interface Listed {
  deviceId: string;
  receivedAt: string | null;
}

export interface ReadEvents extends ScreenedPart {
  /** The certificate of the admin device that signed the part, when one did. */
  signedBy: AdminCertificateClaims | null;
  /** How the part was sealed, for the admin's device to check against its device's statements (src/domain/partSeals.ts). */
  seal: PartSeal;
}

/**
 * The events of an opened part that may be applied, with what was set aside. Throws when the part
 * is not events this version reads, or claims an admin's signature that does not hold. A part a
 * device signed whose signature does not hold, or that names another device than the one that
 * uploaded it (moved from another device's upload), is set aside whole (docs/security.md#device-signed-parts).
 */
export async function readEvents(opened: Uint8Array, listed: Listed, authority: Authority): Promise<ReadEvents> {
  const { signedBy, sealedBy, plaintext } = await readPart(authority.orgPublicKey, authority.orgId, opened);
  const events = FootfallEvent.array().parse(bytesJson(plaintext));
  if (sealedBy === 'invalid' || (sealedBy && sealedBy.deviceId !== listed.deviceId)) {
    return { accepted: [], setAside: events.length ? { unsigned_part: events.length } : {}, signedBy: null, seal: unsignedSeal(listed.receivedAt) };
  }
  // A certificate names the organisation's time; a device that had not learnt it yet takes it from here.
  const ownSigner = signedBy?.deviceId === listed.deviceId ? signedBy : null;
  const since = authority.authoritySince ?? ownSigner?.authoritySince ?? null;
  const screened = screenPart(events, { uploader: listed.deviceId, signedBy: signedBy?.deviceId ?? null, receivedAt: listed.receivedAt }, since);
  const seal = ownSigner ? ADMIN_SEAL : sealedBy ? keySeal(sealedBy.signingKey) : unsignedSeal(listed.receivedAt);
  return { ...(await checkKeyAnnouncements(screened, authority)), signedBy, seal };
}

/**
 * A new organisation key stands only when the organisation's key signed its announcement, even in
 * a part a certified admin device wrote (docs/security.md#rotating-the-organisation-key): a device
 * never seals records to a key the organisation did not announce. Any other is set aside and shown.
 */
async function checkKeyAnnouncements(screened: ScreenedPart, authority: Authority): Promise<ScreenedPart> {
  if (!screened.accepted.some((e) => e.type === 'org.keyRotated')) return screened;
  const accepted: FootfallEvent[] = [];
  let unsigned = 0;
  for (const event of screened.accepted) {
    const forged = event.type === 'org.keyRotated' && !(await readOrgKeyAnnouncement(authority.orgPublicKey, authority.orgId, event.announcement));
    if (forged) unsigned++;
    else accepted.push(event);
  }
  return unsigned ? { accepted, setAside: { ...screened.setAside, unsigned_key: unsigned } } : screened;
}
