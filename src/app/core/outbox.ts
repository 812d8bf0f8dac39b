/**
 * The outbox: events saved on this device, sealed into batches, kept until the server has
 * acknowledged them. Nothing here deletes an event the server has not confirmed.
 */
import { signDevicePart, signPart, type DeviceSigner, type Signer } from '../../crypto/authority.ts';
import { sealTo, sealWithTeamKey } from '../../crypto/envelope.ts';
import type { Keyring } from '../../crypto/keyring.ts';
import { FootfallEvent } from '../../domain/events.ts';
import { fillBatches, listBytes, packEvent, partBound, type PackedEvent } from './batchFill.ts';
import type { SealingKey } from '../../crypto/atRest.ts';
import { ClientError } from '../problems.ts';
import type { BatchRow, Enrolment, FootfallDb } from './database.ts';
import { database } from './device.ts';
import { openBatchMarks, readMarks, sealBatchMarks, sealMarks, updateMarks, uploadSealer, writeMarksIfUnchanged, type ReadMarks } from './marks.ts';
import type { EnrolmentMarks } from './rows.ts';
import { recipientOf, type Recipient } from './orgKeys.ts';
import { openEventRow, rowKeyOf } from './vault.ts';
import { keptWaiting, moveWaiting, noneWaiting, waitingRows } from './waiting.ts';

/**
 * How many event rows one read of the outbox takes: enough for a day's work at a busy centre in
 * one go, few enough to hold in memory while they are sealed.
 */
export const SEAL_READ_ROWS = 10_000;
/** Rows per read within it. */
const READ_SLICE_ROWS = 2_000;

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
export function isDirectoryEvent(event: FootfallEvent): boolean {
  return DIRECTORY_TYPES.has(event.type);
}

/**
 * Seals every saved event not yet in a batch (an outbox row no batch lists) into as few batches
 * as fit (batchFill.ts), up to SEAL_READ_ROWS at a time, each read in the order the events were
 * made (their ids are UUIDv7). The order matters to nothing but tidiness: each event carries its
 * own id, and every reader of the archive and the directory takes them in any order. Needs the
 * unlocked keyring to read them; the result is readable by the organisation (activity) and
 * enrolled devices (directory) only.
 */
export async function sealWaitingEvents(db: FootfallDb, keyring: Keyring, deviceId: string, team: TeamKey, signingKey: CryptoKey): Promise<number> {
  let sealed = 0;
  for (;;) {
    // Read afresh each time: a certificate this device has just received signs from the next batch on.
    const read = await readMarks(db, keyring);
    const listed = new Set(await db.batches.orderBy('rows').keys());
    const unsealed = (await db.outbox.toCollection().primaryKeys()).filter((key) => !listed.has(key));
    const more = unsealed.length > SEAL_READ_ROWS;
    const keys = unsealed.slice(0, SEAL_READ_ROWS);
    if (!keys.length) return sealed;
    // Read in slices, each opened while the next is read: IndexedDB reads in another process.
    const opening: Promise<{ key: string; packed: PackedEvent }[]>[] = [];
    for (let from = 0; from < keys.length; from += READ_SLICE_ROWS) {
      const rows = await db.outbox.bulkGet(keys.slice(from, from + READ_SLICE_ROWS));
      const opened = Promise.all(rows.flatMap((row) => (row ? [openEventRow(keyring, row).then((event) => ({ key: row.id, packed: packEvent(event) }))] : [])));
      opened.catch(() => undefined); // reported by Promise.all below, once every slice is read
      opening.push(opened);
    }
    const events = (await Promise.all(opening)).flat().sort((a, b) => (a.packed.event.id < b.packed.event.id ? -1 : 1));
    // Acknowledged (deleted) by another tab meanwhile: they are sealed no more.
    if (!events.length) return sealed;
    const current = await currentEnrolment(db);
    const signer = signerOf({ ...current, ...read.marks }, deviceId, signingKey);
    let batches = fillBatches(
      events.map((e) => e.packed),
      partBound(signer !== null),
      isDirectoryEvent,
    );
    // A read cut short by its limit leaves its last batch to the next read, which may fill it further.
    if (more && batches.length > 1) batches = batches.slice(0, -1);
    const recipient = await recipientOf(current);
    const parts = await Promise.all(batches.map((batch) => sealPackedParts(batch, recipient, team, signer)));
    let from = 0;
    const runs = batches.map((batch, i) => {
      const run = events.slice(from, from + batch.length);
      from += batch.length;
      return { keys: run.map((e) => e.key), ...parts[i]! };
    });
    // Another tab sealed meanwhile: its batches stand, and these are dropped unwritten.
    if (!(await addBatches(db, keyring, read, runs))) return sealed;
    sealed += from;
  }
}

