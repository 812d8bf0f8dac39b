/**
 * The default storage: one SQLite file in the data folder. WAL lets reads carry on during a write.
 * better-sqlite3 is synchronous, so each method runs to completion without interleaving; the
 * transactions still matter for atomicity and for a second process on the same file.
 *
 * Group commit. Writes are queued and, once per turn of the event loop, everything queued runs in
 * one transaction, each write in its own savepoint: a write that fails is rolled back alone and
 * rejects alone, the others commit together. Writes run in the order they were made. Reads run
 * at once, on what has been committed.
 *
 * Durability without blocking (docs/sync.md#durability-of-the-sqlite-store). Every write
 * must survive a power cut once its promise settles. SQLite's synchronous = FULL would make each
 * commit wait for the disk inside the commit, on the event loop, where nothing else can run. So
 * the database runs with synchronous = NORMAL (commits append to the write-ahead log without
 * waiting for the disk; SQLite still syncs the log before each checkpoint copies it into the
 * database) and this adapter itself flushes the log to disk (fdatasync, on libuv's thread pool)
 * after each group commit and before any write of that group settles. One flush covers every
 * commit made before it began, so groups committed while a flush is under way share the next one.
 * Reads that hand stored content or cursors onward also wait until what they read is on disk, so
 * nothing is ever said that a power cut could take back.
 */
