/**
 * What the screens show, in one zustand store. Only actions.ts writes to it, and only after the
 * matching IndexedDB transaction has committed.
 */
import { create } from 'zustand';
import type { OrgConfig } from '../domain/config.ts';
import type { SearchIndex } from '../domain/search.ts';
import type { DeviceIdentity, LockState, StaffRow } from './db/database.ts';
import type { Woman } from './db/plain.ts';
import type { Vault, VisitRecord } from './vault.ts';

export interface Session {
  vault: Vault;
  staff: StaffRow;
  config: OrgConfig;
  women: Map<string, Woman>;
  searchIndex: SearchIndex<Woman>;
  /** The local date the visits below belong to. */
  today: string;
  visits: VisitRecord[];
  /** Stored rows that could not be read this session; they are left as they are on disk. */
  unreadable: number;
}

export type Phase =
  | { kind: 'loading' }
  | { kind: 'failed'; message: string }
  | { kind: 'setup' }
  | { kind: 'locked' }
  | { kind: 'unlocked'; session: Session };

export interface FootfallState {
  phase: Phase;
  identity: DeviceIdentity | null;
  staff: StaffRow[];
  lock: LockState;
  unsynced: number;
  /** A check-in or form is open: an app update waits until it is closed. */
  draftOpen: boolean;
}

export const useFootfall = create<FootfallState>(() => ({
  phase: { kind: 'loading' },
  identity: null,
  staff: [],
  lock: { key: 'lock', failures: 0, waitUntil: 0, held: false },
  unsynced: 0,
  draftOpen: false,
}));

/** The unlocked session; screens behind the lock screen may rely on it. */
export function useSession(): Session {
  const phase = useFootfall((s) => s.phase);
  if (phase.kind !== 'unlocked') throw new Error('This screen needs an unlocked session.');
  return phase.session;
}
