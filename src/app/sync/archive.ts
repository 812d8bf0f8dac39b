/**
 * The organisation's archive, read on the admin's device: every batch's activity part opened
 * with the organisation's private key, and every directory part with the team keys. Only here
 * do records become readable again, and only for the admin.
 */
import { bytesJson, openWith, openWithTeamKey } from '../../crypto/envelope.ts';
import { FootfallEvent } from '../../domain/events.ts';
import type { DeviceCredentials, Outcome, SyncClient } from './client.ts';

export interface ArchiveProgress {
  batches: number;
  events: number;
}

export interface Archive {
  events: FootfallEvent[];
  /** Batches that could not be opened (damaged or forged): reported, never guessed at. */
  unreadable: string[];
}

interface Page {
  items: { batchId: string; sealed: string }[];
  next: string | null;
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
  const unreadable: string[] = [];
  let batches = 0;
  const collect = async (fetchPage: (after: string | null) => Promise<Page>, open: (sealed: string) => Promise<Uint8Array>) => {
    for (let after: string | null = null; ; ) {
      const page = await fetchPage(after);
      for (const item of page.items) {
        const events = await open(item.sealed)
          .then((bytes) => FootfallEvent.array().parse(bytesJson(bytes)))
          .catch(() => null);
        if (events) for (const e of events) byId.set(e.id, e);
        else unreadable.push(item.batchId);
        batches++;
      }
      onProgress?.({ batches, events: byId.size });
      if (!page.next) return;
      after = page.next;
    }
  };
  await collect(
    async (after) => {
      const page = ok(await client.archive(device, after));
      return { items: page.items.map((i) => ({ batchId: i.batchId, sealed: i.activity })), next: page.next };
    },
    (sealed) => openWith(orgKey, sealed),
  );
  await collect(
    async (after) => {
      const page = ok(await client.directory(device, after));
      return { items: page.items.map((i) => ({ batchId: i.batchId, sealed: i.directory })), next: page.next };
    },
    (sealed) => openWithTeamKey(teamKeys, sealed),
  );
  return { events: [...byId.values()], unreadable: [...new Set(unreadable)] };
}

function ok<T>(outcome: Outcome<T>): T {
  if (outcome.kind !== 'ok') throw new Error(`The archive could not be fetched: ${outcome.message}`);
  return outcome.value;
}
