/**
 * The kept resolution: the history every stored event resolves to, sealed in one row of the
 * archive table (in the compact form of src/domain/historyCodec.ts), so the reports open without
 * resolving half a million events again. `chunks` are the ids of the rows it was resolved from:
 * each write of events adds rows under new ids, so any change of them shows, while a refresh that
 * finds nothing new (and writes only the state) leaves it in use.
 */
import { z } from 'zod';
import type { OrgConfig } from '../../../domain/config.ts';
import { decodeHistory, type EncodedHistory } from '../../../domain/historyCodec.ts';
import { UNBOUND_REASONS, type Unbound } from '../../../domain/people.ts';
import type { History } from '../../../domain/report.ts';
import { sameIds } from '../../core/archiveTable.ts';

export const KeptResolution = z.object({
  v: z.literal(1),
  orgId: z.uuid(),
  chunks: z.array(z.string()),
  events: z.number().int().min(0),
  unreadableRows: z.number().int().min(0),
  /** Records not bound to the organisation's people, per device and reason (src/domain/people.ts). */
  unbound: z
    .array(z.object({ deviceId: z.string(), reason: z.enum(UNBOUND_REASONS).default('removed_person'), events: z.number().int().min(1) }))
    .default([]),
  // Checked as it is decoded: a zod pass over half a million records would cost more than decoding them.
  history: z.custom<EncodedHistory>((v) => typeof v === 'object' && v !== null),
});
export type KeptResolution = z.infer<typeof KeptResolution>;

export interface OpenedResolution {
  history: History;
  events: number;
  unreadableRows: number;
  unbound: Unbound[];
}

/**
 * The kept row's history, when it is the resolution of exactly the chunk rows stored now
 * (`chunkIds`), for this organisation, in `config`'s time zone; null otherwise, or when it is
 * damaged or of another version (then it is resolved again, and replaced).
 */
export function openKept(value: unknown, chunkIds: readonly string[], orgId: string, config: OrgConfig): OpenedResolution | null {
  try {
    const kept = KeptResolution.parse(value);
    if (kept.orgId !== orgId || !sameIds(chunkIds, kept.chunks) || kept.history.timeZone !== config.timeZone) return null;
    return { history: decodeHistory(kept.history, config), events: kept.events, unreadableRows: kept.unreadableRows, unbound: kept.unbound };
  } catch {
    return null;
  }
}
