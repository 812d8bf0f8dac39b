/**
 * What the lock screen shows, kept in localStorage too, so a cold start shows it without waiting
 * for IndexedDB: with a long outbox the browser can take a second to open the database
 * (docs/architecture.md#cold-start). It holds only fields the database keeps in the clear for a
 * locked device (docs/security.md#what-a-copy-of-a-locked-device-shows): the device's identity
 * and name, who may unlock it (names and roles, never a wrapped key) and the PIN limits.
 *
 * It is written only from rows the core has committed and published (src/app/core/publish.ts), so
 * it is never ahead of the disk, and it is never the authority: boot shows the database's own rows
 * moments later, and unlocking reads only the database. Anything unreadable here is ignored.
 */
import * as z from 'zod/mini';
import '../zodConfig.ts';
import { ROLES } from '../../domain/roles.ts';
import type { DeviceIdentity, LockStaff, LockState } from './database.ts';

const KEY = 'footfall.lockScreen';

/**
 * No wrong PINs outstanding. Here rather than beside the table it is stored in, so the store and
 * the lock screen have it without loading Dexie before the first paint.
 */
export const OPEN_LOCK: LockState = { key: 'lock', failures: 0, held: false };

const LockSnapshot = z.object({
  identity: z.object({ key: z.literal('identity'), deviceId: z.string(), deviceName: z.string(), siteKey: z.string() }),
  staff: z.array(z.object({ id: z.string(), name: z.string(), role: z.enum(ROLES), orgAdmin: z.optional(z.boolean()) })),
  lock: z.object({ key: z.literal('lock'), failures: z.number(), held: z.boolean() }),
});

export interface LockSnapshot {
  identity: DeviceIdentity;
  staff: LockStaff[];
  lock: LockState;
}

function storage(): Storage | null {
  try {
    return typeof localStorage === 'undefined' ? null : localStorage;
  } catch {
    // Storage blocked by the browser's settings: start from the database alone.
    return null;
  }
}

export function readLockSnapshot(): LockSnapshot | null {
  try {
    const raw = storage()?.getItem(KEY);
    if (!raw) return null;
    const parsed = LockSnapshot.safeParse(JSON.parse(raw));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/** Keeps what a locked device shows now; null forgets it (the device is not set up). */
export function keepLockSnapshot(snapshot: LockSnapshot | null): void {
  try {
    if (!snapshot) return storage()?.removeItem(KEY);
    const { identity, staff, lock } = snapshot;
    const kept: LockSnapshot = {
      identity: { key: 'identity', deviceId: identity.deviceId, deviceName: identity.deviceName, siteKey: identity.siteKey },
      staff: staff.map((s) => ({ id: s.id, name: s.name, role: s.role, ...(s.orgAdmin !== undefined && { orgAdmin: s.orgAdmin }) })),
      lock: { key: 'lock', failures: lock.failures, held: lock.held },
    };
    storage()?.setItem(KEY, JSON.stringify(kept));
  } catch {
    // Out of space or blocked: the next cold start waits for the database, as it always may.
  }
}
