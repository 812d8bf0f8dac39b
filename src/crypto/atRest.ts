/**
 * Record content at rest: AES-256-GCM with a fresh 96-bit IV per write. The row's table and id are
 * bound as associated data, so a ciphertext cannot be moved to another row or table unnoticed.
 * The JSON is padded with spaces to a size bucket before sealing, so a row's length says little
 * about what it holds (a woman with a long name or many details looks like one with few).
 */
import { randomBytes, utf8 } from './bytes.ts';
import type { Keyring } from './keyring.ts';

/** The part of a keyring that seals record content: all a Web Worker is handed to open rows. */
export type SealingKey = Pick<Keyring, 'content'>;

export interface Sealed {
  iv: Uint8Array<ArrayBuffer>;
  ct: ArrayBuffer;
}

/** Every row is at least this long, so short rows (settings, events, visits) all look alike. */
const SMALLEST_BUCKET = 512;
/**
 * A directory entry's row is at least this long: one with every detail given and a long name is
 * about 1 KiB, one with none about 300 bytes, and their lengths must not tell them apart.
 */
export const WOMAN_BUCKET = 2048;
/** Buckets double up to this size, then grow by this much: a large row is padded by at most this. */
const LARGEST_STEP = 64 * 1024;

/** The padded length for `n` bytes of JSON, in buckets from `smallest`. */
export function paddedLength(n: number, smallest = SMALLEST_BUCKET): number {
  if (n > LARGEST_STEP) return Math.ceil(n / LARGEST_STEP) * LARGEST_STEP;
  let bucket = smallest;
  while (bucket < n) bucket *= 2;
  return bucket;
}

/** The JSON followed by spaces up to its bucket: JSON.parse reads it unchanged. */
function padded(json: Uint8Array<ArrayBuffer>, smallest: number | undefined): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(paddedLength(json.length, smallest)).fill(0x20);
  out.set(json);
  return out;
}

/** `smallest`: the smallest bucket, for a kind of row whose lengths vary with what it says (WOMAN_BUCKET). */
export async function sealJson(keyring: SealingKey, where: string, value: unknown, smallest?: number): Promise<Sealed> {
  const iv = randomBytes(12);
  const ct = await crypto.subtle.encrypt(
    { name: 'AES-GCM', iv, additionalData: utf8.encode(where) },
    keyring.content,
    padded(utf8.encode(JSON.stringify(value)), smallest),
  );
  return { iv, ct };
}

/** Throws when the bytes were altered or sealed for another row. */
export async function openJson(keyring: SealingKey, where: string, sealed: Sealed): Promise<unknown> {
  // JSON.parse reads the padding as the whitespace it is.
  return JSON.parse(utf8.decode(await openPadded(keyring, where, sealed)));
}

/**
 * The JSON text a row was sealed with, and its UTF-8 bytes, its padding dropped: for passing a
 * row's content on unchanged without writing it again. JSON.stringify never ends in whitespace,
 * so the whitespace at the end of the text is all padding, a byte per space; trimmed by the
 * engine rather than looked for byte by byte, which cost a sealing of 10,000 rows ~60 ms. Throws as
 * openJson does.
 */
export async function openJsonText(keyring: SealingKey, where: string, sealed: Sealed): Promise<{ text: string; bytes: Uint8Array<ArrayBuffer> }> {
  const plain = await openPadded(keyring, where, sealed);
  const padded = utf8.decode(plain);
  const text = padded.trimEnd();
  return { text, bytes: plain.subarray(0, plain.length - (padded.length - text.length)) };
}

async function openPadded(keyring: SealingKey, where: string, sealed: Sealed): Promise<Uint8Array<ArrayBuffer>> {
  return new Uint8Array(await crypto.subtle.decrypt({ name: 'AES-GCM', iv: sealed.iv, additionalData: utf8.encode(where) }, keyring.content, sealed.ct));
}

/**
 * A blind index tag: equal inputs give equal tags under one keyring, and the tag reveals nothing
 * about the input without the key. Used to find today's visits without storing dates in the clear.
 */
export async function blindTag(keyring: Keyring, value: string): Promise<string> {
  const mac = await crypto.subtle.sign('HMAC', keyring.index, utf8.encode(value));
  let hex = '';
  for (const b of new Uint8Array(mac).subarray(0, 16)) hex += b.toString(16).padStart(2, '0');
  return hex;
}
