/**
 * The one storage interface of the endpoint. SQLite (embedded, the default) and PostgreSQL (for a
 * host that serves many organisations) both implement it, and one contract test suite runs
 * against both. Everything stored is ciphertext, public keys, ids and times.
 */
import type { AuditAction, PublicJwk, Role, WrappedOrgKey } from '../../domain/protocol.ts';

export interface StoredOrg {
  orgId: string;
  orgPublicKey: PublicJwk;
  createdAt: string;
}

export interface StoredDevice {
  orgId: string;
  deviceId: string;
  name: string;
  role: Role;
  signingKey: PublicJwk;
  encryptionKey: PublicJwk;
  enrolledAt: string;
  lastSeenAt: string | null;
  revokedAt: string | null;
}

export interface NewEnrolment {
  orgId: string;
  /** Derived from the one-time code; the code itself is never sent. Unique across the host. */
  lookup: string;
  role: Role;
  package: string;
  createdBy: string;
  createdAt: string;
  expiresAt: string;
  /** The name the admin gave the device; it replaces the one the device claims with. Null from older apps. */
  deviceName?: string;
}

export interface StoredBatch {
  /** The endpoint's receipt order within the host, as a decimal string. */
  cursor: string;
  orgId: string;
  batchId: string;
  deviceId: string;
  seq: number;
  activity: string;
  directory: string;
  /** SHA-256 (base64url) of the canonical upload: decides "same batch again" from "same id, other bytes". */
  sha256: string;
  /** Bytes of activity plus directory. */
  size: number;
  receivedAt: string;
}

export type NewBatch = Omit<StoredBatch, 'cursor'>;

/** One page of an organisation's batches (Storage.listBatchPage). */
export interface BatchPage {
  batches: StoredBatch[];
  /** When more batches follow: the cursor to read on after (the last one this page covers). Null at the end. */
  next: string | null;
}

/** A batch as the shared directory lists it (Storage.listDirectoryPage): its directory part alone. */
export type DirectoryEntry = Pick<StoredBatch, 'cursor' | 'batchId' | 'deviceId' | 'receivedAt' | 'directory'>;

/** One page of an organisation's directory parts, `next` as in BatchPage. */
export interface DirectoryPageRows {
  entries: DirectoryEntry[];
  next: string | null;
}

export type PutBatchResult = { status: 'stored' | 'duplicate'; receivedAt: string } | { status: 'conflict' };

/** New batches that replace others, written as one transaction by `Storage.compact`. */
export interface Compaction {
  orgId: string;
  /** Stored like uploads: an id already received with the same bytes is left as it is. */
  batches: NewBatch[];
  /** Ids of the batches the new ones replace: each must be a batch of the organisation, or a removed one. */
  supersedes: string[];
  /** When the superseded batches are removed. */
  at: string;
  /** Appended in the same transaction, and only when the compaction changed something. */
  audit: NewAuditEntry;
}

export type CompactionResult =
  | { status: 'compacted'; stored: number; alreadyStored: number; removed: number; alreadyRemoved: number }
  /** Nothing was changed: these superseded ids are not batches of the organisation. */
  | { status: 'unknownBatches'; batchIds: string[] }
  /** Nothing was changed: these new batch ids were already received with other bytes. */
  | { status: 'conflict'; batchIds: string[] };

export interface AuditEntry {
  cursor: string;
  orgId: string;
  at: string;
  /** The device that acted, or null for the endpoint itself or an enrolling device. */
  actor: string | null;
  action: AuditAction;
  /** What it acted on: a device or batch id, or a compaction's reason. Never content. */
  subject: string | null;
}

export type NewAuditEntry = Omit<AuditEntry, 'cursor'>;

export interface TeamKeyEnvelope {
  version: number;
  sealed: string;
}

/** One request counted against a rate limit (Storage.countRequest). */
export interface RequestCount {
  /** Requests under the key in its current window, this one included. */
  count: number;
  /** Until the window ends and the count starts again. */
  resetInMs: number;
}

export class OrgExistsError extends Error {
  constructor() {
    super('An organisation with this id already exists.');
    this.name = 'OrgExistsError';
  }
}

export class DeviceExistsError extends Error {
  constructor() {
    super('A device with this id is already enrolled.');
    this.name = 'DeviceExistsError';
  }
}

/**
 * The codes each store uses for "no room left": SQLite's SQLITE_FULL (better-sqlite3 puts it in
 * `code`), PostgreSQL's SQLSTATE 53100 disk_full (node-postgres's `code`) and the system's ENOSPC
 * (a file the store writes itself). A write that fails so was rolled back: nothing was stored.
 */
const OUT_OF_SPACE_CODES: ReadonlySet<unknown> = new Set(['SQLITE_FULL', '53100', 'ENOSPC']);

/** True when a storage error, or one it was caused by, says the disk is full. */
export function isOutOfSpace(error: unknown): boolean {
  // A few links of `cause` at most: a driver may wrap the system's error, and a cycle must not hang.
  for (let e = error, depth = 0; e instanceof Object && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    if (OUT_OF_SPACE_CODES.has((e as { code?: unknown }).code)) return true;
  }
  return false;
}

