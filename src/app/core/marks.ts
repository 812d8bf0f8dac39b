/**
 * The counters and times of sync that a copy of the device must not read
 * (docs/security.md#what-a-copy-of-a-locked-device-shows), sealed:
 * - the enrolment's marks (next batch sequence number, admin certificate, when signing began, the
 *   organisation key records are sealed to), needed only while unlocked: under the content key,
 *   in the settings table;
 * - each batch's sequence number and the last-synced time, which a locked page needs to upload and
 *   to write after it: under the upload key, which a page that has been unlocked keeps in memory
 *   (uploadSigner.ts). A page that never was unlocked cannot read them, and sends nothing.
 */
import { openJson, sealJson, type Sealed, type SealingKey } from '../../crypto/atRest.ts';
import type { Keyring } from '../../crypto/keyring.ts';
import type { BatchRow, EnrolmentOfEarlierBuilds, FootfallDb, SealedRow } from './database.ts';
import { BatchMarks, EnrolmentMarks, LastSync, type AnnouncedOrgKey } from './rows.ts';

const MARKS_ID = 'enrolmentMarks';
const LAST_SYNC = 'lastSync';

/** The enrolment's marks, and the IV of the row they were read from (null before any was sealed), to write back only if unchanged. */
export interface ReadMarks {
  marks: EnrolmentMarks;
  iv: Uint8Array | null;
}

/**
 * Reads the sealed marks; before any were sealed, those an earlier build kept in the clear on the
 * enrolment row. The organisation key records are sealed to was kept there in the clear after
 * the marks were first sealed, so it is read there until the next write seals it in (the newer
 * wins). Throws when the row cannot be opened: counting batches again from 0 would reuse numbers.
 */
export async function readMarks(db: FootfallDb, keyring: Keyring): Promise<ReadMarks> {
  const [row, clear] = await Promise.all([db.settings.get(MARKS_ID), db.device.get('enrolment') as Promise<EnrolmentOfEarlierBuilds | undefined>]);
  const read: ReadMarks = row
    ? { marks: EnrolmentMarks.parse(await openJson(keyring, `settings:${MARKS_ID}`, row)), iv: row.iv }
    : {
        marks: {
          nextSeq: clear?.nextSeq ?? 0,
          ...(clear?.certificate && { certificate: clear.certificate }),
          ...(clear?.authoritySince && { authoritySince: clear.authoritySince }),
        },
        iv: null,
      };
  const sealingKey = newerSealingKey(read.marks.sealingKey, clear?.sealingKey);
  return sealingKey ? { ...read, marks: { ...read.marks, sealingKey } } : read;
}

/**
 * Of two announced organisation keys, the one records are sealed to: the higher version, and of
 * two with one version (two admins rotating at once) the lower key id, so every device settles
 * on the same key whatever order it hears them in. Never goes back.
 */
function newerSealingKey(held: AnnouncedOrgKey | undefined, offered: AnnouncedOrgKey | undefined): AnnouncedOrgKey | undefined {
  if (!held || !offered) return held ?? offered;
  return offered.version > held.version || (offered.version === held.version && offered.kid < held.kid) ? offered : held;
}

/** Keeps an announced organisation key, sealed in the marks, when it is newer than the one held (newerSealingKey). */
export async function adoptSealingKey(db: FootfallDb, keyring: Keyring, key: AnnouncedOrgKey): Promise<void> {
  // Read first, so a key already held (the directory read again from the start) writes nothing:
  // a write to the marks stops a sealing running beside it at its next batch (docs/sync.md#the-outbox).
  if (newerSealingKey((await readMarks(db, keyring)).marks.sealingKey, key) !== key) return;
  await updateMarks(db, keyring, (m) => ({ ...m, sealingKey: newerSealingKey(m.sealingKey, key)! }));
}

export async function sealMarks(keyring: Keyring, marks: EnrolmentMarks): Promise<SealedRow> {
  return { id: MARKS_ID, ...(await sealJson(keyring, `settings:${MARKS_ID}`, EnrolmentMarks.parse(marks))) };
}

