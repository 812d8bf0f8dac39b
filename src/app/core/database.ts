/**
 * The device's IndexedDB database. Everything about a woman or a visit is sealed (see
 * src/crypto/atRest.ts); what is stored in the clear is only what the lock screen needs before
 * anyone has unlocked: the device's id, staff names and roles, and the PIN rate-limit counters.
 */
import Dexie, { type Table } from 'dexie';
import type { WrappedRoot } from '../../crypto/keyring.ts';
import type { Role, PublicJwk } from '../../domain/protocol.ts';
import { WAITING_KEY, waitingIn } from './waiting.ts';
import { DB_NAME } from './openEarly.ts';

export interface SealedRow {
  id: string;
  iv: Uint8Array<ArrayBuffer>;
  ct: ArrayBuffer;
}

/**
 * One event of the append-only log, which is also the outbox: `synced` 0 until acknowledged.
 * Events are sealed into batches in `seq` order (see Enrolment.sealedThrough); once the server
 * acknowledges a batch its rows are deleted: the organisation's archive holds them from then on.
 */
export interface EventRow extends SealedRow {
  seq?: number;
  synced: 0 | 1;
}

/**
 * A batch waiting for the server: already sealed (to the organisation's key and the team key),
 * so it can be uploaded while the app is locked, and this device cannot read it back.
 */
export interface BatchRow {
  batchId: string;
  seq: number;
  /** The run of event rows it carries, by their `seq`: acknowledging deletes the run in one go. */
  fromSeq: number;
  toSeq: number;
  /**
   * How many events it carries. Not their ids: those are UUIDv7, and would date each record on a
   * copy of the device (docs/security.md#what-a-copy-of-a-locked-device-shows).
   */
  eventCount: number;
  activity: string;
  directory: string;
  state: 'pending' | 'quarantined';
  /** Refusals by the server (not network failures); past a limit the batch is quarantined. */
  refusals: number;
  lastError: string | null;
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
  /** Epoch ms before which no PIN is tried. */
  waitUntil: number;
  /** Past the limit: only an admin's PIN releases the device. */
  held: boolean;
}

/**
 * This device's membership of an organisation, once enrolled. Its private keys are not here: they
 * are sealed in the settings table (vault.ts) and opened only at unlock (docs/security.md#device-keys).
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
  /** The next batch sequence number. */
  nextSeq: number;
  /** Every event row up to this `seq` is in a batch; those after it are waiting to be sealed. */
  sealedThrough: number;
  /**
   * The public half of `signingKey`, as the endpoint knows it. Missing on rows written before
   * signed authority (docs/security.md#authority); an admin device then checks the endpoint's copy.
   */
  signingPublicKey?: PublicJwk;
  /** An admin device's certificate, signed by the organisation's key: its parts carry authority. */
  certificate?: string;
  /** When the organisation began to sign authority; missing until this device learns it. */
  authoritySince?: string;
  /** On an admin device: a device was revoked and the new team key has not yet been shared. */
  rotationDue?: boolean;
  /**
   * The newest organisation key announced and checked (docs/security.md#rotating-the-organisation-key):
   * records are sealed to it. Missing until the organisation rotates its key: they are sealed to `orgPublicKey`.
   */
  sealingKey?: SealingKey;
}

/** An organisation key announced after a rotation, its signature checked: what records are sealed to. */
export interface SealingKey {
  version: number;
  /** Its key id (src/crypto/orgKeyring.ts), written in every sealed record's header. */
  kid: string;
  publicKey: PublicJwk;
  /** The signed announcement it was read from, passed on to devices that join. */
  announcement: string;
}

export interface SyncState {
  key: 'sync';
  lastSyncedAt: string | null;
  /** Where this device has read the shared directory up to. */
  directoryCursor: string | null;
  /** How it was read (sync/engine.ts); missing before signed parts existed. */
  directoryForm?: number;
  /**
   * Only on rows from earlier builds: no longer written, as it told a copy of the device how far
   * its clock was off. The page keeps the skew it measured in memory (syncStatus.ts).
   */
  skewMs?: number | null;
  /** When the server first refused this device as revoked: it takes no new records and stops syncing. */
  revokedAt?: string;
}

/**
 * Held uploads (docs/sync.md#held-uploads): whether this device holds what it has to send for a
 * random time, so that the server cannot tell from receipt times when records were made, and
 * when that time ends. In the clear, because a locked device uploads too and its lock screen says when.
 */
export interface UploadHoldRow {
  key: 'uploadHold';
  /** The choice made in Settings; null until one is made, and the default for the device's role applies. */
  chosen: boolean | null;
  /** Epoch ms from which what is waiting may be sent; null while nothing is held. */
  sendAfter: number | null;
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

export type DeviceRow = DeviceIdentity | LockState | Enrolment | SyncState | WaitingCount | UploadHoldRow;

export { DB_NAME };

export class FootfallDb extends Dexie {
  events!: Table<EventRow, number>;
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
  }
}
