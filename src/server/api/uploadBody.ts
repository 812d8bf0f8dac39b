/**
 * The canonical text of an upload, `{"seq":N,"activity":"…","directory":"…"}` in that key order
 * without whitespace, as the app always sends it (docs/sync.md#idempotent-uploads): read straight
 * from the body's bytes, and recognised in them.
 *
 * An upload is over a megabyte, nearly all of it one sealed part. Decoded whole into a string and
 * then parsed, it is copied twice more than its parts need; on a server, each fresh megabyte of
 * memory costs milliseconds. Read here, each part is one copy of its own bytes, and only when the
 * result is exactly what JSON.parse would give: anything else is parsed as any JSON body is.
 */
import type { BatchUpload } from '../../domain/protocol.ts';

const HEAD = '{"seq":';
const MIDDLE = '","directory":"';
const TAIL = '"}';
const ACTIVITY = ',"activity":"';

/**
 * What a part may hold to be read from its bytes: the characters of a compact JWE (base64url and
 * dots). Such a part has no escape, no control character and no byte outside ASCII, so its bytes
 * read as Latin-1 are the string JSON.parse makes of them.
 */
const PLAIN_PART = /^[A-Za-z0-9_.-]*$/;

/** A whole number JSON.parse reads exactly: no sign, fraction, exponent or leading zero, at most 15 digits. */
const PLAIN_SEQ = /^(?:0|[1-9][0-9]{0,14})$/;

/** Whether `raw` has `text` (ASCII) at `offset`. */
function hasAt(raw: Buffer, offset: number, text: string): boolean {
  return raw.length >= offset + text.length && raw.toString('latin1', offset, offset + text.length) === text;
}

/**
 * The upload in `raw` when `raw` is its canonical text with plain parts (see above), else null:
 * then the body is whatever JSON.parse makes of it, possibly another upload, possibly no upload.
 * When not null, it is what JSON.parse would return for `raw`, key order included.
 */
export function readCanonicalUpload(raw: Buffer): BatchUpload | null {
  if (!hasAt(raw, 0, HEAD)) return null;
  const seqEnd = raw.indexOf(ACTIVITY, HEAD.length, 'latin1');
  if (seqEnd < 0 || seqEnd - HEAD.length > 15) return null;
  const seqText = raw.toString('latin1', HEAD.length, seqEnd);
  if (!PLAIN_SEQ.test(seqText)) return null;
  const atActivity = seqEnd + ACTIVITY.length;
  const atMiddle = raw.indexOf('"', atActivity, 'latin1');
  if (atMiddle < 0 || !hasAt(raw, atMiddle, MIDDLE)) return null;
  const atDirectory = atMiddle + MIDDLE.length;
  const atTail = raw.indexOf('"', atDirectory, 'latin1');
  if (atTail < 0 || atTail + TAIL.length !== raw.length || !hasAt(raw, atTail, TAIL)) return null;
  const directory = raw.toString('latin1', atDirectory, atTail);
  if (!PLAIN_PART.test(directory)) return null;
  const activity = raw.toString('latin1', atActivity, atMiddle);
  if (!PLAIN_PART.test(activity)) return null;
  return { seq: Number(seqText), activity, directory };
}

/**
 * Whether the bytes sent are exactly the canonical text of `batch` (canonicalBatchHash's text).
 * Checked without building the text: the parts were validated as compact JWEs (base64url and
 * dots, no character JSON escapes), so a part read from `raw` is its own bytes between two quotes
 * unless it held an escape, and an escape makes it longer than the part it stands for. So when the
 * punctuation around each part sits exactly where the parts' lengths put it, and the body ends
 * there, the body is the canonical text byte for byte.
 */
export function isCanonicalUpload(raw: Buffer, batch: BatchUpload): boolean {
  const head = `${HEAD}${batch.seq}${ACTIVITY}`;
  const atMiddle = head.length + batch.activity.length;
  const atTail = atMiddle + MIDDLE.length + batch.directory.length;
  return raw.length === atTail + TAIL.length && hasAt(raw, 0, head) && hasAt(raw, atMiddle, MIDDLE) && hasAt(raw, atTail, TAIL);
}
