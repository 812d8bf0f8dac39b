/**
 * The device's IndexedDB database. Everything about a woman or a visit is sealed (see
 * src/crypto/atRest.ts); what is stored in the clear is only what the lock screen needs before
 * anyone has unlocked: the device's id, staff names and roles, and the PIN rate-limit counters.
 */
import Dexie, { type Table } from 'dexie';
import type { Sealed } from '../../crypto/atRest.ts';
import type { WrappedRoot } from '../../crypto/keyring.ts';
import type { Role, PublicJwk } from '../../domain/protocol.ts';
import type { AnnouncedOrgKey } from './rows.ts';
import { WAITING_KEY, waitingIn } from './waiting.ts';

/** The device's IndexedDB database. */
export const DB_NAME = 'footfall';

export interface SealedRow {
  id: string;
  iv: Uint8Array<ArrayBuffer>;
  ct: ArrayBuffer;
}

/**
 * An event waiting for the server: sealed, and keyed by a keyed tag of its id only, so a copy of
 * the device shows neither when it was saved nor in what order (docs/sync.md#the-outbox). Rows are
 * deleted once the server acknowledges the batch that carries them.
 */
export type OutboxRow = SealedRow;

/**
 * A row of the event log of builds before version 6, keyed by `seq`, an auto-incremented counter
 * that gave away the order of the records and how many the device had saved. Read only by the
 * upgrade to version 6, which moves the waiting ones into the outbox.
 */
export interface EventRowOfEarlierBuilds extends SealedRow {
  seq: number;
  synced: 0 | 1;
}

/**
 * A batch waiting for the server: already sealed (to the organisation's key and the team key),
 * so it can be uploaded while the app is locked, and this device cannot read it back.
 */
export interface BatchRow {
  batchId: string;
  /**
   * Its sequence number (BatchMarks in rows.ts), sealed under
   * the keyring's upload key, which a page that has been unlocked keeps in memory to upload while
   * locked (docs/security.md#device-keys). Missing only on batches of earlier builds until the next unlock.
   */
  marks?: Sealed;
  /** Only on batches sealed by builds before version 6, in the clear, until the next unlock seals it. */
  seq?: number;
  /**
   * The keys of the outbox rows it carries, sorted (so the list says nothing of their order):
   * acknowledging deletes them, and a row listed by no batch is still to be sealed.
   */
  rows: string[];
  /**
   * How many events it carries. Not their ids: those are UUIDv7, and would date each record on a
   * copy of the device (docs/security.md#what-a-copy-of-a-locked-device-shows).
   */
  eventCount: number;
  /** The two sealed parts; emptied once the server has acknowledged the batch. */
  activity: string;
  directory: string;
  /**
   * `acknowledged`: the server has it, and its rows are being deleted (docs/sync.md#acknowledging);
   * they are no longer waiting, and the batch is neither sent nor shown.
   */
  state: 'pending' | 'quarantined' | 'acknowledged';
  /** Refusals by the server (not network failures); past a limit the batch is quarantined. */
  refusals: number;
  lastError: string | null;
}

/** A batch as builds before version 6 stored it: the run of event `seq`s it carried. */
interface BatchRowOfEarlierBuilds extends Omit<BatchRow, 'rows'> {
  fromSeq: number;
  toSeq: number;
}

/** A visit's own events, sealed together; `dayTag` is a blind tag of its local date. */
export interface VisitRow extends SealedRow {
  dayTag: string;
}

/** A staff member's role decides which modes she sees (src/app/modes.ts). */
export type { Role };

export interface StaffRow {
  id: string;
  name: string;
  role: Role;
  wrappedRoot: WrappedRoot;
  /** Only on rows from earlier builds: no longer written, as it dated the device in the clear. */
  createdAt?: string;
  removed?: boolean;
  /** One of the organisation's admins (whatever she works as here): she may release a held device. */
  orgAdmin?: boolean;
  /** The personal code she set her PIN here with: it is not taken here again. */
  codeId?: string;
}

/** A person as the lock screen and the people list show her: no wrapped keys. */
export type LockStaff = Pick<StaffRow, 'id' | 'name' | 'role' | 'orgAdmin'>;

export interface DeviceIdentity {
  key: 'identity';
  deviceId: string;
  deviceName: string;
  siteKey: string;
  /** Only on rows from earlier builds: no longer written, as it dated the device in the clear. */
  createdAt?: string;
}

export interface LockState {
  key: 'lock';
  /** Wrong PINs since the last successful unlock. */
  failures: number;
  /**
   * When the wait ended, as earlier builds kept it (epoch ms, in the clear); dropped at the next
   * write. The wait now follows from `failures` alone (src/app/lock/lockPolicy.ts).
   */
  waitUntil?: number;
  /** Past the limit: only an admin's PIN releases the device. */
  held: boolean;
}

