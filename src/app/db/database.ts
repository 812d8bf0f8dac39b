/**
 * The device's IndexedDB database. Everything about a woman or a visit is sealed (see
 * src/crypto/atRest.ts); what is stored in the clear is only what the lock screen needs before
 * anyone has unlocked: the device's id, staff names and roles, and the PIN rate-limit counters.
 */
import Dexie, { type Table } from 'dexie';
import type { WrappedRoot } from '../../crypto/keyring.ts';

export interface SealedRow {
  id: string;
  iv: Uint8Array<ArrayBuffer>;
  ct: ArrayBuffer;
}

/** One event of the append-only log, which is also the outbox: `synced` 0 until acknowledged. */
export interface EventRow extends SealedRow {
  seq?: number;
  synced: 0 | 1;
}

/** A visit's own events, sealed together; `dayTag` is a blind tag of its local date. */
export interface VisitRow extends SealedRow {
  dayTag: string;
}

export type Role = 'admin' | 'frontDesk';

export interface StaffRow {
  id: string;
  name: string;
  role: Role;
  wrappedRoot: WrappedRoot;
  /** Only on rows from earlier builds: no longer written, as it dated the device in the clear. */
  createdAt?: string;
  removed?: boolean;
}

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

export type DeviceRow = DeviceIdentity | LockState;

export const DB_NAME = 'footfall';

export class FootfallDb extends Dexie {
  events!: Table<EventRow, number>;
  women!: Table<SealedRow, string>;
  visits!: Table<VisitRow, string>;
  settings!: Table<SealedRow, string>;
  staff!: Table<StaffRow, string>;
  device!: Table<DeviceRow, string>;

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
  }
}
