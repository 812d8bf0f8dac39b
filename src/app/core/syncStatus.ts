/**
 * Where sync stands, read from the device's rows and published, so every tab shows the same:
 * enrolment, last exchange, clock skew, quarantined batches, records waiting and how long they are held.
 */
import { readEnrolment, readSyncState, waitingCount } from './device.ts';
import { quarantinedCount } from './outbox.ts';
import { showSync } from './publish.ts';
import { readUploadHold } from './uploadHold.ts';

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
    skewMs: state.skewMs,
    quarantined,
    revoked: Boolean(state.revokedAt),
    holdsUploads: hold.on,
    heldUntil: hold.sendAfter,
  });
}
