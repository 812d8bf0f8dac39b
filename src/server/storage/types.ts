/**
 * The one storage interface of the endpoint. SQLite (embedded, the default) and PostgreSQL (for a
 * host that serves many organisations) both implement it, and one contract test suite runs
 * against both. Everything stored is ciphertext, public keys, ids and times.
 */
import type { PublicJwk, Role, WrappedOrgKey } from '../../domain/protocol.ts';

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

export type PutBatchResult = { status: 'stored' | 'duplicate'; receivedAt: string } | { status: 'conflict' };

export interface AuditEntry {
  cursor: string;
  orgId: string;
  at: string;
  /** The device that acted, or null for the endpoint itself or an enrolling device. */
  actor: string | null;
  action: 'org.created' | 'enrolment.created' | 'device.enrolled' | 'device.revoked' | 'batch.uploaded' | 'archive.downloaded' | 'directory.downloaded' | 'teamKey.rotated' | 'wrappedKey.added';
  /** What it acted on: a device or batch id. Never content. */
  subject: string | null;
}

export type NewAuditEntry = Omit<AuditEntry, 'cursor'>;

export interface TeamKeyEnvelope {
  version: number;
  sealed: string;
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
   * device is added in the same transaction. Null when the code cannot be used, for any reason.
   */
  claimEnrolment(
    lookup: string,
    now: string,
    device: Omit<StoredDevice, 'orgId' | 'role' | 'enrolledAt' | 'lastSeenAt' | 'revokedAt'>,
  ): Promise<{ orgId: string; role: Role; package: string } | null>;

  /**
   * Idempotent by (orgId, batchId): the same bytes again are a duplicate, other bytes a conflict.
   * `audit`, when given, is appended in the same transaction as the batch and only when the batch
   * is stored (never for a duplicate or a conflict): both are kept, or neither.
   */
  putBatch(batch: NewBatch, audit?: NewAuditEntry): Promise<PutBatchResult>;
  listBatches(orgId: string, after: string | null, limit: number): Promise<StoredBatch[]>;
  /** Removes superseded batches (erasure and compaction). Returns how many were removed. */
  deleteBatches(orgId: string, batchIds: string[]): Promise<number>;

  addWrappedKeys(orgId: string, keys: WrappedOrgKey[]): Promise<void>;
  listWrappedKeys(orgId: string): Promise<WrappedOrgKey[]>;

  putTeamKeyEnvelopes(orgId: string, version: number, envelopes: { deviceId: string; sealed: string }[]): Promise<void>;
  listTeamKeyEnvelopes(orgId: string, deviceId: string): Promise<TeamKeyEnvelope[]>;

  appendAudit(entry: NewAuditEntry): Promise<void>;
  listAudit(orgId: string, after: string | null, limit: number): Promise<AuditEntry[]>;

  close(): Promise<void>;
}
