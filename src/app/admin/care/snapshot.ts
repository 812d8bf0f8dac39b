/**
 * The organisation's archive read batch by batch, for a compaction: which events each batch on
 * the server holds, so that a batch is only ever replaced by new ones holding everything it held
 * (less what is being erased). Read through the archive's one reader (src/app/admin/archive/archiveReader.ts).
 */
import type { FootfallEvent } from '../../../domain/events.ts';
import { screenSeals } from '../../../domain/partSeals.ts';
import { deviceRegistry } from '../archive/archiveEvents.ts';
import { readArchivePages, type ArchiveKeys, type OpenedBatch } from '../archive/archiveReader.ts';
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
 * events are those the authority rule accepts and whose part its device signed with the key an
 * admin signed for it (src/domain/partSeals.ts): what was set aside is never re-sealed under the
 * admin's signature, so a compaction that replaces its batch leaves it out.
 */
export async function readSnapshot(client: SyncClient, device: DeviceCredentials, keys: ArchiveKeys): Promise<Snapshot> {
  const read: OpenedBatch[] = [];
  const unreadable: string[] = [];
  await readArchivePages(client, device, keys, null, (page) => {
    for (const batch of page.batches) if (batch.whole) read.push(batch);
    unreadable.push(...page.unreadable);
  });
  // A device's key may be stated in any batch: the seals are checked once every batch is read.
  const devices = await deviceRegistry(read.flatMap((b) => b.events));
  const batches = read.map(({ batchId, events, seals }) => ({ batchId, events: screenSeals(events, seals, devices).sealed }));
  return { batches, unreadable };
}
