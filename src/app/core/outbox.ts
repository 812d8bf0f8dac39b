/**
 * The outbox: events saved on this device, sealed into batches, kept until the server has
 * acknowledged them. Nothing here deletes an event the server has not confirmed.
 */
import type { Keyring } from '../../crypto/keyring.ts';
import type { FootfallEvent } from '../../domain/events.ts';
import { partBound } from './batchFill.ts';
import { batchSealer, signerOf, type BatchSealer, type SealedRun, type SealingSetup, type TeamKey } from './batchSealing.ts';
import type { SealingKey } from '../../crypto/atRest.ts';
import { ClientError } from '../problems.ts';
import type { BatchRow, Enrolment, FootfallDb, OutboxRow } from './database.ts';
import { database } from './device.ts';
import { openBatchMarks, readMarks, sealBatchMarks, sealMarks, updateMarks, uploadSealer, writeMarksIfUnchanged, type ReadMarks } from './marks.ts';
import type { EnrolmentMarks } from './rows.ts';
import { recipientOf } from './orgKeys.ts';
import { openEventRow, rowKeyOf } from './vault.ts';
import { keepWaiting, keptWaiting, noneWaiting, waitingKeys } from './waiting.ts';

/** Event rows per read of the outbox: each slice is opened while the next is read (IndexedDB reads in another process). */
const READ_SLICE_ROWS = 2_000;
/** Batches sealed but not yet stored: how far sealing runs ahead of the writes (each holds about 1 MiB). */
const SEALING_AHEAD = 2;
/** Acknowledged rows deleted per transaction: a save that comes meanwhile waits for one slice at most. */
const SWEEP_SLICE_ROWS = 250;

/** A server that keeps refusing a batch (not a network failure) gets this many tries. */
export const REFUSALS_BEFORE_QUARANTINE = 3;

export interface SealingOptions {
  /** Each batch as soon as it is stored, in order: a round uploads it while the next is sealed. */
  stored?: (batch: SendableBatch) => void;
  /**
   * Asked once every full batch is stored: whether the last, partly filled one is sealed now too.
   * Without it, it is. A round says so only once every batch before it has gone up, so a device
   * that cannot reach the server keeps filling that batch rather than sealing a small one each
   * round (docs/sync.md#batches-and-padding).
   */
  lastBatch?: () => Promise<boolean>;
}

/**
 * Seals every saved event not yet in a batch (an outbox row no batch lists) into as few batches as
 * fit (batchFill.ts), storing each as soon as it is full. The rows are read in slices, each opened
 * while the next is read, and each run of events is put in the order they were made (their ids are
 * UUIDv7) before it is packed: the order matters to nothing but tidiness, as each event carries
 * its own id and every reader of the archive and the directory takes them in any order. Needs the
 * unlocked keyring to read them; the result is readable by the organisation (activity) and
 * enrolled devices (directory) only. Returns how many events it sealed.
 */
export async function sealWaitingEvents(
  db: FootfallDb,
  keyring: Keyring,
  deviceId: string,
  team: TeamKey,
  signingKey: CryptoKey,
  { stored, lastBatch }: SealingOptions = {},
): Promise<number> {
  // The marks are read before the rows are listed: a batch another tab writes after this read
  // changes them, and one written before it is in the list. Read once: a certificate this device
  // receives meanwhile signs from its next sealing on.
  let read = await readMarks(db, keyring);
  const listed = await listedRows(db);
  // Who signs, to whom, and how much a part holds: read while the first rows are, and needed only
  // once a row is found to seal (a device not enrolled has none to give, and nothing to seal).
  const setup = sealingSetup(db, keyring, team, read.marks, deviceId, signingKey);
  setup.catch(() => undefined); // reported where it is awaited
  let sealer: BatchSealer | null = null;
  const upload = uploadSealer(keyring);
  let sealed = 0;

  // Batches are sealed while the next rows are read, and written one after another, each taking
  // the next number. One that finds the marks written by someone else since (another tab sealed,
  // or took numbers: its batches stand) is dropped unwritten, and so is every one after it.
  let writing: Promise<boolean> = Promise.resolve(true);
  const written: Promise<boolean>[] = [];
  const store = (run: Promise<SealedRun>) => {
    run.catch(() => undefined); // reported by the write it feeds
    writing = writing.then(async (going) => {
      if (!going) return false;
      const added = await addBatch(db, keyring, upload, read, await run);
      if (!added) return false;
      read = added.read;
      sealed += added.batch.eventCount;
      stored?.(added.batch);
      return true;
    });
    written.push(writing);
  };

  // The whole outbox is read in key order, a slice per read, and rows a batch lists are passed
  // over: one ranged read per slice costs far less than a read per key. A row saved meanwhile is
  // sealed if the scan reaches it; a row gone meanwhile was acknowledged by another tab, which sealed it first.
  let reading = readSlice(db, null);
  try {
    for (let slice = await reading; slice.length; slice = await reading) {
      reading = slice.length < READ_SLICE_ROWS ? Promise.resolve([]) : readSlice(db, slice.at(-1)!.id);
      const waiting = slice.filter((row) => !listed.has(row.id));
      if (!waiting.length) continue;
      sealer ??= batchSealer(await setup);
      // Every batch the slice completes is full, and stored now; the last may fill further from the next slice.
      for (const run of await sealer.take(waiting)) store(run);
      // Sealing runs at most a few batches ahead of the writes, so memory stays bounded.
      while (written.length > SEALING_AHEAD) if (!(await written.shift())) return sealed;
    }
    if (sealer && (await writing) && (!lastBatch || (await lastBatch()))) {
      const last = sealer.finish();
      if (last) store(last);
    }
    await writing;
    return sealed;
  } catch (error) {
    // The full batches before a row that cannot be opened are still kept; the error is this one.
    await writing.catch(() => undefined);
    throw error;
  }
}

