/**
 * What sealed rows hold once opened. Every row read back from IndexedDB is parsed here, so a row
 * written by an older version or damaged on disk is caught with a clear error, never half-used.
 */
import { z } from 'zod';
import { DirectoryFold, Said, Stamp } from '../../domain/directory.ts';
import { EventId, FootfallEvent, Instant, KnownAs, WomanDetails } from '../../domain/events.ts';
import { EMPTY_ROSTER, Roster } from '../../domain/people.ts';
import { PublicJwk } from '../../domain/protocol.ts';

/**
 * One directory entry as this device holds it: what her group shows now (name, details, when
 * registered, and the id it is counted under when that is not hers), and what the directory
 * events said about this entry itself, which the directory fold (src/domain/directory.ts) works
 * from. Every entry of a merged group has a row, each showing the group.
 */
export const Woman = z.object({
  id: EventId,
  knownAs: KnownAs,
  details: WomanDetails,
  registeredAt: Instant,
  /**
   * Found to be the same woman as another entry: the id her group is counted under, which search
   * shows instead. On rows stored before the directory fold, the next entry of a chain.
   */
  mergedInto: EventId.optional(),
  /** Absent only on rows stored before the directory fold; they are converted at the next fold. */
  said: Said.optional(),
  /** Only on rows stored before the directory fold: the latest directory event applied to her. */
  lastChange: Stamp.optional(),
});
export type Woman = z.infer<typeof Woman>;

/**
 * A visit row holds every event about that visit; its current state is derived from them. Its id
 * is inside, as the row's key is a keyed tag of it (vault.ts); absent only on rows stored before,
 * whose key is the id itself, until they are keyed again at the next unlock.
 */
export const VisitEvents = z.object({ id: EventId.optional(), events: z.array(FootfallEvent).min(1) });
export type VisitEvents = z.infer<typeof VisitEvents>;

/** Team keys for the shared directory, newest last. Sealed at rest like everything else. */
export const TeamKeys = z.object({ keys: z.array(z.object({ version: z.number().int().min(1), raw: z.string() })).min(1) });
export type TeamKeys = z.infer<typeof TeamKeys>;

/**
 * What the directory remembers beyond its entries: the ids an erasure covers (ids only, which
 * nothing links to a name any more), so a late registration cannot bring one back; every merge
 * (ids and stamp only), so who a woman is counted under is worked out as the reports do; what was
 * said about entries whose registration has not arrived yet; and the newest shared configuration
 * applied, so an older one arriving late is ignored; and the organisation's people. Rows stored before the directory fold have
 * no merges or waiting entries: their merges are read from the entries' rows.
 */
export const DirectoryState = z.object({
  erased: DirectoryFold.shape.erased,
  merges: DirectoryFold.shape.merges.default([]),
  waiting: DirectoryFold.shape.said.default({}),
  configChange: Stamp.nullable(),
  /** The organisation's people as the staff events say (src/domain/people.ts); none on rows from before it kept them. */
  people: Roster.default(EMPTY_ROSTER),
  /** This device's site as an admin last moved it (docs/security.md#devices); none on rows from before moves were signed. */
  siteMove: Stamp.extend({ siteKey: z.string().min(1) }).nullable().default(null),
});
export type DirectoryState = z.infer<typeof DirectoryState>;

const PrivateJwk = z.object({ kty: z.literal('EC'), crv: z.literal('P-256'), x: z.string().min(1), y: z.string().min(1), d: z.string().min(1) }).strip();
/**
 * This device's private keys (signing requests and authority; opening keys sealed to it), sealed
 * like everything else, so that only an unlocked device can use them (docs/security.md#device-keys).
 */
export const DeviceSecrets = z.object({ signing: PrivateJwk, encryption: PrivateJwk });
export type DeviceSecrets = z.infer<typeof DeviceSecrets>;

/**
 * On an admin device, the statements about devices it signed itself (docs/security.md#devices),
 * kept after they are sent: the archive on this device has them only once Reports has read them
 * back, and Settings → Devices shows them at once.
 */
export const KeptStatements = z.object({
  events: z
    .array(FootfallEvent)
    .max(20_000)
    .refine((events) => events.every((e) => e.type.startsWith('device.')), 'only statements about devices are kept'),
});
export type KeptStatements = z.infer<typeof KeptStatements>;

/** The areas a staff member recorded outreach contacts in lately, so the next contact starts there. */
export const RECENT_AREAS = 5;
export const RecentAreas = z.object({ areas: z.array(z.string().min(1).max(64)).max(RECENT_AREAS) });

/**
 * What the enrolment counts and carries that a copy of the device must not read
 * (docs/security.md#what-a-copy-of-a-locked-device-shows): the next batch sequence number, an
 * admin device's certificate (which carries its issue time) and when the organisation began to
 * sign. Needed only while unlocked, so sealed under the content key like a record.
 */
/** An organisation key announced after a rotation, its signature checked: what records are sealed to. */
export const AnnouncedOrgKey = z.object({
  version: z.number().int().min(1),
  /** Its key id (src/crypto/orgKeyring.ts), written in every sealed record's header. */
  kid: z.string().min(1),
  publicKey: PublicJwk,
  /** The signed announcement it was read from, passed on to devices that join. */
  announcement: z.string().min(1),
});
export type AnnouncedOrgKey = z.infer<typeof AnnouncedOrgKey>;

export const EnrolmentMarks = z.object({
  nextSeq: z.number().int().min(0),
  certificate: z.string().min(1).optional(),
  authoritySince: Instant.optional(),
  /**
   * The newest organisation key announced and checked (docs/security.md#rotating-the-organisation-key):
   * records are sealed to it. Missing until the organisation rotates its key: they are sealed to
   * the enrolment's `orgPublicKey`. Sealed, since its announcement says when the key was rotated.
   */
  sealingKey: AnnouncedOrgKey.optional(),
  /**
   * On an admin device: the devices given every team key it holds since the key last changed
   * (src/app/sync/organisation.ts shareTeamKeys). Missing until it first shares them.
   */
  teamKeysSharedWith: z.array(z.string().min(1).max(64)).optional(),
});
export type EnrolmentMarks = z.infer<typeof EnrolmentMarks>;

/** A batch's sequence number (sent with it, and the same on every try), sealed under the upload key. */
export const BatchMarks = z.object({ seq: z.number().int().min(0) });
export type BatchMarks = z.infer<typeof BatchMarks>;

/** When the server last answered this device, sealed under the upload key. */
export const LastSync = z.object({ at: Instant });
export type LastSync = z.infer<typeof LastSync>;
