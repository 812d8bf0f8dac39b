/**
 * What an erasure or the retention rule takes out of the organisation's records: pure functions
 * over events, so they are tested without a server.
 *
 * Erasing a woman removes what identifies her (her known-as name and details, in her
 * woman.registered and woman.updated events, and those of every entry merged with hers). Her
 * visits, contacts and sessions stay and keep counting under her internal id, which nothing links
 * to her any more; the woman.merged and woman.erased events stay, as they hold ids only.
 */
import type { OrgConfig } from '../../../domain/config.ts';
import { resolveRecords } from '../../../domain/counting.ts';
import { applyDirectoryEvents, directoryWomen, EMPTY_DIRECTORY, isEntryEvent } from '../../../domain/directory.ts';
import type { FootfallEvent } from '../../../domain/events.ts';
import type { SnapshotBatch } from './snapshot.ts';

/** Every woman's id in a group that an erasure names: the entries merged together are one woman. */
export function erasedWomen(events: Iterable<FootfallEvent>): Set<string> {
  return new Set(applyDirectoryEvents(EMPTY_DIRECTORY, events).erased);
}

/** Whether an event says who an erased woman is. */
export function identifies(e: FootfallEvent, erased: ReadonlySet<string>): boolean {
  return isEntryEvent(e) && erased.has(e.womanId);
}

export interface CompactionPlan {
  /** The batches holding something to remove, each with what it keeps. */
  rewrite: { batchId: string; keep: FootfallEvent[] }[];
  /** Identifying events removed (each copy counted once). */
  removed: number;
  /** Every event the snapshot keeps, each once: the admin's copy of the archive after the compaction. */
  kept: FootfallEvent[];
}

/** Which batches must be replaced, and by what, so that no stored batch identifies an erased woman. */
export function planCompaction(batches: readonly SnapshotBatch[]): CompactionPlan {
  const erased = erasedWomen(batches.flatMap((b) => b.events));
  const rewrite: CompactionPlan['rewrite'] = [];
  const removed = new Set<string>();
  const kept = new Map<string, FootfallEvent>();
  for (const batch of batches) {
    const keep = batch.events.filter((e) => !identifies(e, erased));
    for (const e of keep) kept.set(e.id, e);
    if (keep.length === batch.events.length) continue;
    for (const e of batch.events) if (identifies(e, erased)) removed.add(e.id);
    rewrite.push({ batchId: batch.batchId, keep });
  }
  return { rewrite, removed: removed.size, kept: [...kept.values()] };
}

/**
 * The women the retention rule applies to on `today` (a local date): those not yet erased whose
 * latest record (her registration, or any visit, contact or session with her) is more than
 * `years` years old. Canonical ids after merges.
 */
export function womenPastRetention(events: readonly FootfallEvent[], config: Pick<OrgConfig, 'timeZone'>, years: number, now: Date): string[] {
  const cutoff = new Date(now);
  cutoff.setUTCFullYear(cutoff.getUTCFullYear() - years);
  const limit = cutoff.toISOString();
  const latest = new Map<string, string>();
  for (const [id, woman] of directoryWomen(applyDirectoryEvents(EMPTY_DIRECTORY, events))) latest.set(id, woman.registeredAt);
  for (const record of resolveRecords(events, config)) {
    const seen = record.womanId === null ? undefined : latest.get(record.womanId);
    if (seen !== undefined && record.occurredAt > seen) latest.set(record.womanId!, record.occurredAt);
  }
  return [...latest].filter(([, at]) => at < limit).map(([id]) => id);
}
