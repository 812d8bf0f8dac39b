/**
 * The organisation's archive read batch by batch, for a compaction: which events each batch on
 * the server holds, so that a batch is only ever replaced by new ones holding everything it held
 * (less what is being erased). Reports read the archive by pages instead (src/app/admin/archive/archiveReader.ts).
 */
import { bytesJson, openWith, openWithTeamKey } from '../../../crypto/envelope.ts';
import { FootfallEvent } from '../../../domain/events.ts';
import type { DeviceCredentials, Outcome, SyncClient } from '../../sync/client.ts';

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

interface Listing {
  items: { batchId: string; sealed: string }[];
  next: string | null;
}

/** Every batch the server holds, opened with the organisation key and the team keys. */
export async function readSnapshot(
  client: SyncClient,
  device: DeviceCredentials,
  orgKey: CryptoKey,
  teamKeys: ReadonlyMap<number, CryptoKey>,
): Promise<Snapshot> {
  const activity = new Map<string, FootfallEvent[] | null>();
  const directory = new Map<string, FootfallEvent[] | null>();
  const read = async (into: Map<string, FootfallEvent[] | null>, list: (after: string | null) => Promise<Listing>, open: (sealed: string) => Promise<Uint8Array>) => {
    for (let after: string | null = null; ; ) {
      const page = await list(after);
      for (const item of page.items) {
        into.set(item.batchId, await open(item.sealed).then((bytes) => FootfallEvent.array().parse(bytesJson(bytes))).catch(() => null));
      }
      if (!page.next) return;
      after = page.next;
    }
  };
  await read(
    activity,
    async (after) => {
      const page = ok(await client.archive(device, after));
      return { items: page.items.map((i) => ({ batchId: i.batchId, sealed: i.activity })), next: page.next };
    },
    (sealed) => openWith(orgKey, sealed),
  );
  await read(
    directory,
    async (after) => {
      const page = ok(await client.directory(device, after));
      return { items: page.items.map((i) => ({ batchId: i.batchId, sealed: i.directory })), next: page.next };
    },
    (sealed) => openWithTeamKey(teamKeys, sealed),
  );

  const batches: SnapshotBatch[] = [];
  const unreadable: string[] = [];
  for (const [batchId, activityEvents] of activity) {
    // A batch stored between the two listings is in the second only: it is left for next time.
    if (!directory.has(batchId)) continue;
    const directoryEvents = directory.get(batchId);
    if (activityEvents && directoryEvents) batches.push({ batchId, events: [...activityEvents, ...directoryEvents] });
    else unreadable.push(batchId);
  }
  return { batches, unreadable };
}

function ok<T>(outcome: Outcome<T>): T {
  if (outcome.kind !== 'ok') throw new Error(`The organisation’s records could not be fetched: ${outcome.message}`);
  return outcome.value;
}
