/**
 * "Waiting to upload", defined once: an event saved on this device that the server has not
 * acknowledged (in a batch already, or still to be sealed): a row of the outbox that no
 * acknowledged batch lists. Acknowledged events are deleted soon after (docs/sync.md#acknowledging).
 *
 * Counting them reads every key of the outbox, which takes hundreds of milliseconds with a long
 * one, so their number is also kept in a row of the device table.
 * Every transaction that adds or removes waiting events moves that row in the same transaction
 * (docs/sync.md#the-waiting-count), so the two never disagree, even with several tabs writing at once.
 */
import type { Table } from 'dexie';
import type { EventRowOfEarlierBuilds, FootfallDb } from './database.ts';

export const WAITING_KEY = 'waiting';

/** The waiting rows of the event log of builds before version 6, as the upgrade to version 4 counted them. */
export function waitingIn(events: Table<EventRowOfEarlierBuilds, number>) {
  return events.where('synced').equals(0);
}

/**
 * The keys of the waiting rows, in no particular order (they are tags): every outbox row but those
 * listed by a batch the server has acknowledged, which are being deleted (outbox.ts sweepAcknowledged).
 * Read in one transaction, so a sweep or an acknowledgement is seen whole or not at all.
 */
export function waitingKeys(db: FootfallDb): Promise<string[]> {
  return db.transaction('r', [db.outbox, db.batches], async () => {
    const [keys, acknowledged] = await Promise.all([db.outbox.toCollection().primaryKeys(), db.batches.where('state').equals('acknowledged').toArray()]);
    if (!acknowledged.length) return keys;
    const leaving = new Set(acknowledged.flatMap((batch) => batch.rows));
    return keys.filter((key) => !leaving.has(key));
  });
}

/**
 * The kept count. Inside a transaction it must include `db.device`, and then it is the count as
 * that transaction sees it. A database made new has no row, and no events.
 */
export async function keptWaiting(db: FootfallDb): Promise<number> {
  const row = await db.device.get(WAITING_KEY);
  return row?.key === WAITING_KEY ? row.count : 0;
}

/**
 * Nothing is waiting any more: the kept count is exactly none, whatever it said. Called whenever
 * the outbox empties, so even a count that went wrong (docs/sync.md#known-gaps) is right again there.
 */
export function noneWaiting(db: FootfallDb): Promise<void> {
  return keepWaiting(db, 0);
}

/**
 * Writes the kept count as `count`, in the caller's transaction, which read the count it started
 * from in the same transaction (moveWaiting reads and writes it in two steps; a caller that has
 * other requests to make can make them beside those two).
 */
export async function keepWaiting(db: FootfallDb, count: number): Promise<void> {
  await db.device.put({ key: WAITING_KEY, count });
}

/**
 * Moves the kept count by `delta`, in the caller's transaction (which must include `db.device`
 * and be the one that adds or removes those events); returns the count after it.
 */
export async function moveWaiting(db: FootfallDb, delta: number): Promise<number> {
  const count = (await keptWaiting(db)) + delta;
  if (delta !== 0) await keepWaiting(db, count);
  return count;
}
