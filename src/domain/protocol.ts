/**
 * The sync protocol between devices and the endpoint: the shapes of every request and response
 * body, checked with zod on both sides. The endpoint only ever sees what is here: ids, public
 * keys, opaque sealed strings, sizes and times. Never an event, a name or an event time.
 */
import { z } from 'zod';
import { ROLES } from './roles.ts';

/** Random (v4) or time-ordered (v7) UUIDs; batch ids are always random so they say nothing. */
export const Uuid = z.uuid({ message: 'must be a UUID' });
export const OrgId = Uuid;
export const DeviceId = Uuid;
export const BatchId = z.uuid({ version: 'v4', message: 'a batch id must be a random (v4) UUID' });

/** Base64url without padding. */
export const B64u = z.string().regex(/^[A-Za-z0-9_-]*$/, 'must be base64url');

/** A JWE in compact serialisation: five base64url parts. Opaque to the endpoint. */
export const SealedText = z
  .string()
  .max(8 * 1024 * 1024)
  .regex(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/, 'must be a compact JWE');

/** A P-256 public key as a JWK: for verifying a device's signatures or sealing to it. */
export const PublicJwk = z
  .object({ kty: z.literal('EC'), crv: z.literal('P-256'), x: B64u.length(43), y: B64u.length(43) })
  .strip();
export type PublicJwk = z.infer<typeof PublicJwk>;

export const Role = z.enum(ROLES);
export type Role = z.infer<typeof Role>;

const DeviceName = z.string().trim().min(1, 'a device needs a name').max(60, 'a device name is at most 60 characters');

export const DeviceKeys = z.object({
  deviceId: DeviceId,
  name: DeviceName,
  /** ECDSA P-256: verifies this device's signed requests. */
  signingKey: PublicJwk,
  /** ECDH P-256: new team keys are sealed to it when a device is revoked. */
  encryptionKey: PublicJwk,
});
export type DeviceKeys = z.infer<typeof DeviceKeys>;

/**
 * What an admin certificate says (src/crypto/authority.ts): signed by the organisation's key, it
 * makes a device's signing key an admin's. `authoritySince` is when the organisation began to sign
 * authority: a part without a signature received before then is from before signing existed.
 */
export const AdminCertificateClaims = z.object({
  orgId: OrgId,
  deviceId: DeviceId,
  signingKey: PublicJwk,
  issuedAt: z.iso.datetime(),
  authoritySince: z.iso.datetime(),
});
export type AdminCertificateClaims = z.infer<typeof AdminCertificateClaims>;

/**
 * What a new organisation key's announcement says (src/crypto/authority.ts): signed by the
 * organisation's first key, it tells every device to seal new records to `publicKey` from now on.
 * Versions count up from 2 (the first key is version 1); a device keeps the highest it has seen.
 */
export const OrgKeyClaims = z.object({
  orgId: OrgId,
  version: z.number().int().min(2).max(1_000_000),
  publicKey: PublicJwk,
  issuedAt: z.iso.datetime(),
});
export type OrgKeyClaims = z.infer<typeof OrgKeyClaims>;

/** A copy of the organisation's private key, wrapped on the admin's device. Opaque here. */
export const WrappedOrgKey = z.object({
  id: Uuid,
  kind: z.enum(['passphrase', 'recovery']),
  wrapped: z.string().min(1).max(16_384),
});
export type WrappedOrgKey = z.infer<typeof WrappedOrgKey>;

export const CreateOrgRequest = z.object({
  orgId: OrgId,
  orgPublicKey: PublicJwk,
  adminDevice: DeviceKeys,
  wrappedKeys: z.array(WrappedOrgKey).min(1).max(16),
});
export type CreateOrgRequest = z.infer<typeof CreateOrgRequest>;

/** Lookup of a one-time enrolment code: derived from the code, so the code itself never travels. */
export const EnrolmentLookup = B64u.length(43, 'an enrolment lookup is 32 bytes of base64url');

export const CreateEnrolmentRequest = z.object({
  lookup: EnrolmentLookup,
  role: Role,
  /** What the new device needs (org public key, team keys), sealed under a key from the code. */
  package: SealedText,
  expiresAt: z.iso.datetime(),
  /** The name the admin gives the device: the server lists it under this name once it joins. Absent from older apps. */
  deviceName: DeviceName.optional(),
});
export type CreateEnrolmentRequest = z.infer<typeof CreateEnrolmentRequest>;

export const ClaimEnrolmentRequest = z.object({ lookup: EnrolmentLookup, device: DeviceKeys });
export type ClaimEnrolmentRequest = z.infer<typeof ClaimEnrolmentRequest>;
export const ClaimEnrolmentResponse = z.object({ orgId: OrgId, role: Role, package: SealedText, serverTime: z.iso.datetime() });
export type ClaimEnrolmentResponse = z.infer<typeof ClaimEnrolmentResponse>;

