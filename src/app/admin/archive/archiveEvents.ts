/**
 * The events the reports count, gathered from the archive's chunk rows and this device's own
 * events waiting to upload: each once by id, the first copy standing, and only those that came in
 * a part their device signed and name one of the organisation's people on one of its signed devices. Shared by the page (data care, imports) and the report worker.
 */
import { z } from 'zod';
import type { DirectoryFold } from '../../../domain/directory.ts';
import { EventId, FootfallEvent } from '../../../domain/events.ts';
import { voidedIn } from '../../../domain/waitingFold.ts';
import { bindToPeople, isStaffEvent, type Unbound } from '../../../domain/people.ts';
import { foldDevices, joinsIn, type DeviceRegistry } from '../../../domain/devices.ts';
import { screenSeals, type PartSeal } from '../../../domain/partSeals.ts';
import { joinProofCheck } from '../../../crypto/enrolmentCode.ts';
import type { SealedEvents } from './chunkCodec.ts';

/** This device's own events not yet acknowledged, as its outbox opens them. */
export interface WaitingEvents {
  events: FootfallEvent[];
  unreadable: number;
}

export interface GatheredEvents {
  events: FootfallEvent[];
  unbound: Unbound[];
  /** Chunk rows and waiting rows that could not be opened. */
  unreadableRows: number;
  /** The statements about devices among every event read, those of parts set aside included: binding read its registry from them. */
  deviceEvents: FootfallEvent[];
}

/**
 * What folding this device's waiting events onto a resolution reads, beyond its directory (kept
 * beside it, read whenever something waits): what binding read (src/domain/people.ts), the
 * organisation's staff events and every statement about its devices, so that waiting events are
 * bound exactly as gathering them with the archive would bind them; and the records voided in it
 * (src/domain/waitingFold.ts).
 */
export const KeptBasis = z.object({
  v: z.literal(1),
  staff: z.array(FootfallEvent),
  devices: z.array(FootfallEvent),
  voided: z.array(EventId),
});
export type KeptBasis = z.infer<typeof KeptBasis>;

/**
 * The directory fold of the events a resolution was resolved from, kept beside it so that waiting
 * registrations and changes to entries fold onto it (src/domain/waitingFold.ts). Checked for its
 * shape only: a zod pass over tens of thousands of entries took longer than the rest of the
 * opening, and the row is sealed under this device's key and written by this code.
 */
export const KeptDirectory = z.object({
  v: z.literal(1),
  fold: z.custom<DirectoryFold>((f) => {
    const v = f as Partial<DirectoryFold> | null;
    return typeof v === 'object' && v !== null && typeof v.said === 'object' && v.said !== null && Array.isArray(v.merges) && Array.isArray(v.erased);
  }),
});
export type KeptDirectory = z.infer<typeof KeptDirectory>;

const isDeviceEvent = (e: FootfallEvent) => e.type.startsWith('device.');

/** `rows`: the chunk rows in id order, each as decodeSealedChunk reads it (null where it could not be opened or read). */
export async function gatherEvents(rows: readonly (SealedEvents | null)[], waiting: WaitingEvents): Promise<GatheredEvents> {
  const byId = new Map<string, FootfallEvent>();
  // How the part of each copy kept was sealed, in the order kept, where its row says (src/domain/partSeals.ts).
  const seals: PartSeal[] = [];
  let unreadableRows = waiting.unreadable;
  for (const row of rows) {
    if (!row) {
      unreadableRows++;
      continue;
    }
    // Rows are in receipt order, and the first copy of an id stands: a later upload that reuses an
    // id (a compaction's copy is the same event) cannot replace a record another device made.
    const { events } = row;
    for (let i = 0; i < events.length; i++) {
      const e = events[i]!;
      if (byId.has(e.id)) continue;
      byId.set(e.id, e);
      seals.push(row.seals[i] ?? null);
    }
  }
  // Events saved here and not yet acknowledged are not in the archive yet, but already count.
  for (const e of waiting.events) if (!byId.has(e.id)) byId.set(e.id, e);
  // A record counts only when its device signed its part with the key an admin signed for it, and
  // it names one of the organisation's people, on a device an admin signed for and she may use
  // (docs/security.md#device-signed-parts, #people, #devices): never the endpoint's device list.
  const all = [...byId.values()];
  const devices = await deviceRegistry(all);
  const { sealed, unsealed } = screenSeals(all, seals, devices);
  const { accepted, unbound } = bindToPeople(sealed, devices);
  return { events: accepted, unbound: [...unsealed, ...unbound], unreadableRows, deviceEvents: all.filter(isDeviceEvent) };
}

/** What is kept beside the resolution of `gathered` (its events, with nothing of this device's waiting), whose directory fold is `directory`. */
export function keptBeside(gathered: Pick<GatheredEvents, 'events' | 'deviceEvents'>, directory: DirectoryFold): { basis: KeptBasis; directory: KeptDirectory } {
  const { events, deviceEvents } = gathered;
  return { basis: { v: 1, staff: events.filter(isStaffEvent), devices: deviceEvents, voided: voidedIn(events) }, directory: { v: 1, fold: directory } };
}

/**
 * This device's waiting events bound to the organisation's people and devices as gathering them
 * with the archive would bind them (gatherEvents): the same staff events and device statements,
 * kept beside the resolution. Waiting records carry no part's seal, so none is screened for one.
 */
export async function bindWaiting(waiting: readonly FootfallEvent[], basis: Pick<KeptBasis, 'staff' | 'devices'>): Promise<{ accepted: FootfallEvent[]; unbound: Unbound[] }> {
  // Waiting statements about people or devices are bound with the rest here, and then not folded
  // (they may change what archived records count): every event is resolved together instead.
  const devices = await deviceRegistry([...basis.devices, ...waiting]);
  const own = new Set(waiting.map((e) => e.id));
  const { accepted, unbound } = bindToPeople([...basis.staff, ...waiting], devices);
  return { accepted: accepted.filter((e) => own.has(e.id)), unbound };
}

/** The organisation's devices as its admins signed them, folded from these events (src/domain/devices.ts). */
export async function deviceRegistry(events: readonly FootfallEvent[]): Promise<DeviceRegistry> {
  const checks = await Promise.all(joinsIn(events).map(async (j) => [j.id, await joinProofCheck(j.proof)] as const));
  return foldDevices(events, new Map(checks));
}
