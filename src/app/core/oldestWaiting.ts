/**
 * When the oldest record still waiting for the server was made. The time is inside the sealed
 * event, so it takes the unlocked keyring to read: nothing about when work happened is kept in
 * the clear for a locked (or lost) device to show. Loaded only once someone has unlocked.
 */
import { z } from 'zod';
import { openJson } from '../../crypto/atRest.ts';
import { Instant } from '../../domain/events.ts';
import type { Vault } from './vault.ts';

const Stamped = z.object({ at: Instant });

export async function oldestWaitingAt(vault: Pick<Vault, 'db' | 'keyring'>): Promise<string | null> {
  // The outbox index lists waiting rows in the order they were written (by seq): the first is the oldest.
  const row = await vault.db.events.where('synced').equals(0).first();
  if (!row) return null;
  try {
    const parsed = Stamped.safeParse(await openJson(vault.keyring, `events:${row.id}`, row));
    return parsed.success ? parsed.data.at : null;
  } catch {
    return null; // an unreadable row is reported elsewhere; the count still shows
  }
}
