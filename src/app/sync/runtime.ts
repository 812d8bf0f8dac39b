/**
 * Sync for the running app: one client for this origin and one scheduler, started after the
 * device has booted. Loaded lazily, so the lock screen does not wait for it. The scheduler is
 * lent the unlocked core, when there is one, to seal what is waiting and read the directory.
 */
import { openedCore } from '../lock/access.ts';
import { SyncClient } from './client.ts';
import { startScheduler, type Scheduler } from './scheduler.ts';

export const syncClient = new SyncClient(location.origin);
let scheduler: Scheduler | undefined;

export function startSync(): Scheduler {
  scheduler ??= startScheduler({ client: syncClient, core: openedCore });
  return scheduler;
}

/** The "Sync now" button. */
export function syncNow(): Promise<void> {
  return startSync().runNow();
}
