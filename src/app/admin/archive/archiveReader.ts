/**
 * The organisation's archive, read on the admin's device: every batch's activity part opened
 * with the organisation's private key, and every directory part with the team keys. Only here
 * do records become readable again, and only for the admin.
 *
 * It is read page by page from a pair of cursors (the server's own receipt order), so a reader
 * that keeps the cursors it was handed after each page can stop anywhere and carry on from there,
 * and a later refresh fetches only what arrived since.
 */
import { bytesJson, openWith, openWithTeamKey } from '../../../crypto/envelope.ts';
import { FootfallEvent } from '../../../domain/events.ts';
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

/** Where reading stopped: the cursor of the last item read of each part, or null for the start. */
export interface ArchiveCursors {
  activity: string | null;
  directory: string | null;
}

export const FROM_THE_START: ArchiveCursors = { activity: null, directory: null };

/** One page of the archive, opened. */
export interface OpenedPage {
  part: 'activity' | 'directory';
  /** The batches on this page, each counted once, readable or not. */
  batches: number;
  /** Every event the page's readable batches held, already checked against the event schema. */
  events: FootfallEvent[];
  /** Ids of batches on this page that could not be opened. */
  unreadable: string[];
  /** Where to read from once this page is kept: hand these back to carry on after it. */
  cursors: ArchiveCursors;
}

interface Page {
  items: { cursor: string; batchId: string; sealed: string }[];
  next: string | null;
}

/**
 * Reads the archive from `from` to its end, handing each page to `onPage` and waiting for it
 * (so the caller can keep the page and its cursors before the next is fetched). Returns where it
 * ended. Activity parts are read first, then directory parts.
 */
export async function readArchivePages(
  client: SyncClient,
  device: DeviceCredentials,
  orgKey: CryptoKey,
  teamKeys: ReadonlyMap<number, CryptoKey>,
  from: ArchiveCursors,
  onPage: (page: OpenedPage) => Promise<void> | void,
): Promise<ArchiveCursors> {
  let cursors = { ...from };
  const collect = async (
    part: OpenedPage['part'],
    fetchPage: (after: string | null) => Promise<Page>,
    open: (sealed: string) => Promise<Uint8Array>,
  ) => {
    for (let after = cursors[part]; ; ) {
      const page = await fetchPage(after);
      const events: FootfallEvent[] = [];
      const unreadable: string[] = [];
      for (const item of page.items) {
        const opened = await open(item.sealed)
          .then((bytes) => FootfallEvent.array().parse(bytesJson(bytes)))
          .catch(() => null);
        if (opened) events.push(...opened);
        else unreadable.push(item.batchId);
      }
      // `next` is null on the last page, but the last item read is where the next refresh starts.
      const last = page.items.at(-1);
      if (last) cursors = { ...cursors, [part]: last.cursor };
      await onPage({ part, batches: page.items.length, events, unreadable, cursors });
      if (!page.next) return;
      after = page.next;
    }
  };
  await collect(
    'activity',
    async (after) => {
      const page = ok(await client.archive(device, after));
      return { items: page.items.map((i) => ({ cursor: i.cursor, batchId: i.batchId, sealed: i.activity })), next: page.next };
    },
    (sealed) => openWith(orgKey, sealed),
  );
  await collect(
    'directory',
    async (after) => {
      const page = ok(await client.directory(device, after));
      return { items: page.items.map((i) => ({ cursor: i.cursor, batchId: i.batchId, sealed: i.directory })), next: page.next };
    },
    (sealed) => openWithTeamKey(teamKeys, sealed),
  );
  return cursors;
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
  await readArchivePages(client, device, orgKey, teamKeys, FROM_THE_START, (page) => {
    for (const e of page.events) byId.set(e.id, e);
    for (const id of page.unreadable) unreadable.add(id);
    batches += page.batches;
    onProgress?.({ batches, events: byId.size });
  });
  return { events: [...byId.values()], unreadable: [...unreadable] };
}

function ok<T>(outcome: Outcome<T>): T {
  if (outcome.kind !== 'ok') throw new Error(`The archive could not be fetched: ${outcome.message}`);
  return outcome.value;
}
