/**
 * The only writer of the store (src/app/store.ts): the core publishes what it has committed, and
 * screens only read it. Kept in one place so the view can never run ahead of the disk.
 */
import { useFootfall, type Session, type SyncStatus } from '../store.ts';
import type { DeviceIdentity, LockStaff, LockState } from './database.ts';
import { keepLockSnapshot, readLockSnapshot } from './lockSnapshot.ts';

export type Booted =
  | { kind: 'setup' }
  | { kind: 'failed'; message: string }
  | { kind: 'locked'; identity: DeviceIdentity; staff: LockStaff[]; lock: LockState };

/** The first screen. A locked device's waiting count is not known yet: fillUnsynced() gives it. */
/**
 * The lock screen as last kept (src/app/core/lockSnapshot.ts), while nothing else is showing yet:
 * the page shows it before the database and its code have loaded, and boot() again for a device
 * opened without the page's start (tests); the second time finds it showing and does nothing.
 */
export function showKeptLockScreen(): void {
  if (useFootfall.getState().phase.kind !== 'loading') return;
  const kept = readLockSnapshot();
  if (kept) showBooted({ kind: 'locked', ...kept });
}

export function showBooted(booted: Booted): void {
  if (booted.kind === 'locked') {
    const { identity, staff, lock } = booted;
    useFootfall.setState({ identity, staff, lock, unsynced: null, phase: { kind: 'locked' } });
    keepLockSnapshot(booted);
  } else if (booted.kind === 'setup') {
    useFootfall.setState({ phase: { kind: 'setup' }, identity: null });
    keepLockSnapshot(null);
  } else {
    useFootfall.setState({ phase: { kind: 'failed', message: booted.message } });
  }
}

/** Also kept for the next cold start's lock screen (src/app/core/lockSnapshot.ts). */
export function showDevice(patch: { identity?: DeviceIdentity; staff?: LockStaff[]; lock?: LockState }): void {
  useFootfall.setState(patch);
  const { identity, staff, lock } = useFootfall.getState();
  if (identity) keepLockSnapshot({ identity, staff, lock });
}

export function showSession(session: Session, unsynced: number): void {
  useFootfall.setState({ phase: { kind: 'unlocked', session }, unsynced });
}

/** A newer view of the open session; ignored once the app has locked. */
export function patchSessionView(session: Session): void {
  if (useFootfall.getState().phase.kind === 'unlocked') useFootfall.setState({ phase: { kind: 'unlocked', session } });
}

export function showLocked(elsewhere = false): void {
  useFootfall.setState({ phase: elsewhere ? { kind: 'locked', elsewhere } : { kind: 'locked' } });
}

export function showUnsynced(unsynced: number): void {
  useFootfall.setState({ unsynced });
}

/** The count read after boot, unless a newer one (a save, a status refresh) was shown meanwhile. */
export function fillUnsynced(unsynced: number): void {
  useFootfall.setState((s) => (s.unsynced === null ? { unsynced } : s));
}

export function showSync(patch: Partial<SyncStatus> & { unsynced?: number }): void {
  const { unsynced, ...sync } = patch;
  useFootfall.setState((s) => ({ ...(unsynced !== undefined && { unsynced }), sync: { ...s.sync, ...sync } }));
}
