/**
 * The organisation's archive, read on the admin's device: every batch's activity part opened
 * with the organisation's private key, and its directory part with the team keys. Only here do
 * records become readable again, and only for the admin. Everything that reads the archive reads
 * it through readArchivePages: the reports' copy (archiveStore.ts), data care's snapshot
 * (care/snapshot.ts) and readArchive.
 *
 * It is read page by page (GET /archive, docs/sync.md), both parts of a batch on the same page,
 * from one cursor (the server's own receipt order), so a reader that keeps the cursor it was
 * handed after each page can stop anywhere and carry on from there, and a later refresh fetches
 * only what arrived since.
 */
import { bytesJson, openWith, openWithTeamKey } from '../../../crypto/envelope.ts';
import { FootfallEvent } from '../../../domain/events.ts';
import type { ArchivePage } from '../../../domain/protocol.ts';
import type { DeviceCredentials, Outcome, SyncClient } from '../../sync/client.ts';

export interface ArchiveProgress {
  batches: number;
  events: number;
}

export interface Archive {
  events: FootfallEvent[];
  /** Batches that could not be opened (damaged or forged): reported, never guessed at. */
  unreadable: string[];
}

/** One batch of the archive, opened. */
export interface OpenedBatch {
  batchId: string;
  /** The events of the parts that opened (activity, then directory), checked against the event schema. */
  events: FootfallEvent[];
  /** Whether both parts opened. When one did not, what the batch holds is not wholly known. */
  whole: boolean;
}

/** One page of the archive, opened. */
export interface OpenedPage {
  /** The batches on this page in receipt order, each once, readable or not. */
  batches: OpenedBatch[];
  /** Ids of the batches on this page with a part that could not be opened. */
  unreadable: string[];
  /** Where reading stands once this page is kept: hand it back to carry on after it. */
  cursor: string | null;
}

/**
 * Reads the archive from after `from` (null: from the start) to its end, handing each page to
 * `onPage` and waiting for it (so the caller can keep the page and its cursor before the next is
 * fetched). Returns where it ended. A batch that cannot be opened does not stop the reading.
 */
export async function readArchivePages(
  client: SyncClient,
  device: DeviceCredentials,
  orgKey: CryptoKey,
  teamKeys: ReadonlyMap<number, CryptoKey>,
  from: string | null,
  onPage: (page: OpenedPage) => Promise<void> | void,
): Promise<string | null> {
  const open = async (item: ArchivePage['items'][number]): Promise<OpenedBatch> => {
    const [activity, directory] = await Promise.all([eventsIn(openWith(orgKey, item.activity)), eventsIn(openWithTeamKey(teamKeys, item.directory))]);
    return { batchId: item.batchId, events: [...(activity ?? []), ...(directory ?? [])], whole: activity !== null && directory !== null };
  };
  for (let cursor = from; ; ) {
    const page = ok(await client.archive(device, cursor));
    const batches = await Promise.all(page.items.map(open));
    // `next` is null on the last page, but the last batch read is where the next refresh starts.
    cursor = page.next ?? page.items.at(-1)?.cursor ?? cursor;
    await onPage({ batches, unreadable: batches.filter((b) => !b.whole).map((b) => b.batchId), cursor });
    if (!page.next) return cursor;
  }
}

/** Every event in the archive, each once however often a batch was delivered. */
export async function readArchive(
  client: SyncClient,
  device: DeviceCredentials,
  orgKey: CryptoKey,
  teamKeys: ReadonlyMap<number, CryptoKey>,
  onProgress?: (p: ArchiveProgress) => void,
): Promise<Archive> {
  const byId = new Map<string, FootfallEvent>();
  const unreadable = new Set<string>();
  let batches = 0;
  await readArchivePages(client, device, orgKey, teamKeys, null, (page) => {
    for (const batch of page.batches) for (const e of batch.events) byId.set(e.id, e);
    for (const id of page.unreadable) unreadable.add(id);
    batches += page.batches.length;
    onProgress?.({ batches, events: byId.size });
  });
  return { events: [...byId.values()], unreadable: [...unreadable] };
}

/** A part's events, or null when it cannot be opened or does not hold events this version reads. */
function eventsIn(opened: Promise<Uint8Array>): Promise<FootfallEvent[] | null> {
  return opened.then((bytes) => FootfallEvent.array().parse(bytesJson(bytes))).catch(() => null);
}

function ok<T>(outcome: Outcome<T>): T {
  if (outcome.kind !== 'ok') throw new Error(`The archive could not be fetched: ${outcome.message}`);
  return outcome.value;
}