/**
 * Inside a transaction on `db.settings` and `db.device`: writes the marks if nobody has since the
 * read (each write has a fresh random IV, so an equal IV means the same row), and takes off the
 * enrolment row whatever an earlier build kept there in the clear, with `alongside`'s writes (in
 * the same transaction) beside them. Returns whether it wrote.
 */
export async function writeMarksIfUnchanged(db: FootfallDb, read: ReadMarks, sealed: SealedRow, alongside?: () => Promise<unknown>): Promise<boolean> {
  // Requests are issued together, not one after another: while the outbox is being read, each
  // request of this transaction waits for the read in progress (docs/sync.md#the-outbox), so a
  // round trip saved here is a slice's read saved.
  const [row, enrolment] = await Promise.all([db.settings.get(MARKS_ID), db.device.get('enrolment') as Promise<EnrolmentOfEarlierBuilds | undefined>]);
  if (!sameIv(row?.iv ?? null, read.iv)) return false;
  const writes: Promise<unknown>[] = [db.settings.put(sealed)];
  if (enrolment && keptInTheClear(enrolment)) {
    const { nextSeq: _n, certificate: _c, authoritySince: _a, sealingKey: _s, ...rest } = enrolment;
    writes.push(db.device.put(rest));
  }
  if (alongside) writes.push(alongside());
  await Promise.all(writes);
  return true;
}

/** Whether an earlier build kept any of the marks in the clear on the enrolment row. */
export function keptInTheClear(enrolment: EnrolmentOfEarlierBuilds): boolean {
  return 'nextSeq' in enrolment || 'certificate' in enrolment || 'authoritySince' in enrolment || 'sealingKey' in enrolment;
}

/** Changes the marks, reading them again as often as another tab wrote meanwhile; returns them as written. */
export async function updateMarks(db: FootfallDb, keyring: Keyring, change: (marks: EnrolmentMarks) => EnrolmentMarks): Promise<EnrolmentMarks> {
  for (;;) {
    const read = await readMarks(db, keyring);
    const next = change(read.marks);
    const sealed = await sealMarks(keyring, next);
    if (await db.transaction('rw', [db.settings, db.device], () => writeMarksIfUnchanged(db, read, sealed))) return next;
  }
}

function sameIv(a: Uint8Array | null, b: Uint8Array | null): boolean {
  if (!a || !b) return a === b;
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** The upload key as sealJson takes a key. */
export function uploadSealer(keyring: Pick<Keyring, 'upload'>): SealingKey {
  return { content: keyring.upload };
}

export function sealBatchMarks(upload: SealingKey, batchId: string, marks: BatchMarks): Promise<Sealed> {
  return sealJson(upload, `batches:${batchId}`, BatchMarks.parse(marks));
}

/** A batch's marks; a batch of an earlier build, not yet sealed again, has its sequence number in the clear. */
export async function openBatchMarks(upload: SealingKey | null, batch: BatchRow): Promise<BatchMarks | null> {
  if (batch.marks && upload) return BatchMarks.parse(await openJson(upload, `batches:${batch.batchId}`, batch.marks));
  return batch.seq === undefined ? null : { seq: batch.seq };
}

/** When the server last answered, or null: never, or not readable without the upload key. */
export async function readLastSync(db: FootfallDb, upload: SealingKey | null): Promise<string | null> {
  const row = await db.device.get(LAST_SYNC);
  if (row?.key === LAST_SYNC && upload) return LastSync.parse(await openJson(upload, `device:${LAST_SYNC}`, row)).at;
  const sync = await db.device.get('sync');
  return sync?.key === 'sync' ? (sync.lastSyncedAt ?? null) : null;
}

/** Seals the last-synced time, and drops a clear one an earlier build left on the sync row. */
export async function writeLastSync(db: FootfallDb, upload: SealingKey, at: string): Promise<void> {
  const sealed = await sealJson(upload, `device:${LAST_SYNC}`, LastSync.parse({ at }));
  await db.transaction('rw', db.device, async () => {
    await db.device.put({ key: LAST_SYNC, ...sealed });
    const sync = await db.device.get('sync');
    if (sync?.key === 'sync' && 'lastSyncedAt' in sync) {
      const { lastSyncedAt: _l, ...rest } = sync;
      await db.device.put(rest);
    }
  });
}
