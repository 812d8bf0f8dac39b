/**
 * Every change in Footfall is one immutable event. Events are the only thing that is stored,
 * synced and counted; the screens and the reports are projections of them.
 *
 * Records (visits, outreach contacts and casework sessions) are created by one event and
 * referred to afterwards by that event's id. Corrections and voids are events too, so nothing is
 * ever edited in place and every device converges on the same history.
 */
import { z } from 'zod';
import { OrgConfig } from './config.ts';
import { Key } from './key.ts';
import { PublicJwk, Role } from './protocol.ts';

/** UUIDv7: unique across devices and sortable by creation time. */
export const EventId = z.uuid({ version: 'v7', message: 'must be a UUIDv7 event id' });
export type EventId = z.infer<typeof EventId>;

/** An instant, always stored in UTC with a Z suffix. Local dates are derived, never stored. */
export const Instant = z.iso.datetime({ message: 'must be an ISO 8601 UTC timestamp' });


/** Answers every optional question may take besides a configured term. */
export const NOT_KNOWN = 'not-known';
export const PREFERS_NOT_TO_SAY = 'prefers-not-to-say';

/**
 * The name a woman chooses to be known by. It is the only name Footfall holds (docs/security.md#what-is-recorded), so
 * it is short and single-line: no room for a narrative.
 */
export const KnownAs = z
  .string()
  .trim()
  .min(1, 'a known-as name is needed')
  .max(60, 'a known-as name is at most 60 characters')
  .refine((s) => !/[\n\r\t]/.test(s), 'a known-as name is a single line');

/**
 * The optional fields of docs/security.md#what-is-recorded. A missing field means "not asked"; otherwise the value is a
 * configured term key, NOT_KNOWN or PREFERS_NOT_TO_SAY. Nothing else about a woman is recorded.
 */
export const WomanDetails = z
  .object({
    ageBand: Key,
    nationality: Key,
    ethnicity: Key,
    housing: Key,
    exploitation: z.array(Key).max(32),
    referralSource: Key,
  })
  .partial()
  .strict();
export type WomanDetails = z.infer<typeof WomanDetails>;
export type DetailField = keyof WomanDetails;

const common = {
  id: EventId,
  /** Device time when the event was recorded; the server's receipt time is kept separately. */
  at: Instant,
  deviceId: z.string().min(1).max(64),
  staffId: z.string().min(1).max(64),
};

export const WomanRegistered = z
  .object({ ...common, type: z.literal('woman.registered'), womanId: EventId, knownAs: KnownAs, details: WomanDetails })
  .strict();

export const WomanUpdated = z
  .object({
    ...common,
    type: z.literal('woman.updated'),
    womanId: EventId,
    knownAs: KnownAs.optional(),
    details: WomanDetails,
  })
  .strict();

/** Two directory entries turned out to be the same woman: `womanId` is folded into `intoId`. */
export const WomanMerged = z
  .object({ ...common, type: z.literal('woman.merged'), womanId: EventId, intoId: EventId })
  .strict()
  .refine((e) => e.womanId !== e.intoId, 'a woman cannot be merged into herself');

/**
 * The admin erased a woman's entry: her known-as name and details go from the directory on every
 * device, and from the server once the archive is compacted. Her records keep counting under her
 * internal id, which nothing links to her any more, so figures already published stay true.
 */
export const WomanErased = z.object({ ...common, type: z.literal('woman.erased'), womanId: EventId }).strict();

/**
 * The organisation's configuration (services, sites, terms), set by an admin and shared with
 * every enrolled device through the directory. The latest one wins.
 */
export const OrgConfigured = z.object({ ...common, type: z.literal('org.configured'), config: OrgConfig }).strict();

/**
 * A new organisation key (docs/security.md#rotating-the-organisation-key): the announcement, a JWS
 * signed by the organisation's first key, shared with every device through the directory. A
 * device seals new records to the key only once it has checked the signature.
 */
export const OrgKeyRotated = z
  .object({ ...common, type: z.literal('org.keyRotated'), announcement: z.string().min(1).max(4096) })
  .strict();

