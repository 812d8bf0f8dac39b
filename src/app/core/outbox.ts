/**
 * The outbox: events saved on this device, sealed into batches, kept until the server has
 * acknowledged them. Nothing here deletes an event the server has not confirmed.
 */
import { signDevicePart, signPart, type DeviceSigner, type Signer } from '../../crypto/authority.ts';
import { sealTo, sealWithTeamKey } from '../../crypto/envelope.ts';
import type { Keyring } from '../../crypto/keyring.ts';
import { FootfallEvent } from '../../domain/events.ts';
import { ClientError } from '../problems.ts';
import { fillBatches, listBytes, packEvent, partBound, type PackedEvent } from './batchFill.ts';
import type { BatchRow, Enrolment, EventRow, FootfallDb } from './database.ts';
import { database } from './device.ts';
import { recipientOf, type Recipient } from './orgKeys.ts';
import { openEventBytes, openEventRow, rowKeyOf } from './vault.ts';
import { keptWaiting, moveWaiting, noneWaiting, waitingRows } from './waiting.ts';

/** Event rows per read of the outbox: each slice is opened while the next is read (IndexedDB reads in another process). */
const READ_SLICE_ROWS = 2_000;
/** Batches sealed but not yet stored: how far sealing runs ahead of the writes (each holds about 1 MiB). */
const SEALING_AHEAD = 2;

/** A server that keeps refusing a batch (not a network failure) gets this many tries. */
export const REFUSALS_BEFORE_QUARANTINE = 3;

export interface TeamKey {
  version: number;
  key: CryptoKey;
}

const DIRECTORY_TYPES = new Set<FootfallEvent['type']>([
  'woman.registered',
  'woman.updated',
  'woman.merged',
  'woman.erased',
  'org.configured',
  'org.keyRotated',
  'staff.saved',
  'staff.removed',
  // Read by the device it moves (docs/security.md#devices).
  'device.moved',
]);

/** Whether an event belongs to the shared directory (every device) or the activity archive (admin only). */
export function isDirectoryEvent(event: Pick<FootfallEvent, 'type'>): boolean {
  return DIRECTORY_TYPES.has(event.type);
}

export interface SealingOptions {
  /** Each batch as soon as it is stored, in order: a round uploads it while the next is sealed. */
  stored?: (batch: BatchRow) => void;
  /**
   * Asked once every full batch is stored: whether the last, partly filled one is sealed now too.
   * Without it, it is. A round says so only once every batch before it has gone up, so a device
   * that cannot reach the server keeps filling that batch rather than sealing a small one each
   * round (docs/sync.md#batches-and-padding).
   */
  lastBatch?: () => Promise<boolean>;
}

/**
 * Seals every saved event not yet in a batch, in `seq` order, into as few batches as fit
 * (batchFill.ts), storing each as soon as it is full. Needs the unlocked keyring to read them; the
 * result is readable by the organisation (activity) and enrolled devices (directory) only.
 * Returns how many events it sealed.
 */
export async function sealWaitingEvents(
  db: FootfallDb,
  keyring: Keyring,
  deviceId: string,
  team: TeamKey,
  signingKey: CryptoKey,
  { stored, lastBatch }: SealingOptions = {},
): Promise<number> {
  // Read once: a certificate this device receives meanwhile signs from its next sealing on.
  const current = await currentEnrolment(db);
  const signer = signerOf(current, deviceId, signingKey);
  const bound = partBound(signer !== null);
  const recipient = await recipientOf(current);
  let sealedThrough = current.sealedThrough;
  let sealed = 0;
  // Batches are sealed while the next rows are read and opened, and written one after another in
  // order, each moving the sealed-through mark. One that finds the mark moved (another tab sealed
  // these rows meanwhile: its batches stand) is dropped unwritten, and so is every one after it.
  let writing: Promise<boolean> = Promise.resolve(true);
  const written: Promise<boolean>[] = [];
  const seal = (rows: EventRow[], events: PackedEvent[]) => {
    const parts = sealPackedParts(events, recipient, team, signer);
    parts.catch(() => undefined); // reported by the write it feeds
    writing = writing.then(async (going) => {
      const batch = going && (await addBatch(db, { rows, ...(await parts) }, sealedThrough));
      if (!batch) return false;
      sealedThrough = batch.toSeq;
      sealed += batch.eventCount;
      stored?.(batch);
      return true;
    });
    written.push(writing);
  };

  // The rows read and opened that are not in a batch yet: the one still filling.
  let rows: EventRow[] = [];
  let events: PackedEvent[] = [];
  let reading = readSlice(db, sealedThrough);
  try {
    for (;;) {
      const slice = await reading;
      if (!slice.length) break;
      reading = readSlice(db, slice.at(-1)!.seq!);
      rows.push(...slice);
      events.push(...(await Promise.all(slice.map((row) => openEventBytes(keyring, row)))));
      // Every batch but the last is full, and sealed now; the last may fill further from the next slice.
      const batches = fillBatches(events, bound, isDirectoryEvent);
      let from = 0;
      for (const batch of batches.slice(0, -1)) {
        seal(rows.slice(from, from + batch.length), batch);
        from += batch.length;
      }
      rows = rows.slice(from);
      events = events.slice(from);
      // Sealing runs at most a few batches ahead of the writes, so memory stays bounded.
      while (written.length > SEALING_AHEAD) if (!(await written.shift())) return sealed;
    }
  } catch (error) {
    // The full batches before a row that cannot be opened are still kept; the error is this one.
    await writing.catch(() => undefined);
    throw error;
  }
  if (events.length && (await writing) && (!lastBatch || (await lastBatch()))) seal(rows, events);
  await writing;
  return sealed;
}