export interface Storage {
  /** The organisation, its first admin device and her wrapped keys, in one transaction. */
  createOrg(org: StoredOrg, admin: StoredDevice, wrappedKeys: WrappedOrgKey[]): Promise<void>;
  getOrg(orgId: string): Promise<StoredOrg | null>;

  getDevice(orgId: string, deviceId: string): Promise<StoredDevice | null>;
  listDevices(orgId: string): Promise<StoredDevice[]>;
  /** Returns false when the device does not exist; revoking twice keeps the first time. */
  revokeDevice(orgId: string, deviceId: string, at: string): Promise<boolean>;
  touchDevice(orgId: string, deviceId: string, at: string): Promise<void>;

  /** A retried request for the same code (same lookup) changes nothing: the first one stands. */
  createEnrolment(enrolment: NewEnrolment): Promise<void>;
  /**
   * Uses a one-time code, atomically: the code must exist, be unused and unexpired at `now`; the
   * device is added in the same transaction, and the stored package is emptied: it is answered
   * this once, so a spent code (left in a browser's History) opens nothing on a copy of the
   * server. Null when the code cannot be used, for any reason.
   */
  claimEnrolment(
    lookup: string,
    now: string,
    device: Omit<StoredDevice, 'orgId' | 'role' | 'enrolledAt' | 'lastSeenAt' | 'revokedAt'>,
  ): Promise<{ orgId: string; role: Role; package: string } | null>;

  /**
   * Idempotent by (orgId, batchId): the same bytes again are a duplicate, other bytes a conflict.
   * That holds for a batch a compaction has removed too (its id is remembered as a tombstone), so
   * a device retrying an upload whose answer it missed never brings removed content back.
   * `audit`, when given, is appended in the same transaction as the batch and only when the batch
   * is stored (never for a duplicate or a conflict): both are kept, or neither.
   */
  putBatch(batch: NewBatch, audit?: NewAuditEntry): Promise<PutBatchResult>;
  /** What putBatch would answer for this batch if its id is taken already (stored or removed), else null. Changes nothing. */
  findBatch(batch: Pick<NewBatch, 'orgId' | 'batchId' | 'sha256'>): Promise<PutBatchResult | null>;
  /** Bytes of sealed parts an organisation's batches hold (their `size`), removed batches not counted. */
  storedBytes(orgId: string): Promise<number>;
  /** An organisation's batches in receipt order; removed batches are not listed. */
  listBatches(orgId: string, after: string | null, limit: number): Promise<StoredBatch[]>;
  /**
   * The admin's page of the archive: an organisation's batches in receipt order, whole, at most
   * `limit` of them and at most `maxBytes` of sealed parts (their `size`) in all, except that the
   * first is always listed so that paging moves on whatever one batch's size. Removed batches are
   * not listed.
   */
  listBatchPage(orgId: string, after: string | null, limit: number, maxBytes: number): Promise<BatchPage>;
  /**
   * A device's page of the shared directory: as listBatchPage, but only each batch's directory
   * part, and bounded by those parts' bytes. A device cannot read the activity parts (they are
   * sealed to the organisation); read and counted, a 1 MiB activity part put one or two batches
   * on a page, and a device back from a day offline asked for page after page.
   */
  listDirectoryPage(orgId: string, after: string | null, limit: number, maxBytes: number): Promise<DirectoryPageRows>;
  /**
   * Erasure and retention, in one transaction: stores the new batches, removes the superseded ones
   * (their content goes, their ids stay as tombstones) and appends the audit entry. Either all of
   * it happens or, when a superseded id is unknown or a new id is taken by other bytes, none of it.
   * The same compaction again changes nothing.
   */
  compact(compaction: Compaction): Promise<CompactionResult>;

  addWrappedKeys(orgId: string, keys: WrappedOrgKey[]): Promise<void>;
  listWrappedKeys(orgId: string): Promise<WrappedOrgKey[]>;

  putTeamKeyEnvelopes(orgId: string, version: number, envelopes: { deviceId: string; sealed: string }[]): Promise<void>;
  listTeamKeyEnvelopes(orgId: string, deviceId: string): Promise<TeamKeyEnvelope[]>;

  appendAudit(entry: NewAuditEntry): Promise<void>;
  listAudit(orgId: string, after: string | null, limit: number): Promise<AuditEntry[]>;

  /**
   * Counts one request under a rate limit's `key`, in a window of `windowMs` that starts with the
   * key's first request, kept where every endpoint process on this store counts alike: so a limit
   * holds for the host, however many processes share the work (docs/sync.md#several-endpoint-processes).
   * Only on a store several processes can share (PostgreSQL). Without it, each process counts in
   * its own memory, which is the whole count when one process owns the store (SQLite).
   */
  countRequest?(key: string, windowMs: number): Promise<RequestCount>;

  close(): Promise<void>;
}
