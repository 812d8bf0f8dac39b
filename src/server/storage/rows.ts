/**
 * What the two adapters share beyond SQL: checking arguments and turning rows into the storage
 * types. SQLite hands back TEXT, numbers and JSON text; PostgreSQL hands back Dates, BIGINTs as
 * strings and parsed JSONB. These helpers accept both, so each adapter only writes its SQL.
 */
import type { PublicJwk, Role, WrappedOrgKey } from '../../domain/protocol.ts';
import type { AuditEntry, CompactionResult, DirectoryEntry, StoredBatch, StoredDevice, StoredOrg, TeamKeyEnvelope } from './types.ts';

type Time = string | Date;
type Int = number | string | bigint;

/**
 * Every time goes in and comes out as `YYYY-MM-DDTHH:MM:SS.sssZ`. One format everywhere means
 * SQLite can compare times as text and both adapters return byte-identical values.
 */
export function isoTime(t: Time): string {
  const d = typeof t === 'string' ? new Date(t) : t;
  if (Number.isNaN(d.getTime())) throw new RangeError(`Not a valid time: ${String(t)}`);
  return d.toISOString();
}

/** Cursors are decimal strings of the receipt order; null means "from the beginning". */
export function afterCursor(after: string | null): string {
  if (after === null) return '0';
  if (!/^\d{1,18}$/.test(after)) throw new RangeError('A cursor is a decimal string from an earlier page.');
  return after;
}

export function pageLimit(limit: number): number {
  if (!Number.isSafeInteger(limit) || limit < 1) throw new RangeError('A page limit is a positive whole number.');
  return limit;
}

const jwk = (v: unknown): PublicJwk => (typeof v === 'string' ? JSON.parse(v) : v) as PublicJwk;
const timeOrNull = (t: Time | null): string | null => (t === null ? null : isoTime(t));

export interface OrgRow {
  org_id: string;
  public_key: unknown;
  created_at: Time;
}
export const toOrg = (r: OrgRow): StoredOrg => ({ orgId: r.org_id, orgPublicKey: jwk(r.public_key), createdAt: isoTime(r.created_at) });

export interface DeviceRow {
  org_id: string;
  device_id: string;
  name: string;
  role: string;
  signing_key: unknown;
  encryption_key: unknown;
  enrolled_at: Time;
  last_seen_at: Time | null;
  revoked_at: Time | null;
}
export const toDevice = (r: DeviceRow): StoredDevice => ({
  orgId: r.org_id,
  deviceId: r.device_id,
  name: r.name,
  role: r.role as Role,
  signingKey: jwk(r.signing_key),
  encryptionKey: jwk(r.encryption_key),
  enrolledAt: isoTime(r.enrolled_at),
  lastSeenAt: timeOrNull(r.last_seen_at),
  revokedAt: timeOrNull(r.revoked_at),
});

export interface EnrolmentRow {
  org_id: string;
  role: string;
  package: string;
  device_name: string | null;
}
export const toClaim = (r: EnrolmentRow) => ({ orgId: r.org_id, role: r.role as Role, package: r.package });

export interface BatchRow {
  cursor: Int;
  org_id: string;
  batch_id: string;
  device_id: string;
  seq: Int;
  activity: string;
  directory: string;
  sha256: string;
  size: Int;
  received_at: Time;
}
export const toBatch = (r: BatchRow): StoredBatch => ({
  cursor: String(r.cursor),
  orgId: r.org_id,
  batchId: r.batch_id,
  deviceId: r.device_id,
  seq: Number(r.seq),
  activity: r.activity,
  directory: r.directory,
  sha256: r.sha256,
  size: Number(r.size),
  receivedAt: isoTime(r.received_at),
});

/** The columns of a batch the directory lists. */
export type DirectoryRow = Pick<BatchRow, 'cursor' | 'batch_id' | 'device_id' | 'directory' | 'received_at'>;
export const toDirectoryEntry = (r: DirectoryRow): DirectoryEntry => ({
  cursor: String(r.cursor),
  batchId: r.batch_id,
  deviceId: r.device_id,
  receivedAt: isoTime(r.received_at),
  directory: r.directory,
});

export interface WrappedKeyRow {
  key_id: string;
  kind: string;
  wrapped: string;
}
export const toWrappedKey = (r: WrappedKeyRow): WrappedOrgKey => ({ id: r.key_id, kind: r.kind as WrappedOrgKey['kind'], wrapped: r.wrapped });

export interface EnvelopeRow {
  version: Int;
  sealed: string;
}
export const toEnvelope = (r: EnvelopeRow): TeamKeyEnvelope => ({ version: Number(r.version), sealed: r.sealed });

export interface AuditRow {
  cursor: Int;
  org_id: string;
  at: Time;
  actor: string | null;
  action: string;
  subject: string | null;
}
export const toAudit = (r: AuditRow): AuditEntry => ({
  cursor: String(r.cursor),
  orgId: r.org_id,
  at: isoTime(r.at),
  actor: r.actor,
  action: r.action as AuditEntry['action'],
  subject: r.subject,
});

/**
 * Which batches a page of Storage.listBatchPage covers, from their sizes in receipt order: at most
 * `limit`, and at most `maxBytes` in all past the first. Reads `sizes` no further than one batch
 * past the page, so an adapter may hand it a lazy listing. Returns the page's cursors and whether
 * a batch follows it.
 */
export function batchPageCursors(sizes: Iterable<{ cursor: Int; size: Int }>, limit: number, maxBytes: number): { cursors: string[]; more: boolean } {
  const cursors: string[] = [];
  let bytes = 0;
  for (const row of sizes) {
    const size = Number(row.size);
    if (cursors.length === limit || (cursors.length > 0 && bytes + size > maxBytes)) return { cursors, more: true };
    cursors.push(String(row.cursor));
    bytes += size;
  }
  return { cursors, more: false };
}

/** Decides a putBatch that found the id already taken: same bytes is a retry, other bytes a conflict. */
export function existingBatchResult(existing: { sha256: string; received_at: Time }, sha256: string) {
  return existing.sha256 === sha256
    ? ({ status: 'duplicate', receivedAt: isoTime(existing.received_at) } as const)
    : ({ status: 'conflict' } as const);
}

/** The superseded ids a compaction names that are not batches of the organisation (removed ones count as batches). */
export function unknownBatchIds(supersedes: readonly string[], found: Iterable<string>): string[] {
  const known = new Set(found);
  return supersedes.filter((id) => !known.has(id));
}

/**
 * Thrown inside a compaction's transaction to roll back what it wrote so far; the adapter catches
 * it outside the transaction and answers with its result.
 */
export class CompactionRefused extends Error {
  constructor(readonly result: Exclude<CompactionResult, { status: 'compacted' }>) {
    super(`Compaction refused: ${result.status}`);
    this.name = 'CompactionRefused';
  }
}
