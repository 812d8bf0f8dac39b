/**
 * Held uploads (docs/sync.md#held-uploads): a device may hold what it has to send for a random
 * time, so that the server cannot tell from when a batch arrived when its records were made. The
 * choice is kept in one row of the device table; the held time only in this page's memory, since
 * stored it would say on a copy of the device roughly when its waiting records were made
 * (docs/sync.md#held-uploads). The scheduler decides when rounds run, this decides whether a
 * round may upload.
 */
import type { DeviceRow, Enrolment, FootfallDb, UploadHoldRow } from './database.ts';
import { database, readEnrolment } from './device.ts';

/**
 * Held uploads wait a random time, uniformly between these: at least five minutes, so a batch
 * never leaves within minutes of a save and carries the records made soon after it; at most
 * thirty, so little waits on a phone that could be lost (docs/sync.md#held-uploads).
 */
export const HOLD_MIN_MS = 5 * 60_000;
export const HOLD_MAX_MS = 30 * 60_000;

export interface UploadHold {
  /** Whether this device holds its uploads: the choice made in Settings, else its role's default. */
  on: boolean;
  /** The choice made in Settings, or null while the role's default applies. */
  chosen: boolean | null;
  /** Epoch ms from which what is waiting may be sent; null while nothing is held. */
  sendAfter: number | null;
}

/**
 * What happened, for the held time:
 * - `check`: nothing new; a time is drawn for what waits without one, and dropped when nothing waits;
 * - `sendNow`: someone asked to send at once ("Sync now"), so what waits may go now;
 * - `sent`: what was held has reached the server; anything saved since gets a time of its own.
 */
export type HoldStep = 'check' | 'sendNow' | 'sent';

/**
 * Held by default on an outreach phone: one worker's records, made out where she meets a woman,
 * whose upload times would otherwise say when and, with the network, roughly where.
 */
export function heldByDefault(enrolment: Pick<Enrolment, 'role'> | null): boolean {
  return enrolment?.role === 'outreach';
}

/** This page's held time: epoch ms from which what waits may be sent, or null while nothing is held. */
let heldUntil: number | null = null;
/**
 * Whether it was drawn from now because when the oldest waiting record was made could not be read
 * (the page was locked: a page starts locked, and its first round comes before anyone unlocks).
 * Such a time is drawn again, earlier only, once it can be read.
 */
let drawnBlind = false;

export async function readUploadHold(): Promise<UploadHold> {
  const db = database();
  return db.transaction('r', db.device, async () => holdOf(await rowOf(db), await readEnrolment()));
}

/** The choice made in Settings. Switching it off lets what was held go with the next round. */
export async function chooseUploadHold(on: boolean): Promise<UploadHold> {
  const db = database();
  return db.transaction('rw', db.device, async () => {
    const row: UploadHoldRow = { ...(await rowOf(db)), chosen: on };
    if (!on) heldUntil = null;
    await db.device.put(row);
    return holdOf(row, await readEnrolment());
  });
}

/**
 * Brings the held time up to date after `step` and returns it. Each page draws its own; the
 * scheduler settles it inside a round, under the sync lock, so the tabs' rounds take turns. A time once drawn is kept until what it held is sent: saves that follow go with it,
 * and drawing again would let the last save decide when the batch leaves. `random` is uniform in
 * [0, 1).
 *
 * A time is drawn from when the oldest waiting record was made (`firstWaitingAt`, which an
 * unlocked page can read), not from now: the time lives only in the page's memory, and a page
 * started again must not hold what was saved days ago for a new wait. A locked page draws from now,
 * and draws again from the oldest record once someone has unlocked (keeping the earlier of the two).
 */
export async function settleUploadHold(
  step: HoldStep,
  random: () => number,
  now = Date.now(),
  firstWaitingAt: () => Promise<string | null> = async () => null,
): Promise<UploadHold> {
  // Reading the oldest waiting record opens every waiting row once: only a device that holds asks.
  const mayDraw = step !== 'sendNow' && (heldUntil === null || drawnBlind || step === 'sent') && (await readUploadHold()).on;
  const since = mayDraw ? Date.parse((await firstWaitingAt().catch(() => null)) ?? '') : NaN;
  const known = !Number.isNaN(since);
  const from = known ? Math.min(since, now) : now;
  const draw = () => from + HOLD_MIN_MS + random() * (HOLD_MAX_MS - HOLD_MIN_MS);
  const db = database();
  return db.transaction('rw', [db.device, db.outbox, db.batches], async () => {
    const [stored, enrolment] = await Promise.all([db.device.get('uploadHold'), readEnrolment()]);
    const row = rowFrom(stored);
    // An earlier build kept the held time in the row, in the clear: drop it.
    if (stored?.key === 'uploadHold' && 'sendAfter' in stored) await db.device.put(row);
    const hold = holdOf(row, enrolment);
    let sendAfter = step === 'sent' ? null : hold.sendAfter;
    let blind = drawnBlind && sendAfter !== null;
    if (!hold.on || !enrolment || !(await somethingToSend(db))) sendAfter = null;
    else if (step === 'sendNow') sendAfter = now;
    else if (sendAfter === null) [sendAfter, blind] = [draw(), !known];
    else if (blind && known) [sendAfter, blind] = [Math.min(sendAfter, draw()), false];
    heldUntil = sendAfter;
    drawnBlind = sendAfter !== null && blind;
    return { ...hold, sendAfter };
  });
}

/**
 * Events not yet sealed, or batches waiting for the server. A batch set aside (quarantined) is not
 * sent by any round, so it holds nothing: it waits for a person (docs/sync.md#refusals-quarantine-and-backoff).
 */
async function somethingToSend(db: FootfallDb): Promise<boolean> {
  if ((await db.batches.where('state').equals('pending').count()) > 0) return true;
  // Rows no batch lists are still to be sealed: the outbox holds more rows than the batches list.
  // The batches left are acknowledged (their parts dropped) or set aside: few, and read whole.
  const [rows, batches] = await Promise.all([db.outbox.count(), db.batches.toArray()]);
  return rows > batches.reduce((listed, batch) => listed + batch.rows.length, 0);
}

function holdOf(row: UploadHoldRow, enrolment: Enrolment | null): UploadHold {
  return { on: row.chosen ?? heldByDefault(enrolment), chosen: row.chosen, sendAfter: heldUntil };
}

async function rowOf(db: FootfallDb): Promise<UploadHoldRow> {
  return rowFrom(await db.device.get('uploadHold'));
}

function rowFrom(row: DeviceRow | undefined): UploadHoldRow {
  return { key: 'uploadHold', chosen: row?.key === 'uploadHold' ? row.chosen : null };
}
