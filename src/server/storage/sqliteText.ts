/**
 * Long texts handed to SQLite as their UTF-8 bytes, written into one buffer the adapter keeps.
 *
 * better-sqlite3 binds a JavaScript string by first converting it to UTF-8 in fresh memory, which
 * SQLite then copies once more. A sealed part is over a megabyte, and on a server each fresh
 * megabyte costs milliseconds of page faults on the event loop; written into memory already in
 * use, the same bytes cost a tenth of a millisecond. Bound as a BLOB, a part is stored with
 * `CAST(? AS TEXT)`: SQLite reads the bytes as text in the database's encoding (UTF-8), so the
 * stored value is the very text the string would have been (docs/sync.md#server-storage).
 */

/**
 * A writer of texts into a kept buffer: each call returns the UTF-8 bytes of its texts, valid
 * until the next call (SQLite copies what it binds, so a statement run at once may use them). The
 * buffer grows to the largest call's total (at most an upload's body limit) and is kept.
 */
export function utf8Writer(): (...texts: string[]) => Buffer[] {
  let kept = Buffer.alloc(0);
  return (...texts) => {
    const lengths = texts.map((text) => Buffer.byteLength(text, 'utf8'));
    const total = lengths.reduce((sum, n) => sum + n, 0);
    if (kept.length < total) kept = Buffer.allocUnsafe(total);
    let at = 0;
    return texts.map((text, i) => {
      const bytes = kept.subarray(at, at + lengths[i]!);
      bytes.write(text, 'utf8');
      at += bytes.length;
      return bytes;
    });
  };
}
