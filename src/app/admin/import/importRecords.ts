/**
 * Importing historic records from CSV (docs/counting.md#import) on the admin's device. Checking a file
 * writes nothing: it reads the whole file against the organisation's configuration and
 * directory, and says what importing would add. Only a clean file can be imported; its records
 * then go through the normal outbox, as if recorded here, and reach the server at the next sync.
 *
 * Every id is derived from the file's rows (src/domain/recordsCsv.ts), so importing a file again,
 * here or after the first import has synced, adds nothing: ids this device already holds (the
 * archive's and its own outbox's) are left out.
 */
import type { EventOf, FootfallEvent } from '../../../domain/events.ts';
import { parseRecordsCsv, placeholderName, type ImportError } from '../../../domain/recordsCsv.ts';
import { messageOf } from '../../shared/useAction.tsx';
import { countUnsynced } from '../../core/device.ts';
import { directorySearchIndex, EMPTY_DIRECTORY_STATE, foldDirectory } from '../../directory/directory.ts';
import { serially } from '../../session.ts';
import { patchSession, requireSession, useFootfall } from '../../store.ts';
import type { SyncClient } from '../../sync/client.ts';
import { adminDevice, defaultClient } from '../adminDevice.ts';
import { archivedEventIds, refreshArchive } from '../archive/archiveStore.ts';

/** What importing a clean file would add, worked out before anything is written. */
export interface ImportPreview {
  /** Records in the file. */
  rows: number;
  /** New records of each kind: those this organisation does not hold yet. */
  visits: number;
  outreachContacts: number;
  caseworkSessions: number;
  /** Women the file adds to the directory. */
  newWomen: number;
  /** Of those, women given by an id from elsewhere, added with a placeholder name to change later. */
  placeholderWomen: number;
  /** Records in the file this organisation already holds (the file, or part of it, was imported before). */
  alreadyImported: number;
  /** The events importing writes. */
  events: FootfallEvent[];
}

export type ImportCheck = { ok: true; preview: ImportPreview } | { ok: false; errors: ImportError[] };

export interface ImportOptions {
  /** Defaults to the app's own client for this origin. */
  client?: SyncClient;
}

/** Reads a file's text and says what importing it would do, or every line that is wrong. */
export async function checkImport(text: string, options: ImportOptions = {}): Promise<ImportCheck> {
  await adminDevice();
  const s = requireSession();
  const identity = useFootfall.getState().identity;
  if (!identity) throw new Error('This device has no identity. Reload the page.');
  const state = (await s.vault.loadDirectoryState()) ?? EMPTY_DIRECTORY_STATE;
  const directory = new Map([...s.women].filter(([, w]) => !w.mergedInto));
  const otherKnownIds = new Set([...state.erased, ...[...s.women.values()].filter((w) => w.mergedInto).map((w) => w.id)]);
  const parsed = parseRecordsCsv(text, { config: s.config, directory, otherKnownIds, deviceId: identity.deviceId, staffId: s.staff.id });
  if (!parsed.ok) return parsed;

  const held = await heldEventIdsFresh(options);
  const events = parsed.events.filter((e) => !held.has(e.id));
  const count = (type: FootfallEvent['type']) => events.filter((e) => e.type === type).length;
  const registrations = events.filter((e): e is EventOf<'woman.registered'> => e.type === 'woman.registered');
  const visits = count('visit.checkedIn');
  const outreachContacts = count('outreach.contacted');
  const caseworkSessions = count('casework.session');
  return {
    ok: true,
    preview: {
      rows: parsed.counts.rows,
      visits,
      outreachContacts,
      caseworkSessions,
      newWomen: registrations.length,
      placeholderWomen: registrations.filter((e) => e.knownAs === placeholderName(e.womanId)).length,
      alreadyImported: parsed.counts.rows - visits - outreachContacts - caseworkSessions,
      events,
    },
  };
}

/**
 * Writes a checked file's new events through the outbox in one transaction, and adds its new
 * women to the directory here. The audit log is told first, so no import goes unlogged. Returns
 * how many records were added.
 */
export function commitImport(preview: ImportPreview, options: ImportOptions = {}): Promise<number> {
  return serially(async () => {
    const { credentials } = await adminDevice();
    // Another import may have finished since this file was checked.
    const held = await heldEventIds();
    const events = preview.events.filter((e) => !held.has(e.id));
    if (events.length === 0) return 0;

    const client = options.client ?? (await defaultClient());
    const outcome = await client.audit(credentials, 'records.imported');
    if (outcome.kind !== 'ok') {
      throw new Error(`Nothing was imported: the organisation’s audit log could not be told (${outcome.message}). Try again when this device is online.`);
    }

    const s = requireSession();
    const state = (await s.vault.loadDirectoryState()) ?? EMPTY_DIRECTORY_STATE;
    const directory = foldDirectory(s.women, state, events.filter((e) => e.type === 'woman.registered'));
    await s.vault.commit(events, { women: directory.put, ...(directory.changed && { directory: directory.state }) });
    patchSession({ women: directory.women, searchIndex: directorySearchIndex(directory.women) });
    useFootfall.setState({ unsynced: await countUnsynced() });
    return events.filter((e) => e.type !== 'woman.registered').length;
  });
}

/** Every event id this device holds: the archive's, and every row of its own outbox, readable or not. */
async function heldEventIds(): Promise<Set<string>> {
  const held = await outboxIds();
  for (const id of await archivedEventIds()) held.add(id);
  return held;
}

/**
 * Every event id the organisation holds, as far as this device can know. Records it imported
 * and has since uploaded have left its outbox, and are known here again only once the archive
 * has fetched them back; an upload may be acknowledged at any moment meanwhile. So the outbox is
 * read first, and the archive refreshed after: an event gone from the outbox by then was stored
 * on the server before the refresh began. A refresh already running may have begun earlier, so
 * one is started anew after it.
 */
async function heldEventIdsFresh(options: ImportOptions): Promise<Set<string>> {
  const held = await outboxIds();
  try {
    const refresh = () => refreshArchive(undefined, options.client ? { client: options.client } : {});
    await refresh();
    await refresh();
  } catch (e) {
    throw new Error(`The file could not be checked against the organisation’s records: ${messageOf(e)}`);
  }
  for (const id of await archivedEventIds()) held.add(id);
  return held;
}

async function outboxIds(): Promise<Set<string>> {
  return new Set((await requireSession().vault.db.events.orderBy('id').keys()) as string[]);
}