/** Who signs the parts, the organisation key they are sealed to, and the most JSON a part holds. */
async function sealingSetup(db: FootfallDb, keyring: Keyring, team: TeamKey, marks: EnrolmentMarks, deviceId: string, signingKey: CryptoKey): Promise<SealingSetup> {
  const current = await currentEnrolment(db);
  const signer = signerOf({ ...current, ...marks }, deviceId, signingKey);
  return { content: keyring.content, recipient: await recipientOf({ ...current, ...marks }), team, signer, bound: partBound(signer !== null) };
}

/**
 * The keys of the outbox rows every batch lists (pending, set aside or acknowledged): those rows
 * are sealed already, read a batch at a time (database.ts: batches are not indexed by their rows).
 */
async function listedRows(db: FootfallDb): Promise<Set<string>> {
  const listed = new Set<string>();
  await db.batches.each((batch) => {
    for (const key of batch.rows) listed.add(key);
  });
  return listed;
}

/** The next READ_SLICE_ROWS outbox rows in key order after `after` (from the first when null), in one ranged read. */
function readSlice(db: FootfallDb, after: string | null): Promise<OutboxRow[]> {
  const slice = (after === null ? db.outbox.toCollection() : db.outbox.where(':id').above(after)).limit(READ_SLICE_ROWS).toArray();
  slice.catch(() => undefined); // reported where it is awaited; unawaited when sealing stops early
  return slice;
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
 * Writes a batch with the next sequence number, and moves that number on, in one transaction,
 * unless another tab wrote the marks since they were read (it sealed, or took numbers): then
 * nothing is written (null), and no event is ever in two batches, nor a number in two. Returns the
 * batch with its number, and the marks as now written, for the next batch.
 */
async function addBatch(
  db: FootfallDb,
  keyring: Keyring,
  upload: SealingKey,
  read: ReadMarks,
  { keys, activity, directory }: SealedRun,
): Promise<{ batch: SendableBatch; read: ReadMarks } | null> {
  const seq = read.marks.nextSeq;
  const batchId = crypto.randomUUID();
  const batch: BatchRow = {
    batchId,
    marks: await sealBatchMarks(upload, batchId, { seq }),
    rows: [...keys].sort(),
    eventCount: keys.length,
    activity,
    directory,
    state: 'pending',
    refusals: 0,
    lastError: null,
  };
  const next = { ...read.marks, nextSeq: seq + 1 };
  const marks = await sealMarks(keyring, next);
  const done = await db.transaction('rw', [db.batches, db.settings, db.device], () => writeMarksIfUnchanged(db, read, marks, () => db.batches.add(batch)));
  return done ? { batch: { ...batch, seq }, read: { marks: next, iv: marks.iv } } : null;
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

/** Every batch still on this device, waiting or set aside (not those the server has acknowledged). */
export async function allBatches(): Promise<BatchRow[]> {
  return database().batches.where('state').anyOf(['pending', 'quarantined']).toArray();
}

/** Whether every event saved here has reached the server (none waiting, none sealed, none set aside). */
export async function allSent(): Promise<boolean> {
  const db = database();
  return (await keptWaiting(db)) + (await db.batches.where('state').anyOf(['pending', 'quarantined']).count()) === 0;
}

/** Batches set aside after the server kept refusing them: shown, never dropped. */
export function quarantinedCount(): Promise<number> {
  return database().batches.where('state').equals('quarantined').count();
}

/**
 * The server has the batch: its events stop waiting, in one small transaction that marks the batch
 * acknowledged (dropping its sealed parts) and moves the waiting count by the rows it lists. The
 * rows themselves are deleted by sweepAcknowledged, after the round: deleting thousands of rows by
 * key is most of a long round's time, and nothing waits on it (docs/sync.md#acknowledging). A
 * batch acknowledged already (another tab) is left as it is, so nothing is taken twice. Needs no key.
 */
export async function acknowledge(batch: BatchRow): Promise<void> {
  const db = database();
  await db.transaction('rw', [db.batches, db.device], async () => {
    // Asked together, and written together: while a round reads the outbox, each request waits
    // for the read in progress (docs/sync.md#the-outbox).
    const [stored, waiting] = await Promise.all([db.batches.get(batch.batchId), keptWaiting(db)]);
    if (!stored || stored.state === 'acknowledged') return;
    // Every row a batch lists is still there until it is acknowledged: only sweeping deletes outbox rows.
    await Promise.all([
      db.batches.put({ batchId: stored.batchId, rows: stored.rows, eventCount: stored.eventCount, activity: '', directory: '', state: 'acknowledged', refusals: 0, lastError: null }),
      keepWaiting(db, waiting - stored.rows.length),
    ]);
  });
}

let sweeping: Promise<unknown> = Promise.resolve();

/**
 * Deletes the rows of acknowledged batches, a slice per transaction, then each batch; resolves when
 * every batch acknowledged before the call is gone. One sweep runs at a time in a page; a sweep in
 * another tab, or one cut short (the page closed), only leaves rows the next sweep deletes: each
 * slice reads its batch again and deletes only rows it still lists.
 */
export function sweepAcknowledged(): Promise<void> {
  const run = sweeping.then(sweepOnce, sweepOnce);
  sweeping = run.catch(() => undefined);
  return run;
}

async function sweepOnce(): Promise<void> {
  const db = database();
  for (const batchId of await db.batches.where('state').equals('acknowledged').primaryKeys()) {
    const swept = new Set<string>();
    for (let done = false; !done; ) {
      done = await db.transaction('rw', [db.outbox, db.batches, db.device], async () => {
        const batch = await db.batches.get(batchId);
        if (batch?.state !== 'acknowledged') return true;
        const slice = batch.rows.filter((key) => !swept.has(key)).slice(0, SWEEP_SLICE_ROWS);
        await db.outbox.bulkDelete(slice);
        for (const key of slice) swept.add(key);
        if (slice.length) return false;
        await db.batches.delete(batchId);
        // When the outbox has just emptied, the count is known exactly (docs/sync.md#the-waiting-count).
        if (!(await db.outbox.limit(1).primaryKeys()).length) await noneWaiting(db);
        return true;
      });
    }
  }
}

/** The server refused the batch. After a few refusals it is set aside, shown, and never deleted. */
export async function recordRefusal(batch: BatchRow, message: string, final: boolean): Promise<BatchRow> {
  const refusals = batch.refusals + 1;
  // A batch to send carries its number opened (SendableBatch): stored, it stays sealed in its marks.
  const { seq, ...row } = batch;
  const next: BatchRow = {
    ...row,
    ...(!batch.marks && seq !== undefined && { seq }),
    refusals,
    lastError: message,
    state: final || refusals >= REFUSALS_BEFORE_QUARANTINE ? 'quarantined' : 'pending',
  };
  const db = database();
  await db.transaction('rw', db.batches, async () => {
    // Only a batch still waiting: one another tab's round saw acknowledged stays so, and is not sent again.
    if ((await db.batches.get(batch.batchId))?.state === 'pending') await db.batches.put(next);
  });
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
    const keys = new Set(await waitingKeys(this.db));
    if (!keys.size) return new Set();
    const found = await Promise.all([...eventIds].map(async (id) => (keys.has(id) || keys.has(await rowKeyOf(this.keyring, 'events', id)) ? id : null)));
    return new Set(found.filter((id) => id !== null));
  }

  /** Every waiting event, opened; rows that cannot be opened are counted, not guessed at. */
  async waitingEvents(): Promise<{ events: FootfallEvent[]; unreadable: number }> {
    // Opened all at once, not one after another: each is a decryption and a keyed tag, and WebCrypto
    // runs them off the JavaScript thread. A row gone since its key was read was acknowledged meanwhile.
    const rows = (await this.db.outbox.bulkGet(await waitingKeys(this.db))).filter((row) => row !== undefined);
    const opened = await Promise.all(rows.map((row) => openEventRow(this.keyring, row).catch(() => null)));
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
    const keys = await waitingKeys(this.db);
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
