/**
 * Filling batches (docs/sync.md#batches-and-padding): waiting events go up in as few batches as fit, each of
 * its two parts (activity, directory) holding at most a bound of JSON. Sealed and padded, a part
 * of a full batch is then exactly PART_BUCKET bytes, so the server learns from a batch's size
 * little more than "full" or "the last one", and an upload stays far inside the endpoint's limit.
 */
import type { FootfallEvent } from '../../domain/events.ts';
import { ClientError } from '../problems.ts';

/** The padding bucket a full part fills (src/crypto/envelope.ts pads to powers of two). */
export const PART_BUCKET = 1024 * 1024;
/** Room for the padding frame's length field. */
const FRAME_BYTES = 4;
/** Room for a signed part's JWS header (its admin certificate) and signature. */
const SIGNATURE_ROOM = 8 * 1024;

/** An event ready for a batch: its JSON text, encoded once, and what says which part it goes in. */
export interface PackedEvent {
  event: Pick<FootfallEvent, 'id' | 'type'>;
  bytes: Uint8Array;
}

const utf8 = new TextEncoder();

export function packEvent(event: FootfallEvent): PackedEvent {
  return { event, bytes: utf8.encode(JSON.stringify(event)) };
}

/**
 * The most JSON a part may hold so that, sealed, it fits PART_BUCKET. A signed part carries its
 * JSON as base64url inside a JWS, a third larger.
 */
export function partBound(signed: boolean): number {
  const room = PART_BUCKET - FRAME_BYTES;
  return signed ? Math.floor(((room - SIGNATURE_ROOM) * 3) / 4) : room;
}

/** The JSON array of already encoded items: `[a,b,...]`, without decoding or encoding them again. */
export function listBytes(items: readonly Uint8Array[]): Uint8Array<ArrayBuffer> {
  let length = 2 + Math.max(0, items.length - 1);
  for (const item of items) length += item.byteLength;
  const out = new Uint8Array(length);
  out[0] = 0x5b; // [
  let at = 1;
  items.forEach((item, i) => {
    if (i > 0) out[at++] = 0x2c; // ,
    out.set(item, at);
    at += item.byteLength;
  });
  out[at] = 0x5d; // ]
  return out;
}

/**
 * Groups events, in order, into batches whose activity and directory parts each hold at most
 * `bound` bytes of JSON. `isDirectory` says which part an event goes in. An event too large for a
 * part of its own is refused (event_too_large) rather than sent in a batch the server would refuse.
 */
export function fillBatches<T extends PackedEvent>(events: readonly T[], bound: number, isDirectory: (event: Pick<FootfallEvent, 'type'>) => boolean): T[][] {
  const batches: T[][] = [];
  let current: T[] = [];
  // A part's JSON: the brackets, and each item with its comma.
  const empty = () => ({ activity: 2, directory: 2 });
  let size = empty();
  for (const packed of events) {
    const part = isDirectory(packed.event) ? 'directory' : 'activity';
    const grows = packed.bytes.byteLength + 1;
    if (2 + grows > bound) throw new ClientError('event_too_large', { bytes: packed.bytes.byteLength });
    if (size[part] + grows > bound) {
      batches.push(current);
      current = [];
      size = empty();
    }
    current.push(packed);
    size[part] += grows;
  }
  if (current.length) batches.push(current);
  return batches;
}