/** Up to READ_SLICE_ROWS waiting rows after `seq`, in order. */
function readSlice(db: FootfallDb, seq: number): Promise<EventRow[]> {
  const slice = db.events.where('seq').above(seq).limit(READ_SLICE_ROWS).toArray();
  slice.catch(() => undefined); // reported where it is awaited; unawaited when sealing stops early
  return slice;
}

/** Who signs a part: a certified admin device as an admin, any other device as itself. */
export type PartSigner = { admin: Signer } | { device: DeviceSigner };

/**
 * Who signs the parts this device seals: a certified admin device as an admin (docs/security.md#authority),
 * every other device as itself (docs/security.md#device-signed-parts). Null only on a device
 * enrolled before its public signing key was kept: its statements name no key, and it seals unsigned as it did.
 */
export function signerOf(enrolment: Enrolment, deviceId: string, signingKey: CryptoKey): PartSigner | null {
  if (enrolment.role === 'admin' && enrolment.certificate) return { admin: { key: signingKey, certificate: enrolment.certificate } };
  if (!enrolment.signingPublicKey) return null;
  return { device: { key: signingKey, publicKey: enrolment.signingPublicKey, orgId: enrolment.orgId, deviceId } };
}

/**
 * A batch's two parts: activity events sealed to the organisation's key (its newest, orgKeys.ts: only the admin reads
 * them), directory events with the team key (every enrolled device reads them). Both are always
 * present and padded, so the server cannot tell which kinds of event a batch holds. Each part is
 * signed inside the seal: by a certified admin device as an admin, so every device can tell its
 * changes carry authority; by any other device as itself, so the admin can tell it sealed them.
 */
export function sealBatchParts(events: readonly FootfallEvent[], recipient: Recipient, team: TeamKey, signer: PartSigner | null): Promise<{ activity: string; directory: string }> {
  return sealPackedParts(events.map(packEvent), recipient, team, signer);
}

/** sealBatchParts for events already encoded (batchFill.ts packEvent). */
export async function sealPackedParts(
  events: readonly PackedEvent[],
  recipient: Recipient,
  team: TeamKey,
  signer: PartSigner | null,
): Promise<{ activity: string; directory: string }> {
  const plain = async (list: readonly PackedEvent[]) => {
    const bytes = listBytes(list.map((p) => p.bytes));
    if (!signer) return bytes;
    return 'admin' in signer ? signPart(signer.admin, bytes) : signDevicePart(signer.device, bytes);
  };
  const [activity, directory] = await Promise.all([
    plain(events.filter((p) => !isDirectoryEvent(p.event))).then((bytes) => sealTo(recipient.publicKey, bytes, { kid: recipient.kid })),
    plain(events.filter((p) => isDirectoryEvent(p.event))).then((bytes) => sealWithTeamKey(team, bytes)),
  ]);
  return { activity, directory };
}

/**
 * Takes `count` of this device's batch sequence numbers for batches made outside the outbox
 * (an admin's compaction), so every batch the device sends keeps its own number. Returns the first.
 */
export async function reserveSeqs(count: number): Promise<number> {
  const db = database();
  return db.transaction('rw', db.device, async () => {
    const enrolment = await currentEnrolment(db);
    await db.device.put({ ...enrolment, nextSeq: enrolment.nextSeq + count });
    return enrolment.nextSeq;
  });
}

/**
 * Writes a batch and moves the sealed-through mark in one transaction, unless the mark moved
 * since its rows were read: then nothing is written (null), and no event is ever in two batches.
 */
async function addBatch(db: FootfallDb, { rows, activity, directory }: { rows: EventRow[]; activity: string; directory: string }, after: number): Promise<BatchRow | null> {
  return db.transaction('rw', [db.batches, db.device], async () => {
    const enrolment = await currentEnrolment(db);
    if (enrolment.sealedThrough !== after) return null;
    const batch: BatchRow = {
      batchId: crypto.randomUUID(),
      seq: enrolment.nextSeq,
      fromSeq: rows[0]!.seq!,
      toSeq: rows.at(-1)!.seq!,
      eventCount: rows.length,
      activity,
      directory,
      state: 'pending',
      refusals: 0,
      lastError: null,
    };
    await db.device.put({ ...enrolment, nextSeq: enrolment.nextSeq + 1, sealedThrough: batch.toSeq });
    await db.batches.add(batch);
    return batch;
  });
}

