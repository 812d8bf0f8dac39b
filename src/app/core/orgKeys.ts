/**
 * The organisation key a device seals records to (docs/security.md#rotating-the-organisation-key):
 * the newest one the organisation announced and this device checked, or the first one, which it was
 * enrolled with. Every device takes announcements from the shared directory (src/app/sync/engine.ts); a
 * device that joins takes the newest from its enrolment package.
 */
import { readOrgKeyAnnouncement } from '../../crypto/authority.ts';
import { keyId } from '../../crypto/orgKeyring.ts';
import type { FootfallEvent } from '../../domain/events.ts';
import type { PublicJwk } from '../../domain/protocol.ts';
import type { Keyring } from '../../crypto/keyring.ts';
import type { Enrolment } from './database.ts';
import { database } from './device.ts';
import { adoptSealingKey } from './marks.ts';
import type { EnrolmentMarks } from './rows.ts';

/** What records are sealed to: a public key and the id written in the seal's header. */
export interface Recipient {
  publicKey: PublicJwk;
  kid: string;
}

/** The organisation key this device seals records to now: the enrolment's, or the newest its (sealed) marks hold. */
export async function recipientOf(enrolment: Pick<Enrolment, 'orgPublicKey'> & Pick<EnrolmentMarks, 'sealingKey'>): Promise<Recipient> {
  const key = enrolment.sealingKey;
  return key ? { publicKey: key.publicKey, kid: key.kid } : { publicKey: enrolment.orgPublicKey, kid: await keyId(enrolment.orgPublicKey) };
}

/**
 * Takes the new organisation keys among `announcements` whose signature by the organisation's
 * first key holds; the rest are ignored (the parts they came in set them aside already, sync/parts.ts).
 */
export async function adoptAnnouncedKeys(keyring: Keyring, enrolment: Pick<Enrolment, 'orgId' | 'orgPublicKey'>, announcements: readonly string[]): Promise<void> {
  for (const announcement of announcements) {
    const claims = await readOrgKeyAnnouncement(enrolment.orgPublicKey, enrolment.orgId, announcement);
    if (claims) await adoptSealingKey(database(), keyring, { version: claims.version, kid: await keyId(claims.publicKey), publicKey: claims.publicKey, announcement });
  }
}

/** The announcements among some events. */
export function announcementsIn(events: readonly FootfallEvent[]): string[] {
  return events.flatMap((e) => (e.type === 'org.keyRotated' ? [e.announcement] : []));
}
