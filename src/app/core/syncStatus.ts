/**
 * Where sync stands, read from the device's rows and published, so every tab shows the same:
 * enrolment, last exchange, clock skew (this page's), quarantined batches, records waiting and how long they are held.
 */
import { readEnrolment, readSyncState, waitingCount } from './device.ts';
import { quarantinedCount } from './outbox.ts';
import { showSync } from './publish.ts';
import { readUploadHold } from './uploadHold.ts';

/**
 * Server time minus device time at this page's last exchange, in ms: kept in memory only, so a
 * copy of the device does not say how far its clock is off. Each page measures it at its first round.
 */
let measuredSkew: number | null = null;

export function noteSkew(skewMs: number): void {
  measuredSkew = skewMs;
}

export async function refreshStatus(): Promise<void> {
  const [enrolment, state, quarantined, unsynced, hold] = await Promise.all([
    readEnrolment(),
    readSyncState(),
    quarantinedCount(),
    waitingCount(),
    readUploadHold(),
  ]);
  showSync({
    unsynced,
    enrolled: Boolean(enrolment),
    deviceRole: enrolment?.role ?? null,
    running: false,
    lastSyncedAt: state.lastSyncedAt,
    skewMs: measuredSkew,
    quarantined,
    revoked: Boolean(state.revokedAt),
    holdsUploads: hold.on,
    heldUntil: hold.sendAfter,
  });
}