async function currentEnrolment(db: FootfallDb): Promise<Enrolment> {
  const row = await db.device.get('enrolment');
  if (row?.key !== 'enrolment') throw new ClientError('not_enrolled');
  return row;
}

/** Sealed batches waiting for the server, in the order they must be sent. */
export function pendingBatches(): Promise<BatchRow[]> {
  return database().batches.where('state').equals('pending').sortBy('seq');
}

/** Every batch still on this device, waiting or set aside, in the order it was sealed. */
export function allBatches(): Promise<BatchRow[]> {
  return database().batches.orderBy('seq').toArray();
}

/** Whether every event saved here has reached the server (none waiting, none sealed, none set aside). */
export async function allSent(): Promise<boolean> {
  const db = database();
  return (await keptWaiting(db)) + (await db.batches.count()) === 0;
}

/** Batches set aside after the server kept refusing them: shown, never dropped. */
export function quarantinedCount(): Promise<number> {
  return database().batches.where('state').equals('quarantined').count();
}

/**
 * The server has the batch: its events leave this device, and the waiting count drops by those
 * that were waiting, in the same transaction. Counted from the rows still there in it, so
 * acknowledging a batch twice (two tabs) takes nothing twice.
 */
export async function acknowledge(batch: BatchRow): Promise<void> {
  const db = database();
  await db.transaction('rw', [db.events, db.batches, db.device], async () => {
    const run = db.events.where('seq').between(batch.fromSeq, batch.toSeq, true, true);
    // Counted by key, without reading the rows. Rows an early version marked synced may sit in the
    // run (they were sealed with the rest); they were never counted as waiting.
    const inRun = await run.count();
    const markedSynced = (await db.events.where('synced').equals(1).primaryKeys()).filter((seq) => seq >= batch.fromSeq && seq <= batch.toSeq).length;
    await run.delete();
    await db.batches.delete(batch.batchId);
    // One index entry read: when the outbox has just emptied, the count is known exactly.
    if (await waitingRows(db).first()) await moveWaiting(db, markedSynced - inRun);
    else await noneWaiting(db);
  });
}

/** The server refused the batch. After a few refusals it is set aside, shown, and never deleted. */
export async function recordRefusal(batch: BatchRow, message: string, final: boolean): Promise<BatchRow> {
  const refusals = batch.refusals + 1;
  const next: BatchRow = {
    ...batch,
    refusals,
    lastError: message,
    state: final || refusals >= REFUSALS_BEFORE_QUARANTINE ? 'quarantined' : 'pending',
  };
  await database().batches.put(next);
  return next;
}

/**
 * Gives a quarantined batch a fresh id and sequence number so it can be tried again (after the
 * cause is fixed). Its sealed contents do not change, and its events stay on the device.
 */
export async function retryQuarantined(): Promise<number> {
  const db = database();
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

/**
 * This device's own events not yet acknowledged, as an unlocked device reads them. Their times
 * are inside the sealed events, so it takes the keyring: nothing about when work happened is kept
 * in the clear for a locked (or lost) device to show.
 */
export class OutboxReader {
  constructor(
    private readonly db: FootfallDb,
    private readonly keyring: Keyring,
  ) {}

  async anythingWaiting(): Promise<boolean> {
    return (await keptWaiting(this.db)) > 0;
  }

  /**
   * Which of these event ids are still waiting. Rows are keyed by tags of their ids (vault.ts
   * sealEventRow), so each id is tagged and looked for; a row an earlier build keyed by the id
   * itself is found by it. Rows that cannot be opened are found too: no row need be opened.
   */
  async waitingAmong(eventIds: Iterable<string>): Promise<Set<string>> {
    const keys = new Set((await waitingRows(this.db).toArray()).map((row) => row.id));
    if (!keys.size) return new Set();
    const found = await Promise.all([...eventIds].map(async (id) => (keys.has(id) || keys.has(await rowKeyOf(this.keyring, 'events', id)) ? id : null)));
    return new Set(found.filter((id) => id !== null));
  }

  /** Every waiting event, opened; rows that cannot be opened are counted, not guessed at. */
  async waitingEvents(): Promise<{ events: FootfallEvent[]; unreadable: number }> {
    const events: FootfallEvent[] = [];
    let unreadable = 0;
    for (const row of await waitingRows(this.db).toArray()) {
      const event = await openEventRow(this.keyring, row).catch(() => null);
      if (event) events.push(event);
      else unreadable++;
    }
    return { events, unreadable };
  }

  /** When the oldest record still waiting was made, or null when nothing waits (or it cannot be read). */
  async oldestWaitingAt(): Promise<string | null> {
    // The index lists waiting rows in the order they were written (by seq): the first is the oldest.
    const row = await waitingRows(this.db).first();
    if (!row) return null;
    const event = await openEventRow(this.keyring, row).catch(() => null);
    return event?.at ?? null; // an unreadable row is reported elsewhere; the count still shows
  }
}
