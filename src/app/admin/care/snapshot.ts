/**
 * The organisation's archive read batch by batch, for a compaction: which events each batch on
 * the server holds, so that a batch is only ever replaced by new ones holding everything it held
 * (less what is being erased). Read through the archive's one reader (src/app/admin/archive/archiveReader.ts).
 */
import type { FootfallEvent } from '../../../domain/events.ts';
import { readArchivePages, type ArchiveKeys } from '../archive/archiveReader.ts';
import type { DeviceCredentials, SyncClient } from '../../sync/client.ts';

export interface SnapshotBatch {
  batchId: string;
  /** Both parts' events: activity and directory. */
  events: FootfallEvent[];
}

export interface Snapshot {
  /** Batches whose two parts were both read. */
  batches: SnapshotBatch[];
  /** Batches with a part that could not be opened: never replaced, since what they hold is not known. */
  unreadable: string[];
}

/**
 * Every batch the server holds, opened with the organisation key and the team keys. A batch's
 * events are those the authority rule accepts: what was set aside is never re-sealed under the
 * admin's signature, so a compaction that replaces its batch leaves it out.
 */
export async function readSnapshot(client: SyncClient, device: DeviceCredentials, keys: ArchiveKeys): Promise<Snapshot> {
  const batches: SnapshotBatch[] = [];
  const unreadable: string[] = [];
  await readArchivePages(client, device, keys, null, (page) => {
    for (const { batchId, events, whole } of page.batches) if (whole) batches.push({ batchId, events });
    unreadable.push(...page.unreadable);
  });
  return { batches, unreadable };
}
