/**
 * Where sync stands, read from the device's rows and published, so every tab shows the same:
 * enrolment, last exchange, clock skew (this page's), quarantined batches, records waiting and how long they are held.
 */
import { database, readEnrolment, readIdentity, readSyncState, waitingCount } from './device.ts';
import type { SealingKey } from '../../crypto/atRest.ts';
import { readLastSync, writeLastSync } from './marks.ts';
import { uploadKeys } from './uploadSigner.ts';
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

/**
 * When this page last heard the server answer. The stored time is sealed under the upload key
 * (marks.ts), which only a page that has been unlocked holds: a page that never was shows the
 * time only once it has synced itself, or someone unlocks (docs/security.md#what-a-copy-of-a-locked-device-shows).
 */
let heardAt: string | null = null;

/** The server answered: kept in this page's memory, and stored sealed when this page holds the upload key. */
export async function noteLastSync(at: string, upload: SealingKey | null): Promise<void> {
  heardAt = at;
  if (upload) await writeLastSync(database(), upload, at);
}

/** The last-synced time this page can know: its own, or the sealed one when it holds the upload key; undefined when neither. */
async function lastSync(): Promise<string | null | undefined> {
  if (heardAt) return heardAt;
  const identity = await readIdentity();
  const kept = identity && uploadKeys(identity.deviceId);
  if (!kept) return (await database().device.get('lastSync')) ? undefined : readLastSync(database(), null);
  return readLastSync(database(), kept.upload).catch(() => undefined);
}

export async function refreshStatus(): Promise<void> {
  const [enrolment, state, quarantined, unsynced, hold, lastSyncedAt] = await Promise.all([
    readEnrolment(),
    readSyncState(),
    quarantinedCount(),
    waitingCount(),
    readUploadHold(),
    lastSync(),
  ]);
  showSync({
    read: true,
    unsynced,
    enrolled: Boolean(enrolment),
    deviceRole: enrolment?.role ?? null,
    running: false,
    lastSyncedAt: lastSyncedAt ?? null,
    lastSyncKnown: lastSyncedAt !== undefined,
    skewMs: measuredSkew,
    quarantined,
    revoked: Boolean(state.revoked),
    holdsUploads: hold.on,
    heldUntil: hold.sendAfter,
  });
}
