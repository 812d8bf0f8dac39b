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
import { openWithTeamKey } from '../../../crypto/envelope.ts';
import { openWithOrgKeys, type OrgKeyring } from '../../../crypto/orgKeyring.ts';
import type { SetAsideReason } from '../../../domain/authority.ts';
import type { FootfallEvent } from '../../../domain/events.ts';
import type { PartSeal } from '../../../domain/partSeals.ts';
import type { ArchivePage } from '../../../domain/protocol.ts';
import type { DeviceCore } from '../../core/core.ts';
import type { Enrolment } from '../../core/database.ts';
import type { DeviceCredentials, Outcome, SyncClient } from '../../sync/client.ts';
import { readEvents, type Authority } from '../../sync/parts.ts';

/** What opens the archive and checks who wrote each part. */
export interface ArchiveKeys extends Authority {
  /** The organisation's private keys: they open activity parts, each with the key it was sealed to. */
  orgKeys: OrgKeyring;
  /** The team keys by version: they open directory parts. */
  teamKeys: ReadonlyMap<number, CryptoKey>;
}

/** The keys of an admin device whose organisation key is unlocked. */
export function archiveKeys(core: DeviceCore, enrolment: Enrolment, orgKeys: OrgKeyring): ArchiveKeys {
  return { orgKeys, teamKeys: core.teamKeys, orgId: enrolment.orgId, orgPublicKey: enrolment.orgPublicKey, authoritySince: enrolment.authoritySince ?? null };
}

export interface ArchiveProgress {
  batches: number;
  events: number;
}

export interface Archive {
  events: FootfallEvent[];
  /** Batches that could not be opened (damaged or forged): reported, never guessed at. */
  unreadable: string[];
  /** Events their senders had no authority to send: reported, never counted. */
  setAside: SetAside[];
}

/** Events a batch held that its sender had no authority to send (src/domain/authority.ts): kept out of every count. */
export interface SetAside {
  batchId: string;
  /** The device that uploaded the batch. */
  deviceId: string;
  reason: SetAsideReason;
  events: number;
}

/** One batch of the archive, opened. */
export interface OpenedBatch {
  batchId: string;
  /** The events of the parts that opened (activity, then directory), checked against the event schema, less those set aside. */
  events: FootfallEvent[];
  /** How each event's part was sealed, one for each event (src/domain/partSeals.ts): checked when the events are gathered. */
  seals: PartSeal[];
  /** Whether both parts opened. When one did not, what the batch holds is not wholly known. */
  whole: boolean;
  /** What was set aside, by reason: never counted, and never re-sealed by a compaction. */
  setAside: SetAside[];
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
  keys: ArchiveKeys,
  from: string | null,
  onPage: (page: OpenedPage) => Promise<void> | void,
): Promise<string | null> {
  const open = async (item: ArchivePage['items'][number]): Promise<OpenedBatch> => {
    const read = (opened: Promise<Uint8Array>) => eventsIn(opened, item, keys);
    const [activity, directory] = await Promise.all([read(openWithOrgKeys(keys.orgKeys, item.activity)), read(openWithTeamKey(keys.teamKeys, item.directory))]);
    const setAside = new Map<SetAsideReason, number>();
    for (const part of [activity, directory]) {
      for (const [reason, n] of Object.entries(part?.setAside ?? {}) as [SetAsideReason, number][]) setAside.set(reason, (setAside.get(reason) ?? 0) + n);
    }
    return {
      batchId: item.batchId,
      events: [...(activity?.accepted ?? []), ...(directory?.accepted ?? [])],
      seals: [activity, directory].flatMap((part) => part?.accepted.map(() => part.seal) ?? []),
      whole: activity !== null && directory !== null,
      setAside: [...setAside].map(([reason, events]) => ({ batchId: item.batchId, deviceId: item.deviceId, reason, events })),
    };
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

/** Every event in the archive, each once however often a batch was delivered (the first copy received). */
export async function readArchive(client: SyncClient, device: DeviceCredentials, keys: ArchiveKeys, onProgress?: (p: ArchiveProgress) => void): Promise<Archive> {
  const byId = new Map<string, FootfallEvent>();
  const unreadable = new Set<string>();
  const setAside: SetAside[] = [];
  let batches = 0;
  await readArchivePages(client, device, keys, null, (page) => {
    for (const batch of page.batches) {
      // The first copy of an id stands: a later upload cannot replace a record another device made.
      for (const e of batch.events) if (!byId.has(e.id)) byId.set(e.id, e);
      setAside.push(...batch.setAside);
    }
    for (const id of page.unreadable) unreadable.add(id);
    batches += page.batches.length;
    onProgress?.({ batches, events: byId.size });
  });
  return { events: [...byId.values()], unreadable: [...unreadable], setAside };
}

/**
 * A part's events as the authority rule screens them, or null when it cannot be opened, does not
 * hold events this version reads, or claims a signature that does not hold.
 */
function eventsIn(opened: Promise<Uint8Array>, item: ArchivePage['items'][number], keys: ArchiveKeys) {
  return opened.then((bytes) => readEvents(bytes, { deviceId: item.deviceId, receivedAt: item.receivedAt }, keys)).catch(() => null);
}

function ok<T>(outcome: Outcome<T>): T {
  if (outcome.kind !== 'ok') throw new Error(`The archive could not be fetched: ${outcome.message}`);
  return outcome.value;
}