import { chmodSync, closeSync, existsSync, fdatasync, mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { startCheckpointer } from './sqliteCheckpointer.ts';
import { utf8Writer } from './sqliteText.ts';
import {
  afterCursor,
  batchPageCursors,
  CompactionRefused,
  existingBatchResult,
  isoTime,
  pageLimit,
  toAudit,
  toBatch,
  toClaim,
  toDirectoryEntry,
  toDevice,
  toEnvelope,
  toOrg,
  toWrappedKey,
  unknownBatchIds,
} from './rows.ts';
import type { AuditRow, BatchRow, DeviceRow, DirectoryRow, EnrolmentRow, EnvelopeRow, OrgRow, WrappedKeyRow } from './rows.ts';
import type { Role } from '../../domain/protocol.ts';
import { DeviceExistsError, OrgExistsError, type Compaction, type CompactionResult, type NewAuditEntry, type NewBatch, type Storage, type StoredDevice } from './types.ts';

export const SQLITE_FILE = 'footfall.sqlite3';

/** Version n is MIGRATIONS[n - 1]. Append only: a released migration is never edited. */
export const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE orgs (
    org_id TEXT PRIMARY KEY,
    public_key TEXT NOT NULL,
    created_at TEXT NOT NULL
  ) STRICT;
  CREATE TABLE devices (
    org_id TEXT NOT NULL REFERENCES orgs (org_id),
    device_id TEXT NOT NULL,
    name TEXT NOT NULL,
    role TEXT NOT NULL,
    signing_key TEXT NOT NULL,
    encryption_key TEXT NOT NULL,
    enrolled_at TEXT NOT NULL,
    last_seen_at TEXT,
    revoked_at TEXT,
    PRIMARY KEY (org_id, device_id)
  ) STRICT;
  CREATE TABLE enrolments (
    lookup TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES orgs (org_id),
    role TEXT NOT NULL,
    package TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used_at TEXT,
    used_by TEXT
  ) STRICT;
  CREATE TABLE batches (
    cursor INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id TEXT NOT NULL REFERENCES orgs (org_id),
    batch_id TEXT NOT NULL,
    device_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    activity TEXT NOT NULL,
    directory TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    size INTEGER NOT NULL,
    received_at TEXT NOT NULL,
    UNIQUE (org_id, batch_id),
    FOREIGN KEY (org_id, device_id) REFERENCES devices (org_id, device_id)
  ) STRICT;
  CREATE INDEX batches_by_org ON batches (org_id, cursor);
  CREATE TABLE wrapped_keys (
    position INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id TEXT NOT NULL REFERENCES orgs (org_id),
    key_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    wrapped TEXT NOT NULL,
    UNIQUE (org_id, key_id)
  ) STRICT;
  CREATE TABLE team_key_envelopes (
    org_id TEXT NOT NULL,
    device_id TEXT NOT NULL,
    version INTEGER NOT NULL,
    sealed TEXT NOT NULL,
    PRIMARY KEY (org_id, device_id, version),
    FOREIGN KEY (org_id, device_id) REFERENCES devices (org_id, device_id)
  ) STRICT;
  CREATE TABLE audit (
    cursor INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id TEXT NOT NULL REFERENCES orgs (org_id),
    at TEXT NOT NULL,
    actor TEXT,
    action TEXT NOT NULL,
    subject TEXT
  ) STRICT;
  CREATE INDEX audit_by_org ON audit (org_id, cursor);
  `,
  // Tombstones. A batch a compaction removes keeps its row, without its content, so that its id
  // stays taken: the unique (org_id, batch_id) key that makes uploads idempotent then also answers
  // a retried upload of a removed batch, with no extra query on the upload path.
  `
  ALTER TABLE batches ADD COLUMN removed_at TEXT;
  `,
  // What an organisation keeps, for its storage quota (api/orgQuota.ts): the sizes of its batches
  // still held, in an index, so that summing them reads the index alone and never the sealed parts.
  `
  CREATE INDEX batches_held_sizes ON batches (org_id, size) WHERE removed_at IS NULL;
  `,
  // A claimed code's package is emptied (claimEnrolment): a spent code left in a browser's
  // History must open nothing on a copy of the server. Codes claimed before this lose theirs here.
  `
  UPDATE enrolments SET package = '' WHERE used_at IS NOT NULL;
  `,
  // The name the admin gave a device when she made its code: the device takes it when it claims
  // the code (it cannot know it before opening the package). Null for codes made before.
  `
  ALTER TABLE enrolments ADD COLUMN device_name TEXT;
  `,
];

function migrate(db: Database.Database): void {
  // IMMEDIATE takes the write lock first, so two processes opening one folder apply each migration once.
  db.transaction(() => {
    db.exec('CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL) STRICT');
    const { current } = db.prepare('SELECT COALESCE(MAX(version), 0) AS current FROM schema_version').get() as { current: number };
    const record = db.prepare('INSERT INTO schema_version (version, applied_at) VALUES (?, ?)');
    MIGRATIONS.forEach((sql, i) => {
      if (i + 1 <= current) return;
      db.exec(sql);
      record.run(i + 1, new Date().toISOString());
    });
  }).immediate();
}

/** The database and the files SQLite keeps beside it (write-ahead log, shared memory, journal). */
const SQLITE_FILES = [SQLITE_FILE, `${SQLITE_FILE}-wal`, `${SQLITE_FILE}-shm`, `${SQLITE_FILE}-journal`];

/**
 * The data folder and the database files are the server user's alone (docs/security.md#the-endpoint):
 * they hold wrapped organisation keys, whose passphrase anyone who can read them can search
 * offline, and the sealed records. A folder this creates is 0700. The database file is created
 * 0600 before SQLite opens it, because SQLite gives its log and shared-memory files the database
 * file's permissions; files left by an earlier version, made under the usual umask as 0644, are
 * set to 0600 too. A folder that already existed keeps the mode its owner chose.
 */
function restrictFiles(dataDir: string): void {
  if (mkdirSync(dataDir, { recursive: true, mode: 0o700 }) !== undefined) chmodSync(dataDir, 0o700);
  // Creates the file if it is missing (the mode applies only then) and leaves one that exists as it is.
  closeSync(openSync(join(dataDir, SQLITE_FILE), 'a', 0o600));
  try {
    for (const name of SQLITE_FILES) {
      const path = join(dataDir, name);
      if (existsSync(path)) chmodSync(path, 0o600);
    }
  } catch (error) {
    throw new Error(
      `Footfall cannot start: it could not make the database files in ${dataDir} readable by its own user only (${(error as Error).message}). ` +
        'Run Footfall as the user that owns the data folder and its files, or give that user ownership of them.',
      { cause: error },
    );
  }
}

export interface SqliteOptions {
  /**
   * Flushes a file's data to disk and calls back: fs.fdatasync, which runs on the thread pool.
   * Replaceable so a test can hold a flush and see that nothing is acknowledged before it ends.
   */
  syncFile?: (fd: number, done: (error: NodeJS.ErrnoException | null) => void) => void;
  /**
   * Where the write-ahead log is checkpointed: on a worker thread (sqliteCheckpointer.ts, the
   * default) or, 'inline', by SQLite itself inside the commits on the event loop. 'inline' is
   * there for the bench, to measure what the worker wins.
   */
  checkpoints?: 'worker' | 'inline';
}

export async function openSqliteStorage(dataDir: string, options: SqliteOptions = {}): Promise<Storage> {
  const syncFile = options.syncFile ?? fdatasync;
  restrictFiles(dataDir);
  const db = new Database(join(dataDir, SQLITE_FILE));
  try {
    // Checked, not assumed: SQLite quietly stays in its rollback journal where WAL cannot work (a
    // network share, for one), and there every durable commit would cost several disk flushes.
    const journal = db.pragma('journal_mode = WAL', { simple: true });
    if (journal !== 'wal') {
      throw new Error(
        `Footfall cannot start: SQLite could not use write-ahead logging for ${join(dataDir, SQLITE_FILE)} (it stayed in "${String(journal)}" mode). ` +
          'Put the data folder on a local disk, not a network share, and start again.',
      );
    }
    // Durable all the same: see "Durability without blocking" above.
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
    // Content a compaction removes (an erased woman's records) is overwritten with zeros in the
    // file, not left in free pages. Uploads add rows and rewrite a last-seen time in place, which
    // frees nothing, so this costs them nothing.
    db.pragma('secure_delete = ON');
    migrate(db);
  } catch (error) {
    db.close();
    throw error;
  }
  // The log exists once the migrations have written, and stays the same file while this
  // connection is open: SQLite deletes it only when the last connection closes, and a checkpoint
  // that empties it truncates it in place.
  const logFd = openSync(join(dataDir, `${SQLITE_FILE}-wal`), 'r');
  const checkpointer = options.checkpoints === 'inline' ? null : startCheckpointer(db, join(dataDir, SQLITE_FILE));

  const s = {
    insertOrg: db.prepare('INSERT INTO orgs (org_id, public_key, created_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING'),
    getOrg: db.prepare('SELECT * FROM orgs WHERE org_id = ?'),
    insertDevice: db.prepare(
      `INSERT INTO devices (org_id, device_id, name, role, signing_key, encryption_key, enrolled_at, last_seen_at, revoked_at)
       VALUES (@org_id, @device_id, @name, @role, @signing_key, @encryption_key, @enrolled_at, @last_seen_at, @revoked_at)
       ON CONFLICT DO NOTHING`,
    ),
    getDevice: db.prepare('SELECT * FROM devices WHERE org_id = ? AND device_id = ?'),
    listDevices: db.prepare('SELECT * FROM devices WHERE org_id = ? ORDER BY enrolled_at, device_id'),
    revokeDevice: db.prepare('UPDATE devices SET revoked_at = COALESCE(revoked_at, ?) WHERE org_id = ? AND device_id = ?'),
    // Requests can arrive out of order; last seen never goes backwards.
    touchDevice: db.prepare("UPDATE devices SET last_seen_at = MAX(COALESCE(last_seen_at, ''), ?) WHERE org_id = ? AND device_id = ?"),
    insertEnrolment: db.prepare(
      `INSERT INTO enrolments (lookup, org_id, role, package, created_by, created_at, expires_at, device_name)
       VALUES (@lookup, @org_id, @role, @package, @created_by, @created_at, @expires_at, @device_name)
       ON CONFLICT (lookup) DO NOTHING`,
    ),
    // A code whose admin device was revoked since is unusable (docs/security.md#enrolment-codes).
    useEnrolment: db.prepare(
      `UPDATE enrolments SET used_at = @now, used_by = @device_id
       WHERE lookup = @lookup AND used_at IS NULL AND expires_at > @now
         AND NOT EXISTS (SELECT 1 FROM devices d WHERE d.org_id = enrolments.org_id AND d.device_id = enrolments.created_by AND d.revoked_at IS NOT NULL)
       RETURNING org_id, role, package, device_name`,
    ),
    emptyEnrolmentPackage: db.prepare("UPDATE enrolments SET package = '' WHERE lookup = ?"),
    insertBatch: db.prepare(
      `INSERT INTO batches (org_id, batch_id, device_id, seq, activity, directory, sha256, size, received_at)
       VALUES (@org_id, @batch_id, @device_id, @seq, CAST(@activity AS TEXT), CAST(@directory AS TEXT), @sha256, @size, @received_at)
       ON CONFLICT (org_id, batch_id) DO NOTHING`,
    ),
    getBatchSha: db.prepare('SELECT sha256, received_at FROM batches WHERE org_id = ? AND batch_id = ?'),
    storedBytes: db.prepare('SELECT COALESCE(SUM(size), 0) FROM batches INDEXED BY batches_held_sizes WHERE org_id = ? AND removed_at IS NULL').pluck(),
    listBatches: db.prepare('SELECT * FROM batches WHERE org_id = ? AND cursor > ? AND removed_at IS NULL ORDER BY cursor LIMIT ?'),
    listBatchSizes: db.prepare('SELECT cursor, size FROM batches WHERE org_id = ? AND cursor > ? AND removed_at IS NULL ORDER BY cursor LIMIT ?'),
    listBatchRange: db.prepare('SELECT * FROM batches WHERE org_id = ? AND cursor > ? AND cursor <= ? AND removed_at IS NULL ORDER BY cursor'),
    // octet_length reads a value's length from the record's header, not the value.
    listDirectorySizes: db.prepare('SELECT cursor, octet_length(directory) AS size FROM batches WHERE org_id = ? AND cursor > ? AND removed_at IS NULL ORDER BY cursor LIMIT ?'),
    listDirectoryRange: db.prepare(
      'SELECT cursor, batch_id, device_id, directory, received_at FROM batches WHERE org_id = ? AND cursor > ? AND cursor <= ? AND removed_at IS NULL ORDER BY cursor',
    ),
    // Removed ones included: naming an already removed batch again is a retry, not a mistake.
    findBatchIds: db.prepare('SELECT batch_id FROM batches WHERE org_id = ? AND batch_id IN (SELECT value FROM json_each(?))').pluck(),
    removeBatches: db.prepare(
      `UPDATE batches SET activity = '', directory = '', removed_at = ?
       WHERE org_id = ? AND removed_at IS NULL AND batch_id IN (SELECT value FROM json_each(?))`,
    ),
    insertWrappedKey: db.prepare('INSERT INTO wrapped_keys (org_id, key_id, kind, wrapped) VALUES (?, ?, ?, ?) ON CONFLICT (org_id, key_id) DO NOTHING'),
    listWrappedKeys: db.prepare('SELECT key_id, kind, wrapped FROM wrapped_keys WHERE org_id = ? ORDER BY position'),
    putEnvelope: db.prepare(
      `INSERT INTO team_key_envelopes (org_id, device_id, version, sealed) VALUES (?, ?, ?, ?)
       ON CONFLICT (org_id, device_id, version) DO UPDATE SET sealed = excluded.sealed`,
    ),
    listEnvelopes: db.prepare('SELECT version, sealed FROM team_key_envelopes WHERE org_id = ? AND device_id = ? ORDER BY version'),
    appendAudit: db.prepare('INSERT INTO audit (org_id, at, actor, action, subject) VALUES (?, ?, ?, ?, ?)'),
    listAudit: db.prepare('SELECT * FROM audit WHERE org_id = ? AND cursor > ? ORDER BY cursor LIMIT ?'),
  };

  // The writes below run through write(), each in a savepoint of its group's transaction
  // (commitGroup): that savepoint already makes each one all or nothing, so they open none of
  // their own. Only a compaction does, for the refusal it rolls back and answers with.

  const addWrappedKeys = (orgId: string, keys: { id: string; kind: string; wrapped: string }[]) => {
    for (const k of keys) s.insertWrappedKey.run(orgId, k.id, k.kind, k.wrapped);
  };

  /** False when the device id is already enrolled in the organisation. */
  const insertDevice = (d: StoredDevice): boolean =>
    s.insertDevice.run({
      org_id: d.orgId,
      device_id: d.deviceId,
      name: d.name,
      role: d.role,
      signing_key: JSON.stringify(d.signingKey),
      encryption_key: JSON.stringify(d.encryptionKey),
      enrolled_at: isoTime(d.enrolledAt),
      last_seen_at: d.lastSeenAt === null ? null : isoTime(d.lastSeenAt),
      revoked_at: d.revokedAt === null ? null : isoTime(d.revokedAt),
    }).changes === 1;

  const createOrg = (...[org, admin, wrappedKeys]: Parameters<Storage['createOrg']>) => {
    if (s.insertOrg.run(org.orgId, JSON.stringify(org.orgPublicKey), isoTime(org.createdAt)).changes === 0) throw new OrgExistsError();
    insertDevice({ ...admin, orgId: org.orgId });
    addWrappedKeys(org.orgId, wrappedKeys);
  };

  const claimEnrolment = (...[lookup, now, device]: Parameters<Storage['claimEnrolment']>) => {
    const at = isoTime(now);
    const used = s.useEnrolment.get({ lookup, now: at, device_id: device.deviceId }) as EnrolmentRow | undefined;
    if (!used) return null;
    // Throwing rolls its savepoint back, so the code stays unused for the right device.
    const added = insertDevice({ ...device, name: used.device_name ?? device.name, orgId: used.org_id, role: used.role as Role, enrolledAt: at, lastSeenAt: null, revokedAt: null });
    if (!added) throw new DeviceExistsError();
    s.emptyEnrolmentPackage.run(lookup);
    return toClaim(used);
  };

  const partBytes = utf8Writer();

  /** Stored, or what the id already taken (by a stored or a removed batch) says about this one. */
  const insertBatch = (b: NewBatch) => {
    const receivedAt = isoTime(b.receivedAt);
    // The sealed parts as bytes in the kept buffer, stored as text (sqliteText.ts).
    const [activity, directory] = partBytes(b.activity, b.directory);
    const inserted = s.insertBatch.run({
      org_id: b.orgId,
      batch_id: b.batchId,
      device_id: b.deviceId,
      seq: b.seq,
      activity,
      directory,
      sha256: b.sha256,
      size: b.size,
      received_at: receivedAt,
    });
    if (inserted.changes === 1) return { status: 'stored', receivedAt } as const;
    return existingBatchResult(s.getBatchSha.get(b.orgId, b.batchId) as { sha256: string; received_at: string }, b.sha256);
  };

  const putBatch = (...[b, audit]: Parameters<Storage['putBatch']>) => {
    const result = insertBatch(b);
    if (result.status === 'stored' && audit) appendAudit(audit);
    return result;
  };

  const compact = db.transaction((c: Compaction): CompactionResult => {
    const unknown = unknownBatchIds(c.supersedes, s.findBatchIds.all(c.orgId, JSON.stringify(c.supersedes)) as string[]);
    if (unknown.length > 0) return { status: 'unknownBatches', batchIds: unknown };
    const results = c.batches.map(insertBatch);
    const conflicts = c.batches.filter((_, i) => results[i]!.status === 'conflict').map((b) => b.batchId);
    // Throwing rolls back the batches already inserted.
    if (conflicts.length > 0) throw new CompactionRefused({ status: 'conflict', batchIds: conflicts });
    const stored = results.filter((r) => r.status === 'stored').length;
    const removed = s.removeBatches.run(isoTime(c.at), c.orgId, JSON.stringify(c.supersedes)).changes;
    if (stored + removed > 0) appendAudit(c.audit);
    return { status: 'compacted', stored, alreadyStored: c.batches.length - stored, removed, alreadyRemoved: c.supersedes.length - removed };
  });

  const appendAudit = (e: NewAuditEntry): void => {
    s.appendAudit.run(e.orgId, isoTime(e.at), e.actor, e.action, e.subject);
  };

  const putTeamKeyEnvelopes = (orgId: string, version: number, envelopes: { deviceId: string; sealed: string }[]) => {
    for (const e of envelopes) s.putEnvelope.run(orgId, e.deviceId, version, e.sealed);
  };

  // ---- durability: flushing the write-ahead log -----------------------------------------

  interface Waiter {
    resolve: () => void;
    reject: (error: unknown) => void;
  }
  /** Something was committed since the flush in progress (if any) began. */
  let committedSinceFlush = false;
  /** Waiting on the flush in progress, which covers everything they wait for; null when none runs. */
  let flushing: Waiter[] | null = null;
  /** Waiting on the next flush: they wait for commits made after the one in progress began. */
  let nextFlush: Waiter[] = [];

  function startFlush(): void {
    flushing = nextFlush;
    nextFlush = [];
    committedSinceFlush = false;
    syncFile(logFd, (error) => {
      const done = flushing!;
      flushing = null;
      // A failed flush rejects its waiters (their request fails and is retried; a retried write
      // finds its own row) and the next one flushes again.
      for (const w of done) {
        if (error) w.reject(error);
        else w.resolve();
      }
      if (nextFlush.length > 0) startFlush();
    });
  }

  /** Settles once everything committed so far is on disk. */
  function onDisk(): Promise<void> {
    if (!committedSinceFlush && flushing === null) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      (committedSinceFlush ? nextFlush : flushing!).push({ resolve, reject });
      if (flushing === null) startFlush();
    });
  }

  /**
   * One page of a listing: `sizes` lists (cursor, size) from after the cursor, `range` the rows up
   * to the last cursor that fits the page.
   */
  async function pageOf(sizes: Database.Statement, range: Database.Statement, orgId: string, after: string | null, limit: number, maxBytes: number) {
    // Checked before the listing starts: one left open would keep the connection busy.
    const [from, count, bytes] = [BigInt(afterCursor(after)), pageLimit(limit), pageLimit(maxBytes)];
    // Stepped through only as far as the page goes: a size that comes after a sealed part in the
    // row is read by walking its overflow pages, and a page of large batches must not read the
    // sizes of a thousand of them.
    const { cursors, more } = batchPageCursors(sizes.iterate(orgId, from, count + 1) as Iterable<{ cursor: number; size: number }>, count, bytes);
    const last = cursors.at(-1);
    if (last === undefined) return { rows: [], next: null };
    // Nothing of this process runs between the two statements (better-sqlite3 is synchronous),
    // and a batch stored meanwhile by another has a higher cursor than any here.
    const rows = await durableRead(() => range.all(orgId, from, BigInt(last)));
    return { rows, next: more ? last : null };
  }

  /** A read whose answer is passed on: returned once what it read is on disk. */
  async function durableRead<T>(read: () => T): Promise<T> {
    const value = read();
    await onDisk();
    return value;
  }

  // ---- group commit -------------------------------------------------------------------------

  interface QueuedWrite {
    run: () => unknown;
    resolve: (value: unknown) => void;
    reject: (error: unknown) => void;
  }
  let closed = false;
  let queue: QueuedWrite[] = [];
  let flushScheduled = false;
  /** Runs a function in a savepoint of the current transaction (better-sqlite3 nests that way). */
  const inSavepoint = db.transaction((fn: () => unknown) => fn());
  const commitGroup = db.transaction((group: QueuedWrite[]) => {
    const outcomes: ({ ok: true; value: unknown } | { ok: false; error: unknown })[] = [];
    for (const w of group) {
      try {
        outcomes.push({ ok: true, value: inSavepoint(w.run) });
      } catch (error) {
        // Some errors (a full disk, I/O) end the whole transaction, not just the savepoint: then
        // nothing in the group is written, and everyone hears why.
        if (!db.inTransaction) throw error;
        outcomes.push({ ok: false, error });
      }
    }
    return outcomes;
  });

  function commitQueued(): void {
    flushScheduled = false;
    const group = queue;
    if (group.length === 0) return;
    queue = [];
    let outcomes;
    try {
      outcomes = commitGroup.immediate(group);
    } catch (error) {
      for (const w of group) w.reject(error);
      return;
    }
    committedSinceFlush = true;
    checkpointer?.committed();
    // Acknowledged only once the commit is on disk; a write rolled back alone wrote nothing.
    onDisk().then(
      () => outcomes.forEach((o, i) => (o.ok ? group[i]!.resolve(o.value) : group[i]!.reject(o.error))),
      (error: unknown) => group.forEach((w) => w.reject(error)),
    );
  }

  /** Queues a write for the next group commit; settles once that commit is on disk (or failed). */
  function write<T>(run: () => T): Promise<T> {
    if (closed) return Promise.reject(new Error('The storage is closed.'));
    return new Promise<T>((resolve, reject) => {
      queue.push({ run, resolve: resolve as (value: unknown) => void, reject });
      if (!flushScheduled) {
        flushScheduled = true;
        setImmediate(commitQueued);
      }
    });
  }

  return {
    async createOrg(org, admin, wrappedKeys) {
      await write(() => createOrg(org, admin, wrappedKeys));
    },
    async getOrg(orgId) {
      const row = await durableRead(() => s.getOrg.get(orgId) as OrgRow | undefined);
      return row ? toOrg(row) : null;
    },
    // Not waited on: it only decides whether a request is let in, and a device can sign requests
    // only once its enrolment (a write, so on disk) has been answered.
    async getDevice(orgId, deviceId) {
      const row = s.getDevice.get(orgId, deviceId) as DeviceRow | undefined;
      return row ? toDevice(row) : null;
    },
    async listDevices(orgId) {
      return (await durableRead(() => s.listDevices.all(orgId) as DeviceRow[])).map(toDevice);
    },
    async revokeDevice(orgId, deviceId, at) {
      return write(() => s.revokeDevice.run(isoTime(at), orgId, deviceId).changes === 1);
    },
    async touchDevice(orgId, deviceId, at) {
      await write(() => s.touchDevice.run(isoTime(at), orgId, deviceId));
    },
    async createEnrolment(e) {
      await write(() =>
        s.insertEnrolment.run({
          lookup: e.lookup,
          org_id: e.orgId,
          role: e.role,
          package: e.package,
          created_by: e.createdBy,
          device_name: e.deviceName ?? null,
          created_at: isoTime(e.createdAt),
          expires_at: isoTime(e.expiresAt),
        }),
      );
    },
    async claimEnrolment(lookup, now, device) {
      return write(() => claimEnrolment(lookup, now, device));
    },
    async putBatch(batch, audit) {
      return write(() => putBatch(batch, audit));
    },
    async findBatch(batch) {
      const existing = s.getBatchSha.get(batch.orgId, batch.batchId) as { sha256: string; received_at: string } | undefined;
      return existing ? existingBatchResult(existing, batch.sha256) : null;
    },
    async storedBytes(orgId) {
      return Number(s.storedBytes.get(orgId));
    },
    async listBatches(orgId, after, limit) {
      const from = BigInt(afterCursor(after));
      const count = pageLimit(limit);
      return (await durableRead(() => s.listBatches.all(orgId, from, count) as BatchRow[])).map(toBatch);
    },
    async listBatchPage(orgId, after, limit, maxBytes) {
      const { rows, next } = await pageOf(s.listBatchSizes, s.listBatchRange, orgId, after, limit, maxBytes);
      return { batches: (rows as BatchRow[]).map(toBatch), next };
    },
    async listDirectoryPage(orgId, after, limit, maxBytes) {
      const { rows, next } = await pageOf(s.listDirectorySizes, s.listDirectoryRange, orgId, after, limit, maxBytes);
      return { entries: (rows as DirectoryRow[]).map(toDirectoryEntry), next };
    },
    async compact(compaction) {
      const result = await write(() => {
        try {
          return compact(compaction);
        } catch (error) {
          if (error instanceof CompactionRefused) return error.result;
          throw error;
        }
      });
      // The removed content may still sit in earlier frames of the write-ahead log; copying the
      // log into the database file (where secure_delete has zeroed it) and emptying the log leaves
      // no copy behind. A reader holding the log (a running backup) is waited for up to the busy
      // timeout; past that the log is left as it is and later writes overwrite it.
      if (result.status === 'compacted' && result.removed > 0 && !closed) db.pragma('wal_checkpoint(TRUNCATE)');
      return result;
    },
    async addWrappedKeys(orgId, keys) {
      await write(() => addWrappedKeys(orgId, keys));
    },
    async listWrappedKeys(orgId) {
      return (await durableRead(() => s.listWrappedKeys.all(orgId) as WrappedKeyRow[])).map(toWrappedKey);
    },
    async putTeamKeyEnvelopes(orgId, version, envelopes) {
      await write(() => putTeamKeyEnvelopes(orgId, version, envelopes));
    },
    async listTeamKeyEnvelopes(orgId, deviceId) {
      return (await durableRead(() => s.listEnvelopes.all(orgId, deviceId) as EnvelopeRow[])).map(toEnvelope);
    },
    async appendAudit(e) {
      await write(() => appendAudit(e));
    },
    async listAudit(orgId, after, limit) {
      const from = BigInt(afterCursor(after));
      const count = pageLimit(limit);
      return (await durableRead(() => s.listAudit.all(orgId, from, count) as AuditRow[])).map(toAudit);
    },
    async close() {
      if (closed) return;
      closed = true;
      // Whatever is still queued is committed (or fails) and flushed to disk first.
      commitQueued();
      await onDisk().catch(() => {});
      // The worker's connection first, so that closing the last one, here, empties the log into the database.
      await checkpointer?.close();
      db.close();
      closeSync(logFd);
    },
  };
}
