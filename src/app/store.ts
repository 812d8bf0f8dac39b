/**
 * What the screens show, in one zustand store: a read-only view of the device core. Only
 * src/app/core/publish.ts writes to it, and only after the matching IndexedDB transaction has
 * committed. Derived indexes (search) are computed from it where they are used.
 */
import { create } from 'zustand';
import type { OrgConfig } from '../domain/config.ts';
import type { Role } from '../domain/protocol.ts';
import type { DeviceIdentity, LockState, LockStaff, StaffRow } from './core/database.ts';
import { OPEN_LOCK } from './core/lockSnapshot.ts';
import type { Woman } from './core/rows.ts';
import type { VisitRecord } from './core/vault.ts';

export interface Session {
  staff: StaffRow;
  config: OrgConfig;
  women: Map<string, Woman>;
  /** The local date the visits below belong to. */
  today: string;
  visits: VisitRecord[];
  /** Outreach contacts and casework sessions recorded on this device on `today`. */
  contacts: VisitRecord[];
  /** Stored rows that could not be read this session; they are left as they are on disk. */
  unreadable: number;
}

export type Phase =
  | { kind: 'loading' }
  | { kind: 'failed'; message: string }
  | { kind: 'setup' }
  /** `elsewhere`: locked because Footfall was unlocked in another tab of this browser. */
  | { kind: 'locked'; elsewhere?: true }
  | { kind: 'unlocked'; session: Session };

/** What the sync status line shows. */
export interface SyncStatus {
  /** False until the status has been read from the device's rows: until then nothing below is known. */
  read: boolean;
  enrolled: boolean;
  /** What the organisation enrolled this device for; only an admin device enrols and revokes others. */
  deviceRole: Role | null;
  running: boolean;
  lastSyncedAt: string | null;
  /**
   * False on a locked page that has not been unlocked since it loaded: the stored time is sealed
   * under a key it does not hold, so the status line cannot say when the device last synced.
   */
  lastSyncKnown: boolean;
  /** Why the last round stopped, in words for the person at the desk. */
  problem: string | null;
  revoked: boolean;
  /** Server time minus device time, ms, at the last exchange. */
  skewMs: number | null;
  quarantined: number;
  /** Whether this device holds its uploads for a random time (docs/sync.md#held-uploads). */
  holdsUploads: boolean;
  /** Epoch ms until which what waits is held, or null when nothing is held. */
  heldUntil: number | null;
}

export const NOT_READ: SyncStatus = {
  read: false,
  enrolled: false,
  deviceRole: null,
  running: false,
  lastSyncedAt: null,
  lastSyncKnown: true,
  problem: null,
  revoked: false,
  skewMs: null,
  quarantined: 0,
  holdsUploads: false,
  heldUntil: null,
};

export interface FootfallState {
  phase: Phase;
  identity: DeviceIdentity | null;
  staff: LockStaff[];
  lock: LockState;
  /**
   * Records waiting to sync on this device; null while not yet read (for a moment after the
   * lock screen first shows), so no screen ever shows a number it has not read.
   */
  unsynced: number | null;
  sync: SyncStatus;
}

export const useFootfall = create<FootfallState>(() => ({
  phase: { kind: 'loading' },
  identity: null,
  staff: [],
  lock: OPEN_LOCK,
  unsynced: null,
  sync: NOT_READ,
}));

/** The unlocked session; screens behind the lock screen may rely on it. */
export function useSession(): Session {
  const phase = useFootfall((s) => s.phase);
  if (phase.kind !== 'unlocked') throw new Error('This screen needs an unlocked session.');
  return phase.session;
}
