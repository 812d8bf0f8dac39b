/**
 * What a batch part may carry, given who sent it (docs/security.md#authority). Every device
 * applies these rules to what it reads from the endpoint before anything is folded or counted:
 * ordinary devices to the shared directory, the admin's device to the whole archive. What fails
 * is set aside whole per event, never applied, and never stops the events after it.
 */
import type { FootfallEvent } from './events.ts';

/** Changes that bind every device: only a certified admin device may make them (a new organisation key must be signed by the organisation too). */
export const AUTHORITY_TYPES: ReadonlySet<FootfallEvent['type']> = new Set([
  'org.configured',
  'org.keyRotated',
  'staff.saved',
  'staff.removed',
  'woman.merged',
  'woman.erased',
  'device.invited',
  'device.enrolled',
  'device.moved',
  'device.revoked',
]);

/** Why an event was set aside. */
export type SetAsideReason =
  /** A change only an admin may make (settings, people, devices, a merge, an erasure), from a device that is not a certified admin's. */
  | 'not_admin'
  /** A record that says another device made it, uploaded by a device that is not a certified admin's. */
  | 'other_device'
  /** From before signing began, a change only an admin may make, dated later than the server received it. */
  | 'dated_ahead'
  /** A record made by one of the organisation's people after the admin removed her (src/domain/people.ts). */
  | 'removed_person'
  /** A record naming someone who is not one of the organisation's people. */
  | 'unknown_person'
  /** A record by one of the organisation's people on a device, or at a site, that is not hers. */
  | 'not_her_device'
  /** A new organisation key whose announcement the organisation's key did not sign (src/app/sync/parts.ts). */
  | 'unsigned_key'
  /** A record from a device no admin has signed for (src/domain/devices.ts). */
  | 'unsigned_device'
  /** A record made on a device after an admin revoked it. */
  | 'revoked_device'
  /** A visit recorded at a site other than the one an admin signed for its device. */
  | 'other_site'
  /** A record in a part not signed by the key an admin signed for its device (src/domain/partSeals.ts). */
  | 'unsigned_part';

export const SET_ASIDE_REASONS: Record<SetAsideReason, string> = {
  not_admin: 'changes only an admin device may make (settings, people, devices, merges, erasures)',
  other_device: 'records that claim to come from another device',
  dated_ahead: 'changes dated after the server received them',
  removed_person: 'records made by someone after she was removed from the organisation’s people',
  unknown_person: 'records by someone who is not one of the organisation’s people (or by the staff of a device set up on its own by an earlier version)',
  not_her_device: 'records by one of the organisation’s people on a device, or at a site, she does not work on',
  unsigned_key: 'new organisation keys the organisation did not sign (no device seals records to them)',
  unsigned_device:
    'records from a device no admin has confirmed (if it is one of yours, confirm it here and they count)',
  revoked_device: 'records made on the device after it was revoked',
  other_site: 'visits recorded at a site other than the device’s own',
  unsigned_part: 'records in a part the device did not sign with its own key (sealed by someone else in its name)',
};

/** How far a device's clock may run ahead of the server's before its changes count as dated ahead (as signed requests allow). */
export const CLOCK_ALLOWANCE_MS = 5 * 60_000;

/** Who a part comes from. */
export interface PartOrigin {
  /** The device that uploaded it: the endpoint checked that device's signature on the upload. */
  uploader: string;
  /** The certified admin device that signed the part, or null for an unsigned part. */
  signedBy: string | null;
  /** When the endpoint received it, if it said. */
  receivedAt: string | null;
}

export interface ScreenedPart {
  accepted: FootfallEvent[];
  /** How many events were set aside, by reason; empty when all were accepted. */
  setAside: Partial<Record<SetAsideReason, number>>;
}

/**
 * The events of one part that may be applied and counted.
 *
 * A part signed by a certified admin device that also uploaded it stands whole: an admin's
 * device carries other devices' records when it imports or compacts. Any other part may carry only
 * records made by its uploader, and none of the changes only an admin may make.
 *
 * `authoritySince` is when the organisation began to sign authority. An unsigned part received
 * before then was written when no device signed anything, and stands as it did then; a device that
 * has not yet learnt the time (enrolled before signing existed, and no signed part seen since)
 * passes null and reads every part as before.
 */
export function screenPart(events: readonly FootfallEvent[], origin: PartOrigin, authoritySince: string | null): ScreenedPart {
  const certified = origin.signedBy !== null && origin.signedBy === origin.uploader;
  if (certified) return { accepted: [...events], setAside: {} };
  const fromBefore = origin.signedBy === null && (authoritySince === null || (origin.receivedAt !== null && origin.receivedAt < authoritySince));
  // Even from before signing, a change dated after the server received it would win "latest" for
  // ever against every later one: it is set aside.
  const latest = origin.receivedAt === null ? null : Date.parse(origin.receivedAt) + CLOCK_ALLOWANCE_MS;
  const accepted: FootfallEvent[] = [];
  const setAside: ScreenedPart['setAside'] = {};
  for (const event of events) {
    const reason = fromBefore ? datedAhead(event, latest) : unauthorised(event, origin.uploader);
    if (reason) setAside[reason] = (setAside[reason] ?? 0) + 1;
    else accepted.push(event);
  }
  return { accepted, setAside };
}

function unauthorised(event: FootfallEvent, uploader: string): SetAsideReason | null {
  return event.deviceId !== uploader ? 'other_device' : AUTHORITY_TYPES.has(event.type) ? 'not_admin' : null;
}

function datedAhead(event: FootfallEvent, latest: number | null): SetAsideReason | null {
  return latest !== null && AUTHORITY_TYPES.has(event.type) && Date.parse(event.at) > latest ? 'dated_ahead' : null;
}