/**
 * One upload. Both parts are always present (the directory part may hold no events) and padded,
 * so the endpoint cannot tell a batch that registered a woman from one that did not.
 */
export const BatchUpload = z.object({
  seq: z.number().int().min(0),
  /** Activity events, sealed to the organisation's public key: no device can read them back. */
  activity: SealedText,
  /** Directory events, sealed with the team key: every enrolled device pulls these. */
  directory: SealedText,
});
export type BatchUpload = z.infer<typeof BatchUpload>;

/**
 * What a revoked device could not send, saved as a file for the admin (docs/sync.md#a-revoked-device):
 * its batches exactly as they would have been uploaded, sealed to the organisation's key and the
 * team key, so the file shows nothing to whoever carries it. The file is `RecordsFile`; its
 * `signed` is a JWS by the device's own key (src/crypto/authority.ts) of `RecordsFileContent`.
 */
export const RecordsFileContent = z.object({
  orgId: OrgId,
  deviceId: DeviceId,
  madeAt: z.iso.datetime(),
  batches: z.array(z.object({ batchId: BatchId, activity: SealedText, directory: SealedText })).max(100_000),
});
export type RecordsFileContent = z.infer<typeof RecordsFileContent>;

export const RecordsFile = z.object({
  format: z.literal('footfall-records', { message: 'is not a Footfall records file' }),
  v: z.literal(1, { message: 'is from a newer version of Footfall' }),
  signed: z.string().max(512 * 1024 * 1024),
});
export type RecordsFile = z.infer<typeof RecordsFile>;

export const BatchReceipt = z.object({
  status: z.enum(['stored', 'duplicate']),
  receivedAt: z.iso.datetime(),
  serverTime: z.iso.datetime(),
});
export type BatchReceipt = z.infer<typeof BatchReceipt>;

/** Cursors are the endpoint's own receipt order: opaque positive integers as strings. */
export const Cursor = z.string().regex(/^\d{1,18}$/, 'must be a cursor from an earlier page');

export const DirectoryPage = z.object({
  items: z.array(
    z.object({
      cursor: Cursor,
      batchId: BatchId,
      deviceId: DeviceId,
      /** Decides whether an unsigned part is from before the organisation signed authority (docs/security.md#authority). */
      receivedAt: z.iso.datetime(),
      directory: SealedText,
    }),
  ),
  next: Cursor.nullable(),
  serverTime: z.iso.datetime(),
});
export type DirectoryPage = z.infer<typeof DirectoryPage>;

/** A batch as the admin reads it back: both parts, with who sent it and when it arrived. */
const ArchiveItem = z.object({
  cursor: Cursor,
  batchId: BatchId,
  deviceId: DeviceId,
  seq: z.number().int(),
  receivedAt: z.iso.datetime(),
  /** Opened with the organisation's private key. */
  activity: SealedText,
  /** Opened with the team keys. */
  directory: SealedText,
});

/**
 * The archive as the admin's device reads it (GET /archive): every batch once, both parts on the
 * same page, in receipt order from one cursor (docs/sync.md). A page is bounded by its number of
 * batches and by their size in bytes, so `next` may come after fewer batches than the limit.
 */
export const ArchivePage = z.object({
  items: z.array(ArchiveItem),
  next: Cursor.nullable(),
  serverTime: z.iso.datetime(),
});
export type ArchivePage = z.infer<typeof ArchivePage>;

/**
 * The activity parts alone (GET /batches): how admin devices read the archive before GET /archive,
 * kept for an installed app that has not yet loaded its update.
 */
export const ActivityPage = z.object({
  items: z.array(ArchiveItem.omit({ directory: true })),
  next: Cursor.nullable(),
  serverTime: z.iso.datetime(),
});
export type ActivityPage = z.infer<typeof ActivityPage>;

export const DeviceSummary = z.object({
  deviceId: DeviceId,
  name: z.string(),
  role: Role,
  enrolledAt: z.iso.datetime(),
  lastSeenAt: z.iso.datetime().nullable(),
  revokedAt: z.iso.datetime().nullable(),
  /** New team keys are sealed to it when another device is revoked. */
  encryptionKey: PublicJwk,
  /** Verifies its signatures: an admin device checks its own before it certifies itself. */
  signingKey: PublicJwk,
});
export type DeviceSummary = z.infer<typeof DeviceSummary>;

/** A new team key, sealed to each remaining device's encryption key after a revocation. */
export const TeamKeyEnvelopes = z.object({
  version: z.number().int().min(1),
  envelopes: z.array(z.object({ deviceId: DeviceId, sealed: SealedText })).max(10_000),
});
export type TeamKeyEnvelopes = z.infer<typeof TeamKeyEnvelopes>;

/**
 * Every action the audit log knows. The endpoint writes most of them itself; the ones in
 * ReportedAuditAction happen on the admin's device (inside sealed batches the endpoint cannot
 * read), so her device reports that they happened, and nothing more.
 */
