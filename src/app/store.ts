/**
 * What the screens show, in one zustand store. Only actions.ts writes to it, and only after the
 * matching IndexedDB transaction has committed.
 */
import { create } from 'zustand';
import type { OrgConfig } from '../domain/config.ts';
import type { Role } from '../domain/protocol.ts';
import type { SearchIndex } from '../domain/search.ts';
import type { DeviceIdentity, LockState, StaffRow } from './core/database.ts';
import { OPEN_LOCK } from './lock/lockPolicy.ts';
import type { Woman } from './core/rows.ts';
import type { Vault, VisitRecord } from './core/vault.ts';

export interface Session {
  vault: Vault;
  staff: StaffRow;
  config: OrgConfig;
  women: Map<string, Woman>;
  searchIndex: SearchIndex<Woman>;
  /** The local date the visits below belong to. */
  today: string;
  visits: VisitRecord[];
  /** Outreach contacts and casework sessions recorded on this device on `today`. */
  contacts: VisitRecord[];
  /** Team keys by version, once enrolled: they open the shared directory. */
  teamKeys: Map<number, CryptoKey>;
  /** Stored rows that could not be read this session; they are left as they are on disk. */
  unreadable: number;
}

export type Phase =
  | { kind: 'loading' }
  | { kind: 'failed'; message: string }
  | { kind: 'setup' }
  | { kind: 'locked' }
  | { kind: 'unlocked'; session: Session };

/** What the sync status line shows. */
export interface SyncStatus {
  enrolled: boolean;
  /** What the organisation enrolled this device for; only an admin device enrols and revokes others. */
  deviceRole: Role | null;
  running: boolean;
  lastSyncedAt: string | null;
  /** Why the last round stopped, in words for the person at the desk. */
  problem: string | null;
  revoked: boolean;
  /** Server time minus device time, ms, at the last exchange. */
  skewMs: number | null;
  quarantined: number;
}

export const NOT_ENROLLED: SyncStatus = {
  enrolled: false,
  deviceRole: null,
  running: false,
  lastSyncedAt: null,
  problem: null,
  revoked: false,
  skewMs: null,
  quarantined: 0,
};

export interface FootfallState {
  phase: Phase;
  identity: DeviceIdentity | null;
  staff: StaffRow[];
  lock: LockState;
  unsynced: number;
  /** A check-in or form is open: an app update waits until it is closed. */
  draftOpen: boolean;
  sync: SyncStatus;
}

export const useFootfall = create<FootfallState>(() => ({
  phase: { kind: 'loading' },
  identity: null,
  staff: [],
  lock: OPEN_LOCK,
  unsynced: 0,
  draftOpen: false,
  sync: NOT_ENROLLED,
}));

/** The unlocked session; screens behind the lock screen may rely on it. */
export function useSession(): Session {
  const phase = useFootfall((s) => s.phase);
  if (phase.kind !== 'unlocked') throw new Error('This screen needs an unlocked session.');
  return phase.session;
}

/** The unlocked session, for actions; throws a message for the person when the app is locked. */
export function requireSession(): Session {
  const { phase } = useFootfall.getState();
  if (phase.kind !== 'unlocked') throw new Error('The app is locked. Unlock it with your PIN and try again.');
  return phase.session;
}

export function patchSession(patch: Partial<Session>): void {
  useFootfall.setState({ phase: { kind: 'unlocked', session: { ...requireSession(), ...patch } } });
}
