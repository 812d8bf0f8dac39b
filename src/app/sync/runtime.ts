/**
 * Sync for the running app: one client for this origin and one scheduler, started after the
 * device has booted. Loaded lazily, so the lock screen does not wait for it.
 */
import { applyDirectory, pruneSynced } from '../session.ts';
import { database } from '../core/device.ts';
import { useFootfall } from '../store.ts';
import { SyncClient } from './client.ts';
import { receiveTeamKeys } from './organisation.ts';
import { startScheduler, type Scheduler } from './scheduler.ts';

export const syncClient = new SyncClient(location.origin);
let scheduler: Scheduler | undefined;

export function startSync(): Scheduler {
  scheduler ??= startScheduler({
    db: database(),
    client: syncClient,
    deviceId: () => useFootfall.getState().identity?.deviceId,
    unlocked: () => {
      const { phase } = useFootfall.getState();
      if (phase.kind !== 'unlocked' || phase.session.teamKeys.size === 0) return null;
      return {
        keyring: phase.session.vault.keyring,
        teamKeys: () => {
          const now = useFootfall.getState().phase;
          return now.kind === 'unlocked' ? now.session.teamKeys : phase.session.teamKeys;
        },
        receiveTeamKeys: () => receiveTeamKeys(syncClient),
        applyDirectory,
        pruneSynced,
      };
    },
  });
  return scheduler;
}

/** The "Sync now" button. */
export function syncNow(): Promise<void> {
  return startSync().runNow();
}
