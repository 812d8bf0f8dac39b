/**
 * The events the reports count, gathered from the archive's chunk rows and this device's own
 * events waiting to upload: each once by id, the first copy standing, and only those that came in
 * a part their device signed and name one of the organisation's people on one of its signed devices. Shared by the page (data care, imports) and the report worker.
 */
import { z } from 'zod';
import { applyDirectoryEvents, DirectoryFold, EMPTY_DIRECTORY } from '../../../domain/directory.ts';
import { FootfallEvent } from '../../../domain/events.ts';
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
  /** The statements about devices among every event read, those set aside with their parts included: the registry binding read them. */
  deviceEvents: FootfallEvent[];
}

/**
 * What a kept resolution needs to fold this device's waiting events on exactly as resolving every
 * event together would (src/domain/waitingFold.ts): the directory of the events it was resolved
 * from, and what binding read (src/domain/people.ts): the organisation's staff events and every
 * statement about its devices. Kept in a row of its own beside it, opened only when events wait.
 */
export const FoldBasis = z.object({
  v: z.literal(1),
  directory: DirectoryFold,
  staff: z.array(FootfallEvent),
  devices: z.array(FootfallEvent),
});
export type FoldBasis = z.infer<typeof FoldBasis>;

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

/** The basis for folding onto the resolution of `gathered` (its events, with nothing of this device's waiting). */
export function foldBasis(gathered: Pick<GatheredEvents, 'events' | 'deviceEvents'>): FoldBasis {
  return { v: 1, directory: applyDirectoryEvents(EMPTY_DIRECTORY, gathered.events), staff: gathered.events.filter(isStaffEvent), devices: gathered.deviceEvents };
}

/**
 * This device's waiting events bound to the organisation's people and devices as gathering them
 * with the archive would bind them (gatherEvents): the same staff events and device statements,
 * kept in the basis. Waiting records carry no part's seal, so none is screened for one.
 */
export async function bindWaiting(waiting: readonly FootfallEvent[], basis: FoldBasis): Promise<{ accepted: FootfallEvent[]; unbound: Unbound[] }> {
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
