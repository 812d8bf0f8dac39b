/**
 * The device database and the first screen. Kept apart from actions.ts, which needs the
 * decrypted session, so the lock screen loads without the rest of the app.
 */
import type { DeviceIdentity, FootfallDb, LockState, StaffRow } from './database.ts';
import { OPEN_LOCK } from '../lock/lockPolicy.ts';
import { useFootfall } from '../store.ts';

let db: FootfallDb | undefined;

/** The database opened by boot(). */
export function database(): FootfallDb {
  if (!db) throw new Error('Footfall has not opened its storage yet. Reload the page.');
  return db;
}

/** Records on this device not yet acknowledged by the server. */
export function countUnsynced(): Promise<number> {
  return database().events.where('synced').equals(0).count();
}

/** Opens the device database and decides what the first screen is. */
export async function boot(opened: FootfallDb): Promise<void> {
  db = opened;
  try {
    await db.open();
    // Dexie 4 opens a database that a newer Footfall has upgraded instead of failing: this older
    // code must not read or write it.
    if (db.backendDB().version > Math.round(db.verno * 10)) {
      db.close();
      throw Object.assign(new Error('The database on this device is from a newer version.'), { name: 'VersionError' });
    }
    const identity = (await db.device.get('identity')) as DeviceIdentity | undefined;
    if (!identity) {
      useFootfall.setState({ phase: { kind: 'setup' }, identity: null });
      return;
    }
    useFootfall.setState({
      identity,
      staff: await activeStaff(),
      lock: await currentLock(),
      unsynced: await countUnsynced(),
      phase: { kind: 'locked' },
    });
  } catch (error) {
    useFootfall.setState({ phase: { kind: 'failed', message: describeStorageError(error) } });
  }
}

export async function activeStaff(): Promise<StaffRow[]> {
  return (await database().staff.toArray()).filter((s) => !s.removed).sort((a, b) => a.name.localeCompare(b.name));
}

export async function currentLock(): Promise<LockState> {
  const row = await database().device.get('lock');
  return row?.key === 'lock' ? row : OPEN_LOCK;
}

export function describeStorageError(error: unknown): string {
  const name = error instanceof Error ? error.name : '';
  if (name === 'QuotaExceededError') return 'This device is out of storage space. Free some space, then reload. Nothing saved has been lost.';
  if (name === 'VersionError') return 'This device holds data from a newer version of Footfall. Reload to get the update.';
  return 'Footfall could not open its storage on this device. Private browsing blocks it; use a normal window, then reload.';
}
