/**
 * The events the reports count, gathered from the archive's chunk rows and this device's own
 * events waiting to upload: each once by id, the first copy standing, and only those that name
 * one of the organisation's people on one of its signed devices. Shared by the page (data care, imports) and the report worker.
 */
import type { FootfallEvent } from '../../../domain/events.ts';
import { bindToPeople, type Unbound } from '../../../domain/people.ts';
import { foldDevices, joinsIn } from '../../../domain/devices.ts';
import { joinProofCheck } from '../../../crypto/enrolmentCode.ts';
import type { ArchiveChunk } from '../../core/archiveTable.ts';
import { decodeChunk } from './chunkCodec.ts';

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
}

export async function gatherEvents(chunks: readonly ArchiveChunk[], waiting: WaitingEvents): Promise<GatheredEvents> {
  const byId = new Map<string, FootfallEvent>();
  let unreadableRows = waiting.unreadable;
  for (const { value } of chunks) {
    const events = decodeChunk(value);
    // Rows are in receipt order, and the first copy of an id stands: a later upload that reuses an
    // id (a compaction's copy is the same event) cannot replace a record another device made.
    if (events) for (const e of events) if (!byId.has(e.id)) byId.set(e.id, e);
    else unreadableRows++;
  }
  // Events saved here and not yet acknowledged are not in the archive yet, but already count.
  for (const e of waiting.events) if (!byId.has(e.id)) byId.set(e.id, e);
  // A record counts only when it names one of the organisation's people, on a device an admin
  // signed for and she may use (docs/security.md#people, #devices): never the endpoint's device list.
  const all = [...byId.values()];
  const checks = await Promise.all(joinsIn(all).map(async (j) => [j.id, await joinProofCheck(j.proof)] as const));
  const { accepted, unbound } = bindToPeople(all, foldDevices(all, new Map(checks)));
  return { events: accepted, unbound, unreadableRows };
}
