/**
 * The device's rows that a locked device needs: who may unlock it, the PIN limits, its identity,
 * its enrolment and where sync stands. The database is opened here at boot, and only code in this
 * folder reaches its tables (docs/architecture.md#the-device-core). Kept apart from the unlocked
 * core so the lock screen loads without the rest of the app.
 */
import { FootfallDb } from './database.ts';
import type { DeviceIdentity, Enrolment, LockState, StaffRow, SyncState } from './database.ts';
import type { Roster } from '../../domain/people.ts';
import { fillUnsynced, showBooted, showDevice, showKeptLockScreen } from './publish.ts';
import { keptWaiting } from './waiting.ts';
import { OPEN_LOCK } from './lockSnapshot.ts';

let db: FootfallDb | undefined;

/** The database opened by boot(); for this folder only. */
export function database(): FootfallDb {
  if (!db) throw new Error('Footfall has not opened its storage yet. Reload the page.');
  return db;
}

/** Opens the device database (tests name their own) and decides what the first screen is. */
export async function boot(opened: FootfallDb = new FootfallDb()): Promise<void> {
  db = opened;
  // The lock screen as last kept shows while the database opens (Dexie holds any read until it
  // is open, so an unlock tried meanwhile waits); the database's own rows follow.
  showKeptLockScreen();
  try {
    await db.open();
    // Dexie 4 opens a database that a newer Footfall has upgraded instead of failing: this older
    // code must not read or write it.
    if (db.backendDB().version > Math.round(db.verno * 10)) {
      db.close();
      throw Object.assign(new Error('The database on this device is from a newer version.'), { name: 'VersionError' });
    }
    const identity = await readIdentity();
    if (!identity) return showBooted({ kind: 'setup' });
    showBooted({ kind: 'locked', identity, staff: await activeStaff(), lock: await currentLock() });
  } catch (error) {
    showBooted({ kind: 'failed', message: describeStorageError(error) });
    return;
  }
  // The lock screen shows first; the waiting count follows (the status line says it is being
  // checked until then). A failure to read it leaves that for the next status refresh.
  waitingCount().then(fillUnsynced, () => undefined);
}

/** Records saved on this device and not yet acknowledged by the server (src/app/core/waiting.ts). */
export function waitingCount(): Promise<number> {
  return keptWaiting(database());
}

export async function activeStaff(): Promise<StaffRow[]> {
  return (await database().staff.toArray()).filter((s) => !s.removed).sort((a, b) => a.name.localeCompare(b.name));
}

/** A staff member of this device, removed or not. */
export async function staffMember(id: string): Promise<StaffRow | undefined> {
  return database().staff.get(id);
}

/** Adds or changes a staff member, and shows the lock screen's list as it now is. */
export async function saveStaff(row: StaffRow): Promise<void> {
  await database().staff.put(row);
  showDevice({ staff: await activeStaff() });
}

/**
 * Brings this device's people in line with the organisation's (docs/security.md#people): names
 * as the admin last saved them, and whoever she removed can no longer unlock here.
 */
export async function followRoster(roster: Roster): Promise<void> {
  const d = database();
  const changed = await d.transaction('rw', d.staff, async () => {
    const rows: StaffRow[] = [];
    for (const row of await d.staff.toArray()) {
      if (row.removed) continue;
      const person = roster.people[row.id];
      if (roster.removed[row.id]) rows.push(removedRow(row));
      else if (person && (person.name !== row.name || Boolean(row.orgAdmin) !== person.roles.includes('admin'))) {
        rows.push({ ...row, name: person.name, orgAdmin: person.roles.includes('admin') });
      }
    }
    await d.staff.bulkPut(rows);
    return rows.length > 0;
  });
  if (changed) showDevice({ staff: await activeStaff() });
}

/** A person's row once she is removed: her PIN no longer opens anything here. */
export function removedRow(row: StaffRow): StaffRow {
  return { ...row, removed: true, wrappedRoot: { ...row.wrappedRoot, ciphertext: '' } };
}

export async function currentLock(): Promise<LockState> {
  const row = await database().device.get('lock');
  return row?.key === 'lock' ? row : OPEN_LOCK;
}

export async function saveLock(lock: LockState): Promise<void> {
  await database().device.put(lock);
}

/**
 * Takes one PIN try before the PIN is checked, counting it as wrong until it proves right, in
 * one transaction: tries made at once (in several tabs) each count, so the limits cannot be
 * outrun. `next` says what the lock becomes if the PIN is wrong; a refusal returns the lock as it is.
 */
