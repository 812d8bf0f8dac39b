/**
 * When sync runs: soon after every save, when the network comes back, at start, every minute,
 * and when someone presses "Sync now". Only one tab syncs at a time (Web Locks); failures back
 * off exponentially with full jitter so a fleet of tablets never hammers a recovering server.
 */
import type { DeviceCore } from '../core/core.ts';
import { readEnrolment, readSyncState } from '../core/device.ts';
import { showSync } from '../core/publish.ts';
import { refreshStatus } from '../core/syncStatus.ts';
import { useFootfall } from '../store.ts';
import type { SyncClient } from './client.ts';
import { syncRound } from './engine.ts';

export const SYNC_LOCK = 'footfall-sync';
const SOON_MS = 500;
const PERIOD_MS = 60_000;
const LOCK_BUSY_RETRY_MS = 1_000;
const BACKOFF_BASE_MS = 2_000;
const BACKOFF_CAP_MS = 5 * 60_000;

export interface SchedulerDeps {
  client: SyncClient;
  /** The unlocked device core, or null while locked. */
  core: () => DeviceCore | null;
  random?: () => number;
}

export interface Scheduler {
  /** Sync soon (debounced). */
  request: () => void;
  /** Sync now and wait for the round to finish. */
  runNow: () => Promise<void>;
  stop: () => void;
}

export function startScheduler(deps: SchedulerDeps): Scheduler {
  const random = deps.random ?? Math.random;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let failures = 0;
  let stopped = false;
  // A save while a round runs may come after that round sealed: it gets a round of its own soon
  // after, not a minute later.
  let roundRunning = false;
  let requestedDuring = false;

  const schedule = (delay: number) => {
    if (stopped) return;
    clearTimeout(timer);
    timer = setTimeout(() => void runNow(), delay);
  };

  async function runNow(): Promise<void> {
    clearTimeout(timer);
    let revoked = false;
    const ran = await withSyncLock(async () => {
      if (!(await readEnrolment())) return;
      // A revoked device stops asking: the server will refuse it for good.
      revoked = Boolean((await readSyncState()).revokedAt);
      // Another tab's round may have learnt it: this tab's open core takes no new records either.
      if (revoked) return deps.core()?.markRevoked();
      showSync({ running: true });
      roundRunning = true;
      requestedDuring = false;
      try {
        const result = await syncRound(deps.client, deps.core());
        failures = result.stopped?.kind === 'unreachable' ? failures + 1 : 0;
        revoked = result.stopped?.kind === 'revoked';
        showSync({ problem: result.stopped?.message ?? null });
      } catch (error) {
        failures++;
        showSync({ problem: error instanceof Error ? error.message : 'Sync failed.' });
      } finally {
        roundRunning = false;
        await refreshStatus();
      }
    });
    // Another tab held the lock: its round may have started before this tab's save, so try again
    // once it is done rather than a minute later (this tab's status line is refreshed then too).
    if (!ran) return schedule(LOCK_BUSY_RETRY_MS);
    if (revoked) return;
    // Full jitter: a random wait up to the backoff ceiling.
    schedule(failures ? random() * Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** (failures - 1)) : requestedDuring ? SOON_MS : PERIOD_MS);
  }

  const request = () => {
    if (roundRunning) requestedDuring = true;
    schedule(SOON_MS);
  };
  const onOnline = () => {
    failures = 0;
    request();
  };
  window.addEventListener('online', onOnline);
  // A save adds to the waiting count; unlocking lends the keys to seal and read the directory.
  const unsubscribe = useFootfall.subscribe((s, prev) => {
    // Locking seals what was saved, so it can upload while locked. The count read after boot is
    // not a save: the round at start covers it.
    const saved = s.unsynced !== null && prev.unsynced !== null && s.unsynced > prev.unsynced;
    if (saved || s.phase.kind !== prev.phase.kind) request();
  });
  void refreshStatus().then(request);

  return {
    request,
    runNow,
    stop() {
      stopped = true;
      clearTimeout(timer);
      window.removeEventListener('online', onOnline);
      unsubscribe();
    },
  };
}

/** Runs `work` unless another tab of this app is already syncing; says whether it ran. */
async function withSyncLock(work: () => Promise<void>): Promise<boolean> {
  if (!navigator.locks) return work().then(() => true);
  return navigator.locks.request(SYNC_LOCK, { ifAvailable: true }, async (lock) => {
    if (!lock) return false;
    await work();
    return true;
  });
}