/** A check-in. `womanId` null is an anonymous visit. The visit is referred to by this event's id. */
export const VisitCheckedIn = z
  .object({
    ...common,
    type: z.literal('visit.checkedIn'),
    occurredAt: Instant,
    womanId: EventId.nullable(),
    siteId: Key,
    services: z.array(Key).max(64),
  })
  .strict();

export const VisitServiceAdded = z
  .object({ ...common, type: z.literal('visit.serviceAdded'), visitId: EventId, service: Key })
  .strict();

export const VisitServiceRemoved = z
  .object({ ...common, type: z.literal('visit.serviceRemoved'), visitId: EventId, service: Key })
  .strict();

/**
 * An outreach contact: when, where (area and kind of place), which woman (null when she is not
 * known or did not want to be named), needs raised, support given and referrals made. Every list
 * holds configured term keys; there is no free text. The contact is referred to by this event's id.
 */
export const OutreachContacted = z
  .object({
    ...common,
    type: z.literal('outreach.contacted'),
    occurredAt: Instant,
    womanId: EventId.nullable(),
    area: Key,
    place: Key,
    needs: z.array(Key).max(64),
    support: z.array(Key).max(64),
    referrals: z.array(Key).max(64),
  })
  .strict();

/**
 * An advice or casework session with a known woman: the topics covered (at least one), referrals
 * made and one outcome from the configured list. No narrative. The outcome is optional because
 * sessions imported from historic spreadsheets (docs/counting.md#import) have none.
 */
export const CaseworkSession = z
  .object({
    ...common,
    type: z.literal('casework.session'),
    occurredAt: Instant,
    womanId: EventId,
    topics: z.array(Key).min(1, 'choose at least one topic').max(64),
    referrals: z.array(Key).max(64),
    outcome: Key.optional(),
  })
  .strict();

const Reason = z.string().trim().min(1, 'say why').max(200, 'a reason is at most 200 characters');

/**
 * The latest correction of a field wins (docs/counting.md#corrections-and-voids). Only the fields given are changed. One
 * shape serves every kind of record; a field the target record does not have (a site on an
 * outreach contact, topics on a visit) is ignored by counting. A casework session always stays
 * with a known woman: correcting its woman to null is ignored too.
 */
export const RecordCorrected = z
  .object({
    ...common,
    type: z.literal('record.corrected'),
    targetId: EventId,
    changes: z
      .object({
        occurredAt: Instant,
        womanId: EventId.nullable(),
        siteId: Key,
        services: z.array(Key).max(64),
        area: Key,
        place: Key,
        needs: z.array(Key).max(64),
        support: z.array(Key).max(64),
        referrals: z.array(Key).max(64),
        topics: z.array(Key).min(1, 'choose at least one topic').max(64),
        outcome: Key,
      })
      .partial()
      .strict()
      .refine((c) => Object.keys(c).length > 0, 'a correction must change something'),
    reason: Reason,
  })
  .strict();

/** A voided record counts nowhere. */
export const RecordVoided = z
  .object({ ...common, type: z.literal('record.voided'), targetId: EventId, reason: Reason })
  .strict();

/** A person's name as colleagues know her on the lock screen: short and single-line. */
export const StaffName = z
  .string()
  .trim()
  .min(1, 'a person needs a name')
  .max(60, 'a name is at most 60 characters')
  .refine((s) => !/[\n\r\t]/.test(s), 'a name is a single line');

/** What a device checks a typed personal code against (src/crypto/personalCode.ts). */
export const PersonalCodeCheck = z
  .object({ codeId: z.uuid(), check: z.string().regex(/^[A-Za-z0-9_-]{43}$/, 'a code check is 32 bytes of base64url'), expiresAt: Instant })
  .strict();
export type PersonalCodeCheck = z.infer<typeof PersonalCodeCheck>;

/**
 * A person of the organisation, added or changed by an admin (docs/security.md#people): the
 * latest says who she is, which roles she works in and at which sites (null: any site), and the
 * personal code she sets her PIN with on a device (null: none outstanding).
 */