/** Who signs a part: a certified admin device as an admin, any other device as itself. */
export type PartSigner = { admin: Signer } | { device: DeviceSigner };

/**
 * Who signs the parts this device seals: a certified admin device as an admin (docs/security.md#authority),
 * every other device as itself (docs/security.md#device-signed-parts). Null only on a device
 * enrolled before its public signing key was kept: its statements name no key, and it seals unsigned as it did.
 */
export function signerOf(enrolment: Enrolment & Pick<EnrolmentMarks, 'certificate'>, deviceId: string, signingKey: CryptoKey): PartSigner | null {
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
export async function reserveSeqs(keyring: Keyring, count: number): Promise<number> {
  const marks = await updateMarks(database(), keyring, (m) => ({ ...m, nextSeq: m.nextSeq + count }));
  return marks.nextSeq - count;
}

/**
 * Writes the batches and moves the next sequence number in one transaction, unless another tab
 * wrote the marks since they were read (it sealed, or took numbers): then nothing is written, and
 * no event is ever in two batches, nor a number in two.
 */
async function addBatches(
  db: FootfallDb,
  keyring: Keyring,
  read: ReadMarks,
  runs: { keys: string[]; activity: string; directory: string }[],
): Promise<boolean> {
  const upload = uploadSealer(keyring);
  const batches: BatchRow[] = await Promise.all(
    runs.map(async ({ keys, activity, directory }, i) => {
      const batchId = crypto.randomUUID();
      return {
        batchId,
        marks: await sealBatchMarks(upload, batchId, { seq: read.marks.nextSeq + i }),
        rows: [...keys].sort(),
        eventCount: keys.length,
        activity,
        directory,
        state: 'pending' as const,
        refusals: 0,
        lastError: null,
      };
    }),
  );
  const marks = await sealMarks(keyring, { ...read.marks, nextSeq: read.marks.nextSeq + runs.length });
  return db.transaction('rw', [db.batches, db.settings, db.device], async () => {
    if (!(await writeMarksIfUnchanged(db, read, marks))) return false;
    await db.batches.bulkAdd(batches);
    return true;
  });
}

async function currentEnrolment(db: FootfallDb): Promise<Enrolment> {
  const row = await db.device.get('enrolment');
  if (row?.key !== 'enrolment') throw new ClientError('not_enrolled');
  return row;
}

/** A batch with its sequence number opened, ready to send. */
export type SendableBatch = BatchRow & { seq: number };

/**
 * Sealed batches waiting for the server, in the order they were sealed, their sequence numbers
 * opened with the upload key. Without it (a page that has not been unlocked) only batches of an
 * earlier build, whose number is still in the clear, can be sent.
 */
export async function pendingBatches(upload: SealingKey | null): Promise<SendableBatch[]> {
  const pending = await database().batches.where('state').equals('pending').toArray();
  const opened = await Promise.all(pending.map(async (batch) => ({ batch, marks: await openBatchMarks(upload, batch).catch(() => null) })));
  return opened.flatMap(({ batch, marks }) => (marks ? [{ ...batch, seq: marks.seq }] : [])).sort((a, b) => a.seq - b.seq);
}

/** Every batch still on this device, waiting or set aside. */
export function allBatches(): Promise<BatchRow[]> {
  return database().batches.toArray();
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
 * that were still there, in the same transaction. Counted from the rows still there in it, so
 * acknowledging a batch twice (two tabs) takes nothing twice. Needs no key: the batch lists its rows.
 */
export async function acknowledge(batch: BatchRow): Promise<void> {
  const db = database();
  await db.transaction('rw', [db.outbox, db.batches, db.device], async () => {
    // Counted by key, without reading the rows.
    const present = await db.outbox.where(':id').anyOf(batch.rows).primaryKeys();
    await db.outbox.bulkDelete(present);
    await db.batches.delete(batch.batchId);
    // One key read: when the outbox has just emptied, the count is known exactly.
    if ((await db.outbox.limit(1).primaryKeys()).length) await moveWaiting(db, -present.length);
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
export async function retryQuarantined(keyring: Keyring): Promise<number> {
  const db = database();
  const upload = uploadSealer(keyring);
  for (;;) {
    const read = await readMarks(db, keyring);
    const quarantined = await db.batches.where('state').equals('quarantined').toArray();
    const fresh: BatchRow[] = await Promise.all(
      quarantined.map(async (batch, i) => {
        const { seq: _clear, ...rest } = batch;
        const batchId = crypto.randomUUID();
        const marks = await sealBatchMarks(upload, batchId, { seq: read.marks.nextSeq + i });
        return { ...rest, batchId, marks, state: 'pending' as const, refusals: 0, lastError: null };
      }),
    );
    const sealed = await sealMarks(keyring, { ...read.marks, nextSeq: read.marks.nextSeq + quarantined.length });
    const done = await db.transaction('rw', [db.batches, db.settings, db.device], async () => {
      if (!(await writeMarksIfUnchanged(db, read, sealed))) return false;
      // Only those still set aside: another tab may have sent them again meanwhile.
      const still = await db.batches.bulkGet(quarantined.map((b) => b.batchId));
      if (still.some((b) => b?.state !== 'quarantined')) return false;
      await db.batches.bulkDelete(quarantined.map((b) => b.batchId));
      await db.batches.bulkAdd(fresh);
      return true;
    });
    if (done) return quarantined.length;
  }
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
    const keys = new Set(await waitingRows(this.db).primaryKeys());
    if (!keys.size) return new Set();
    const found = await Promise.all([...eventIds].map(async (id) => (keys.has(id) || keys.has(await rowKeyOf(this.keyring, 'events', id)) ? id : null)));
    return new Set(found.filter((id) => id !== null));
  }

  /** Every waiting event, opened; rows that cannot be opened are counted, not guessed at. */
  async waitingEvents(): Promise<{ events: FootfallEvent[]; unreadable: number }> {
    // Opened all at once, not one after another: each is a decryption and a keyed tag, and WebCrypto
    // runs them off the JavaScript thread. The order stays the rows' own (by seq).
    const opened = await Promise.all((await waitingRows(this.db).toArray()).map((row) => openEventRow(this.keyring, row).catch(() => null)));
    const events = opened.filter((e): e is FootfallEvent => e !== null);
    return { events, unreadable: opened.length - events.length };
  }

  /** When each waiting row's record was made, by row key: rows never change, so each is opened once. */
  readonly #madeAt = new Map<string, string | null>();

  /**
   * When the oldest record still waiting was made, or null when nothing waits (or none can be
   * read). The outbox keeps no order, so every waiting row's time is read, each opened only the
   * first time it is seen; its keys are read each time, not its rows.
   */
  async oldestWaitingAt(): Promise<string | null> {
    const keys = await waitingRows(this.db).primaryKeys();
    const unknown = keys.filter((key) => !this.#madeAt.has(key));
    for (let from = 0; from < unknown.length; from += READ_SLICE_ROWS) {
      const rows = await this.db.outbox.bulkGet(unknown.slice(from, from + READ_SLICE_ROWS));
      const times = await Promise.all(rows.map(async (row) => (row ? ((await openEventRow(this.keyring, row).catch(() => null))?.at ?? null) : null)));
      unknown.slice(from, from + READ_SLICE_ROWS).forEach((key, i) => this.#madeAt.set(key, times[i]!));
    }
    const present = new Set(keys);
    let oldest: string | null = null;
    for (const [key, at] of this.#madeAt) {
      if (!present.has(key)) this.#madeAt.delete(key); // acknowledged since
      else if (at !== null && (oldest === null || at < oldest)) oldest = at;
    }
    return oldest; // an unreadable row is reported elsewhere; the count still shows
  }
}