/**
 * This device's membership of an organisation, once enrolled. Its private keys are not here: they
 * are sealed in the settings table (vault.ts) and opened only at unlock (docs/security.md#device-keys);
 * nor are its batch sequence number, its admin certificate and when the organisation began to sign,
 * which are sealed there too (EnrolmentMarks), as they count its batches and carry times.
 */
export interface Enrolment {
  key: 'enrolment';
  orgId: string;
  role: Role;
  orgPublicKey: PublicJwk;
  /**
   * Only on rows from builds before the keys were sealed: the private keys as stored CryptoKeys,
   * which a copy of the profile holds in the clear. They cannot be sealed afterwards (their bytes
   * cannot be read back), so such a device is re-enrolled to be rid of them (docs/security.md#known-gaps).
   */
  signingKey?: CryptoKey;
  encryptionKey?: CryptoKey;
  /**
   * The public half of `signingKey`, as the endpoint knows it. Missing on rows written before
   * signed authority (docs/security.md#authority); an admin device then checks the endpoint's copy.
   */
  signingPublicKey?: PublicJwk;
  /** On an admin device: a device was revoked and the new team key has not yet been shared. */
  rotationDue?: boolean;
}

/**
 * The enrolment row as builds before version 6 wrote it, with its counters and times in the
 * clear: they are sealed at the next unlock (Vault.sealClearMarks), and `sealedThrough` dropped by
 * the upgrade (a row listed by no batch is what waits to be sealed now).
 */
export interface EnrolmentOfEarlierBuilds extends Enrolment {
  nextSeq?: number;
  sealedThrough?: number;
  certificate?: string;
  authoritySince?: string;
  /** The organisation key records are sealed to, as builds before it was sealed into the marks kept it. */
  sealingKey?: AnnouncedOrgKey;
}

export interface SyncState {
  key: 'sync';
  /**
   * Only on rows from earlier builds: no longer written, as it dated the device's last contact in
   * the clear. It is sealed under the upload key (the `lastSync` row) from the next unlock on.
   */
  lastSyncedAt?: string | null;
  /** Where this device has read the shared directory up to. */
  directoryCursor: string | null;
  /** How it was read (sync/engine.ts); missing before signed parts existed. */
  directoryForm?: number;
  /**
   * Only on rows from earlier builds: no longer written, as it told a copy of the device how far
   * its clock was off. The page keeps the skew it measured in memory (syncStatus.ts).
   */
  skewMs?: number | null;
  /** The server has refused this device as revoked: it takes no new records and stops syncing. */
  revoked?: boolean;
  /** Only on rows from earlier builds, which kept when (a time in the clear): read as `revoked`. */
  revokedAt?: string;
}

/**
 * When this device last heard from the server, sealed under the keyring's upload key
 * (LastSync in rows.ts): a locked page that has been unlocked holds that key and writes it after
 * its uploads; a copy of the device cannot read it (docs/security.md#what-a-copy-of-a-locked-device-shows).
 */
export interface LastSyncRow extends Sealed {
  key: 'lastSync';
}

/**
 * Held uploads (docs/sync.md#held-uploads): whether this device holds what it has to send for a
 * random time, so that the server cannot tell from receipt times when records were made. The
 * choice only: the held time is kept in the page's memory (src/app/core/uploadHold.ts).
 */
export interface UploadHoldRow {
  key: 'uploadHold';
  /** The choice made in Settings; null until one is made, and the default for the device's role applies. */
  chosen: boolean | null;
  /**
   * The held time, as earlier builds kept it here in the clear; dropped at the next round. It is
   * now only in the page's memory (src/app/core/uploadHold.ts).
   */
  sendAfter?: number | null;
}

/**
 * The organisation's archive as the admin's device holds it (src/app/admin/archive/archiveStore.ts):
 * decrypted events sealed again under the device keyring, one row per fetched page, plus a
 * sealed state row (where to fetch from next). `rev` is in the clear only so that a write can
 * check in the same transaction that no other window has written since it read.
 */
export interface ArchiveRow extends SealedRow {
  rev?: number;
}

/**
 * How many events are waiting for the server, kept beside them: every transaction that adds or
 * removes a waiting event moves it (src/app/core/waiting.ts), so the status line and a save read
 * one row instead of counting a long outbox. The lock screen shows the same number.
 */
export interface WaitingCount {
  key: typeof WAITING_KEY;
  count: number;
}

export type DeviceRow = DeviceIdentity | LockState | Enrolment | SyncState | WaitingCount | UploadHoldRow | LastSyncRow;

/** Rows the upgrade to version 6 moves at a time: a long outbox is never read into memory at once. */
const UPGRADE_SLICE_ROWS = 5_000;