export const StaffSaved = z
  .object({
    ...common,
    type: z.literal('staff.saved'),
    personId: EventId,
    name: StaffName,
    roles: z.array(Role).min(1, 'a person needs at least one role').max(4),
    sites: z.array(Key).max(64).nullable(),
    code: PersonalCodeCheck.nullable(),
  })
  .strict();

/** A person removed from the organisation: her PIN stops working on every device. Final. */
export const StaffRemoved = z.object({ ...common, type: z.literal('staff.removed'), personId: EventId }).strict();

/** base64url of 32 bytes: a join proof, or the SHA-256 digest that checks one (src/crypto/enrolmentCode.ts). */
const Bytes32 = z.string().regex(/^[A-Za-z0-9_-]{43}$/, 'must be 32 bytes of base64url');

/**
 * The organisation's devices, as admins sign them (docs/security.md#devices). These travel in
 * activity parts only, which the organisation's key alone opens: an admin's statements and a
 * device's proof of its code are never seen by the server or by other devices.
 *
 * An admin makes an enrolment code: she states what a device that joins with it is (its role and
 * site), with the digest of a secret that only the code's package carries.
 */
export const DeviceInvited = z
  .object({ ...common, type: z.literal('device.invited'), inviteId: z.uuid(), role: Role, siteKey: Key.nullable(), proofCheck: Bytes32 })
  .strict();

/**
 * A device that joined with a code: the secret from the code's package, proving it held the code,
 * and the public key it signs its parts with (docs/security.md#device-signed-parts). Made by the
 * device itself. Joins from earlier versions name no key.
 */
export const DeviceJoined = z
  .object({ ...common, type: z.literal('device.joined'), inviteId: z.uuid(), proof: Bytes32, signingKey: PublicJwk.optional() })
  .strict();

/**
 * An admin confirms a device the organisation has no invitation for (one joined with an earlier
 * version's code, or her own), and the public key it signs its parts with. Confirmations from
 * earlier versions name no key.
 */
export const DeviceEnrolled = z
  .object({ ...common, type: z.literal('device.enrolled'), subjectId: z.string().min(1).max(64), role: Role, siteKey: Key.nullable(), signingKey: PublicJwk.optional() })
  .strict();

/**
 * An admin moved a front-desk or casework device to another site (docs/security.md#devices): from
 * then on its visits count at this site. Unlike the other device statements it travels in the
 * shared directory, signed like a setting, because the device itself must read it to take up its
 * new site; it says only which device and which site, both known to every device already.
 */
export const DeviceMoved = z
  .object({ ...common, type: z.literal('device.moved'), subjectId: z.string().min(1).max(64), siteKey: Key })
  .strict();

/** An admin revoked a device: what it made from then on counts nowhere. Final. */
export const DeviceRevoked = z.object({ ...common, type: z.literal('device.revoked'), subjectId: z.string().min(1).max(64) }).strict();

export const FootfallEvent = z.discriminatedUnion('type', [
  DeviceInvited,
  DeviceJoined,
  DeviceEnrolled,
  DeviceMoved,
  DeviceRevoked,
  WomanRegistered,
  WomanUpdated,
  WomanMerged,
  WomanErased,
  OrgConfigured,
  OrgKeyRotated,
  StaffSaved,
  StaffRemoved,
  VisitCheckedIn,
  VisitServiceAdded,
  VisitServiceRemoved,
  OutreachContacted,
  CaseworkSession,
  RecordCorrected,
  RecordVoided,
]);
export type FootfallEvent = z.infer<typeof FootfallEvent>;
export type EventOf<T extends FootfallEvent['type']> = Extract<FootfallEvent, { type: T }>;

/** Orders events the way "latest wins" is decided everywhere: device time, then id. */
export function compareEvents(a: Pick<FootfallEvent, 'at' | 'id'>, b: Pick<FootfallEvent, 'at' | 'id'>): number {
  if (a.at !== b.at) return a.at < b.at ? -1 : 1;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}
