/**
 * The outbox: events saved on this device, sealed into batches, kept until the server has
 * acknowledged them. Nothing here deletes an event the server has not confirmed.
 */
import { openJson } from '../../crypto/atRest.ts';
import { jsonBytes, sealTo, sealWithTeamKey } from '../../crypto/envelope.ts';
import type { Keyring } from '../../crypto/keyring.ts';
import { FootfallEvent } from '../../domain/events.ts';
import type { PublicJwk } from '../../domain/protocol.ts';
import type { BatchRow, Enrolment, EventRow, FootfallDb } from './database.ts';

/** Large enough that 10,000 waiting events are ten uploads, small enough to stay well under the body limit. */
export const BATCH_MAX_EVENTS = 1000;

/** A server that keeps refusing a batch (not a network failure) gets this many tries. */
export const REFUSALS_BEFORE_QUARANTINE = 3;

export interface TeamKey {
  version: number;
  key: CryptoKey;
}

const DIRECTORY_TYPES = new Set<FootfallEvent['type']>(['woman.registered', 'woman.updated', 'woman.merged', 'woman.erased', 'org.configured']);

/** Whether an event belongs to the shared directory (every device) or the activity archive (admin only). */
export function isDirectoryEvent(event: FootfallEvent): boolean {
  return DIRECTORY_TYPES.has(event.type);
}

/**
 * Seals every saved event not yet in a batch, in `seq` order. Needs the unlocked keyring to read
 * them; the result is readable by the organisation (activity) and enrolled devices (directory) only.
 */
export async function sealWaitingEvents(db: FootfallDb, keyring: Keyring, enrolment: Enrolment, team: TeamKey): Promise<number> {
  let sealed = 0;
  for (;;) {
    const after = (await currentEnrolment(db)).sealedThrough;
    const rows = await db.events.where('seq').above(after).limit(BATCH_MAX_EVENTS).toArray();
    if (!rows.length) return sealed;
    const events = await Promise.all(rows.map((row) => openEvent(keyring, row)));
    const { activity, directory } = await sealBatchParts(events, enrolment.orgPublicKey, team);
    // Another tab sealed these meanwhile: its batch stands, and this one is dropped unwritten.
    if (!(await addBatch(db, rows, activity, directory, after))) return sealed;
    sealed += rows.length;
  }
}

/**
 * A batch's two parts: activity events sealed to the organisation's key (only the admin reads
 * them), directory events with the team key (every enrolled device reads them). Both are always
 * present and padded, so the server cannot tell which kinds of event a batch holds.
 */
export async function sealBatchParts(
  events: readonly FootfallEvent[],
  orgPublicKey: PublicJwk,
  team: TeamKey,
): Promise<{ activity: string; directory: string }> {
  const [activity, directory] = await Promise.all([
    sealTo(orgPublicKey, jsonBytes(events.filter((e) => !isDirectoryEvent(e)))),
    sealWithTeamKey(team, jsonBytes(events.filter(isDirectoryEvent))),
  ]);
  return { activity, directory };
}

/**
 * Takes `count` of this device's batch sequence numbers for batches made outside the outbox
 * (an admin's compaction), so every batch the device sends keeps its own number. Returns the first.
 */
export async function reserveSeqs(db: FootfallDb, count: number): Promise<number> {
  return db.transaction('rw', db.device, async () => {
    const enrolment = await currentEnrolment(db);
    await db.device.put({ ...enrolment, nextSeq: enrolment.nextSeq + count });
    return enrolment.nextSeq;
  });
}

/**
 * Writes the batch and moves the sealed-through mark in one transaction, unless the mark moved
 * since the rows were read: then nothing is written, and no event is ever in two batches.
 */
async function addBatch(db: FootfallDb, rows: EventRow[], activity: string, directory: string, after: number): Promise<boolean> {
  return db.transaction('rw', [db.batches, db.device], async () => {
    const enrolment = await currentEnrolment(db);
    if (enrolment.sealedThrough !== after) return false;
    const toSeq = rows.at(-1)!.seq!;
    await db.device.put({ ...enrolment, nextSeq: enrolment.nextSeq + 1, sealedThrough: toSeq });
    await db.batches.add({
      batchId: crypto.randomUUID(),
      seq: enrolment.nextSeq,
      fromSeq: rows[0]!.seq!,
      toSeq,
      eventIds: rows.map((r) => r.id),
      activity,
      directory,
      state: 'pending',
      refusals: 0,
      lastError: null,
    });
    return true;
  });
}

async function currentEnrolment(db: FootfallDb): Promise<Enrolment> {
  const row = await db.device.get('enrolment');
  if (row?.key !== 'enrolment') throw new Error('This device is not enrolled with the organisation yet.');
  return row;
}

async function openEvent(keyring: Keyring, row: EventRow): Promise<FootfallEvent> {
  return FootfallEvent.parse(await openJson(keyring, `events:${row.id}`, row));
}

/** The server has the batch: its events leave this device. */
export async function acknowledge(db: FootfallDb, batch: BatchRow): Promise<void> {
  await db.transaction('rw', [db.events, db.batches], async () => {
    await db.events.where('seq').between(batch.fromSeq, batch.toSeq, true, true).delete();
    await db.batches.delete(batch.batchId);
  });
}

/** The server refused the batch. After a few refusals it is set aside, shown, and never deleted. */
export async function recordRefusal(db: FootfallDb, batch: BatchRow, message: string, final: boolean): Promise<BatchRow> {
  const refusals = batch.refusals + 1;
  const next: BatchRow = {
    ...batch,
    refusals,
    lastError: message,
    state: final || refusals >= REFUSALS_BEFORE_QUARANTINE ? 'quarantined' : 'pending',
  };
  await db.batches.put(next);
  return next;
}

/**
 * Gives a quarantined batch a fresh id and sequence number so it can be tried again (after the
 * cause is fixed). Its sealed contents do not change, and its events stay on the device.
 */
export async function retryQuarantined(db: FootfallDb): Promise<number> {
  return db.transaction('rw', [db.batches, db.device], async () => {
    const quarantined = await db.batches.where('state').equals('quarantined').toArray();
    let enrolment = await currentEnrolment(db);
    for (const batch of quarantined) {
      const fresh: BatchRow = { ...batch, batchId: crypto.randomUUID(), seq: enrolment.nextSeq, state: 'pending', refusals: 0, lastError: null };
      enrolment = { ...enrolment, nextSeq: enrolment.nextSeq + 1 };
      await db.batches.delete(batch.batchId);
      await db.batches.add(fresh);
    }
    await db.device.put(enrolment);
    return quarantined.length;
  });
}