export class FootfallDb extends Dexie {
  outbox!: Table<OutboxRow, string>;
  women!: Table<SealedRow, string>;
  visits!: Table<VisitRow, string>;
  settings!: Table<SealedRow, string>;
  staff!: Table<StaffRow, string>;
  device!: Table<DeviceRow, string>;
  batches!: Table<BatchRow, string>;
  archive!: Table<ArchiveRow, string>;

  constructor(name = DB_NAME) {
    // 'strict' durability: a saved visit is on disk before the screen says so.
    super(name, { chromeTransactionDurability: 'strict' });
    // Each version is kept forever: a device on any older version opens, and its data (above all
    // its unsynced events) is carried across. See test/app/migrations.test.ts, which needs a row per version.
    this.version(1).stores({
      events: '++seq, &id, synced',
      women: 'id',
      visits: 'id, dayTag',
      settings: 'id',
      staff: 'id',
      device: 'key',
    });
    // Version 2: the sync outbox's sealed batches. Nothing else changes: unsynced events stay
    // where they are and are sealed into batches once the device is enrolled.
    this.version(2).stores({ batches: '&batchId, seq, state' });
    // Version 3: the admin's decrypted archive for reports, sealed at rest. A new table only.
    this.version(3).stores({ archive: 'id' });
    // Version 4: the kept count of waiting events, a row of the device table, counted once here
    // from the events themselves. No table changes. A new database starts without the row: it
    // holds no events, and a missing row counts as none.
    this.version(4)
      .stores({})
      .upgrade(async (tx) => {
        const count = await waitingIn(tx.table('events')).count();
        await tx.table('device').put({ key: WAITING_KEY, count } satisfies WaitingCount);
      });
    // Version 5: a batch keeps how many events it carries, no longer their ids (UUIDv7, which date
    // them). Its events' rows are keyed by tags from the next unlock on (Vault.retagRows): an
    // upgrade runs before anyone has unlocked, so it cannot tag them itself.
    this.version(5)
      .stores({})
      .upgrade(async (tx) => {
        await tx
          .table('batches')
          .toCollection()
          .modify((batch: Partial<BatchRow> & { eventIds?: string[] }) => {
            batch.eventCount = batch.eventIds?.length ?? 0;
            delete batch.eventIds;
          });
      });
    // Version 6: the outbox, keyed by tags only. The log of earlier versions was keyed by `seq`,
    // which gave away the order of the waiting records and how many the device had ever saved.
    // Waiting rows move across as they are (their seal binds `events:<key>`, which stays their
    // label), and each batch lists the keys of the rows it carries instead of a run of seqs; none
    // of this needs the keyring, so nothing waits for an unlock and nothing is sent twice. Rows an
    // early version marked synced are ones the server has: they are dropped. The `events` table
    // stays declared, empty: the schema history only grows.
    this.version(6)
      .stores({ outbox: 'id', batches: '&batchId, state, *rows' })
      .upgrade(async (tx) => {
        const events = tx.table<EventRowOfEarlierBuilds, number>('events');
        const batches = (await tx.table<BatchRowOfEarlierBuilds>('batches').toArray()).sort((a, b) => a.fromSeq - b.fromSeq);
        const listed = new Map<string, string[]>(batches.map((b) => [b.batchId, []]));
        for (let after = -Infinity; ; ) {
          const slice = await events.where('seq').above(after).limit(UPGRADE_SLICE_ROWS).toArray();
          if (!slice.length) break;
          after = slice.at(-1)!.seq;
          const waiting = slice.filter((row) => row.synced === 0);
          for (const row of waiting) {
            const batch = batches.find((b) => row.seq >= b.fromSeq && row.seq <= b.toSeq);
            if (batch) listed.get(batch.batchId)!.push(row.id);
          }
          await tx.table('outbox').bulkPut(waiting.map(({ id, iv, ct }) => ({ id, iv, ct })));
        }
        await events.clear();
        await tx
          .table('batches')
          .toCollection()
          .modify((batch: Partial<BatchRowOfEarlierBuilds> & Partial<BatchRow>) => {
            batch.rows = (listed.get(batch.batchId!) ?? []).sort();
            delete batch.fromSeq;
            delete batch.toSeq;
          });
        await tx
          .table('device')
          .where('key')
          .equals('enrolment')
          .modify((row: EnrolmentOfEarlierBuilds) => {
            delete row.sealedThrough;
          });
      });
    // Version 7: batches lose their index of the rows they list. Chromium writes an index entry
    // per listed row, so storing, acknowledging and deleting a full batch cost ~2,500 index writes
    // each, most of a sync round's time (docs/sync.md#batches-and-padding); nothing reads a batch by one of its rows
    // often enough to pay for it. No data changes.
    this.version(7).stores({ batches: '&batchId, state' });
  }
}