export async function takePinTry(next: (lock: LockState) => LockState | null): Promise<{ taken: true; lock: LockState } | { taken: false; lock: LockState }> {
  const d = database();
  return d.transaction('rw', d.device, async () => {
    const row = await d.device.get('lock');
    const lock = row?.key === 'lock' ? row : OPEN_LOCK;
    const after = next(lock);
    if (!after) return { taken: false as const, lock };
    await d.device.put(after);
    return { taken: true as const, lock: after };
  });
}

export async function readIdentity(): Promise<DeviceIdentity | null> {
  const row = await database().device.get('identity');
  return row?.key === 'identity' ? row : null;
}

export async function saveIdentity(identity: DeviceIdentity): Promise<void> {
  await database().device.put(identity);
  showDevice({ identity });
}

/** A new device's first person and identity, in one transaction: until then it is not set up. */
export async function saveNewDevice(staff: StaffRow, identity: DeviceIdentity): Promise<void> {
  const d = database();
  await d.transaction('rw', [d.staff, d.device], async () => {
    await d.staff.put(staff);
    await d.device.put(OPEN_LOCK);
    // The identity row is written last: until it exists, the device counts as not set up.
    await d.device.put(identity);
  });
}

/**
 * A join that could not be finished leaves nothing behind: every row it wrote goes, and the device
 * is as it was before, not set up (docs/security.md#joining). Only for a device that was not set
 * up when the join began (lock/access.ts finishJoin checks), so no row of anything else is lost.
 */
export async function forgetUnfinishedJoin(): Promise<void> {
  const d = database();
  await d.transaction('rw', d.tables, () => Promise.all(d.tables.map((t) => t.clear())));
}

export async function readEnrolment(): Promise<Enrolment | null> {
  const row = await database().device.get('enrolment');
  return row?.key === 'enrolment' ? row : null;
}

export async function saveEnrolment(enrolment: Enrolment): Promise<void> {
  await database().device.put(enrolment);
}

/**
 * Changes fields of the enrolment row that are not the outbox's (what this device learnt about
 * the organisation's authority, a team key change still due), in a transaction of its own, so the
 * sequence numbers the outbox moves meanwhile are never written back stale.
 */
export async function patchEnrolment(patch: Partial<Pick<Enrolment, 'signingPublicKey' | 'rotationDue'>>): Promise<void> {
  const d = database();
  await d.transaction('rw', d.device, async () => {
    const row = await d.device.get('enrolment');
    if (row?.key === 'enrolment') await d.device.put({ ...row, ...patch });
  });
}

const EMPTY_SYNC: SyncState = { key: 'sync', directoryCursor: null };

/** Where sync stands; a revocation an earlier build kept as a time reads as `revoked`. */
export async function readSyncState(): Promise<SyncState> {
  const row = await database().device.get('sync');
  if (row?.key !== 'sync') return EMPTY_SYNC;
  return row.revokedAt ? { ...row, revoked: true } : row;
}

/**
 * Saves where sync stands, with no time in it: what an earlier build kept in the row (the clock
 * skew, when it was revoked) is dropped, and the last-synced time is sealed apart (marks.ts).
 */
export async function saveSyncState(state: SyncState): Promise<void> {
  const { skewMs: _s, revokedAt: _r, lastSyncedAt: _l, ...kept } = state;
  await database().device.put(kept);
}

/**
 * The shared directory is to be read again from the start: a new team key may open parts this
 * device passed over (docs/sync.md#the-shared-directory). The fold is the same whatever the order
 * or repetition, so reading again is always safe.
 */
export async function readDirectoryAgain(): Promise<void> {
  const d = database();
  await d.transaction('rw', d.device, async () => {
    const row = await d.device.get('sync');
    await d.device.put({ ...(row?.key === 'sync' ? row : EMPTY_SYNC), directoryCursor: null });
  });
}

export function describeStorageError(error: unknown): string {
  const name = error instanceof Error ? error.name : '';
  if (name === 'QuotaExceededError') return 'This device is out of storage space. Free some space, then reload. Nothing saved has been lost.';
  if (name === 'VersionError') return 'This device holds data from a newer version of Footfall. Reload to get the update.';
  return 'Footfall could not open its storage on this device. Private browsing blocks it; use a normal window, then reload.';
}