const REPORTED_AUDIT_ACTIONS = ['records.merged', 'woman.erased', 'retention.applied', 'records.imported', 'staff.changed', 'config.changed'] as const;
export const ReportedAuditAction = z.enum(REPORTED_AUDIT_ACTIONS, { message: `must be one of ${REPORTED_AUDIT_ACTIONS.join(', ')}` });
export type ReportedAuditAction = z.infer<typeof ReportedAuditAction>;

export const AuditAction = z.enum([
  'org.created',
  'enrolment.created',
  'device.enrolled',
  'device.revoked',
  'batch.uploaded',
  'archive.downloaded',
  'directory.downloaded',
  'teamKey.rotated',
  'wrappedKey.added',
  'archive.compacted',
  ...ReportedAuditAction.options,
]);
export type AuditAction = z.infer<typeof AuditAction>;

/** What an admin device reports: the action alone, never whom or what it touched. */
export const AuditRequest = z.object({ action: ReportedAuditAction });
export type AuditRequest = z.infer<typeof AuditRequest>;

export const AuditPage = z.object({
  entries: z.array(
    z.object({
      cursor: Cursor,
      orgId: OrgId,
      at: z.iso.datetime(),
      /** The device that acted, or null for the endpoint itself or an enrolling device. */
      actor: DeviceId.nullable(),
      action: AuditAction,
      /** A device id, a batch id or a compaction's reason. Never content. */
      subject: z.string().nullable(),
    }),
  ),
  next: Cursor.nullable(),
  serverTime: z.iso.datetime(),
});
export type AuditPage = z.infer<typeof AuditPage>;

/** Most batches one compaction may store, and most it may supersede; more is done in several compactions. */
export const COMPACTION_MAX_BATCHES = 100;
export const COMPACTION_MAX_SUPERSEDED = 10_000;

/**
 * A compaction: the admin's device re-sealed what some batches held (less what an erasure or the
 * retention rule removed) into new batches, which replace them. The endpoint stores the new ones
 * as the admin device's batches, removes the superseded ones and remembers their ids (so a device
 * retrying an old upload cannot bring erased content back), all at once. Batches received after
 * the snapshot was made are not in `supersedes` and stay.
 */
export const CompactionRequest = z
  .object({
    batches: z
      .array(BatchUpload.extend({ batchId: BatchId }))
      .max(COMPACTION_MAX_BATCHES, `must hold at most ${COMPACTION_MAX_BATCHES} batches; split the snapshot into several compactions`),
    supersedes: z
      .array(BatchId)
      .min(1, 'must name at least one batch that the new batches replace')
      .max(COMPACTION_MAX_SUPERSEDED, `must name at most ${COMPACTION_MAX_SUPERSEDED} batches; split the snapshot into several compactions`),
    reason: z.enum(['erasure', 'retention'], { message: 'must be erasure or retention' }),
  })
  .superRefine((body, ctx) => {
    const superseded = new Set<string>();
    body.supersedes.forEach((id, i) => {
      const key = id.toLowerCase();
      if (superseded.has(key)) ctx.addIssue({ code: 'custom', path: ['supersedes', i], message: 'names a batch already named earlier in the list' });
      superseded.add(key);
    });
    const added = new Set<string>();
    body.batches.forEach((b, i) => {
      const key = b.batchId.toLowerCase();
      if (added.has(key)) ctx.addIssue({ code: 'custom', path: ['batches', i, 'batchId'], message: 'is the id of an earlier batch in the list; give each new batch its own id' });
      if (superseded.has(key)) ctx.addIssue({ code: 'custom', path: ['batches', i, 'batchId'], message: 'is also in supersedes: a new batch cannot replace itself' });
      added.add(key);
    });
  });
export type CompactionRequest = z.infer<typeof CompactionRequest>;

export const CompactionReceipt = z.object({
  /** New batches stored now, and those already stored by an earlier attempt of the same compaction. */
  stored: z.number().int().min(0),
  alreadyStored: z.number().int().min(0),
  /** Superseded batches removed now, and those an earlier compaction had already removed. */
  removed: z.number().int().min(0),
  alreadyRemoved: z.number().int().min(0),
  serverTime: z.iso.datetime(),
});
export type CompactionReceipt = z.infer<typeof CompactionReceipt>;

/** Every error the endpoint sends: a stable code and a sentence saying what to do. */
export const ApiError = z.object({ error: z.string(), message: z.string() });
export type ApiError = z.infer<typeof ApiError>;

/** The header that carries the host's set-up token when creating an organisation needs one. */
export const SETUP_TOKEN_HEADER = 'footfall-setup-token';

/** Headers of a signed request. */
export const SIGNATURE_HEADERS = {
  org: 'footfall-org',
  device: 'footfall-device',
  timestamp: 'footfall-timestamp',
  signature: 'footfall-signature',
} as const;
