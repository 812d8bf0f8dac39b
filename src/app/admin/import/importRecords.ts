/**
 * Importing historic records from CSV (docs/counting.md#import) on the admin's device. Checking a file
 * writes nothing: it reads the whole file against the organisation's configuration and
 * directory, with the admin's decisions for values that are none of its terms, and says what
 * importing would add. Only a clean file can be imported; the terms she chose to add are saved
 * to the configuration first, then its records go through the normal outbox, as if recorded
 * here, and reach the server at the next sync.
 *
 * Every id is derived from the file's rows (src/domain/recordsCsv.ts), so importing a file again,
 * here or after the first import has synced, adds nothing: ids this device already holds (the
 * archive's and its own outbox's) are left out.
 */
import { OrgConfig } from '../../../domain/config.ts';
import type { FootfallEvent } from '../../../domain/events.ts';
import {
  importCounts,
  withAddedTerms,
  type AddedTerm,
  type ImportError,
  type TermMapping,
  type UnknownTerm,
} from '../../../domain/recordsCsv.ts';
import { ClientError, messageOf } from '../../problems.ts';
import { EMPTY_DIRECTORY_STATE } from '../../directory/directory.ts';
import type { SyncClient } from '../../sync/client.ts';
import { readDirectoryNow } from '../../sync/scheduler.ts';
import type { DeviceCore } from '../../core/core.ts';
import { isDirectoryEvent } from '../../core/batchSealing.ts';
import { saveConfig } from '../../settings/settingsActions.ts';
import { adminDevice, defaultClient } from '../adminDevice.ts';
import { reportAuditIfOnline } from '../care/audit.ts';
import { archivedEventIds, loadReportHistory, refreshArchive } from '../archive/archiveStore.ts';
import { parseOffThread } from './parseOffThread.ts';

/** What importing a clean file would add, worked out before anything is written. */
export interface ImportPreview {
  /** Records in the file. */
  rows: number;
  /** Of those, the records this organisation does not hold yet. */
  records: number;
  /** What they add, counted as the report counts (visits: one woman at one site on one date). */
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
  /** The terms the admin chose to add: commitImport saves them to the configuration before the records. */
  addedTerms: AddedTerm[];
}

export type ImportCheck = { ok: true; preview: ImportPreview } | { ok: false; errors: ImportError[]; unknownTerms: UnknownTerm[] };

export interface ImportOptions {
  /** Defaults to the app's own client for this origin. */
  client?: SyncClient;
}

/**
 * Reads a file's text, with the admin's decisions for values that are none of the organisation's
 * terms, and says what importing it would do, or every line that is wrong and every value still
 * to decide.
 */
export async function checkImport(core: DeviceCore, text: string, mapping: TermMapping = {}, options: ImportOptions = {}): Promise<ImportCheck> {
  await adminDevice(core);
  await readDirectory(core, options);
  const s = core.session;
  const state = (await core.vault.loadDirectoryState()) ?? EMPTY_DIRECTORY_STATE;
  const directory = new Map([...s.women].filter(([, w]) => !w.mergedInto));
  const otherKnownIds = new Set([...state.erased, ...[...s.women.values()].filter((w) => w.mergedInto).map((w) => w.id)]);
  const parsed = await parseOffThread(text, { config: s.config, directory, otherKnownIds, deviceId: core.identity.deviceId, staffId: s.staff.id }, mapping);
  if (!parsed.ok) return parsed;

  const held = await heldEventIdsFresh(core, parsed.events.map((e) => e.id), options);
  const events = parsed.events.filter((e) => !held.has(e.id));
  // Against the visits the organisation already holds (the archive just refreshed, and what waits
  // here): a check-in that joins one adds no visit, as the report will count it.
  const { history } = await loadReportHistory(core, s.config).catch((e: unknown) => {
    throw new ClientError('import_unchecked', { reason: messageOf(e) });
  });
  const counts = importCounts(events, s.config, history.columns);
  return {
    ok: true,
    preview: {
      rows: parsed.counts.records,
      records: counts.records,
      visits: counts.visits,
      outreachContacts: counts.outreachContacts,
      caseworkSessions: counts.caseworkSessions,
      newWomen: counts.newWomen + counts.womenFromIds,
      placeholderWomen: counts.womenFromIds,
      alreadyImported: parsed.counts.records - counts.records,
      events,
      addedTerms: parsed.addedTerms,
    },
  };
}

/**
 * The file's names are matched against the directory, so it is read from the server first: a
 * woman another device registered minutes ago, not yet read here, would otherwise become a second
 * woman of the same name, counted twice.
 */
async function readDirectory(core: DeviceCore, options: ImportOptions): Promise<void> {
  const stopped = await readDirectoryNow(options.client ?? (await defaultClient()), core).catch((e: unknown) => {
    throw new ClientError('import_unchecked', { reason: messageOf(e) });
  });
  if (stopped) throw new ClientError('import_unchecked', { reason: stopped.message });
}

/**
 * Saves the terms the admin chose to add while importing to the organisation's configuration, as
 * Settings saves a change: shared with every device, and the audit log told when it can be. A
 * term added meanwhile is kept as it is.
 */
async function saveAddedTerms(core: DeviceCore, addedTerms: readonly AddedTerm[], options: ImportOptions = {}): Promise<void> {
  const config = withAddedTerms(core.session.config, addedTerms);
  if (config === core.session.config) return;
  await saveConfig(core, OrgConfig.parse(config));
  void reportAuditIfOnline(core, 'config.changed', options.client);
}

/**
 * Saves the terms the admin chose to add, then writes a checked file's new events through the
 * outbox in one transaction and adds its new women to the directory here. The audit log is told
 * before the events are written, so no import goes unlogged. Returns how many records were added.
 */
export async function commitImport(core: DeviceCore, preview: ImportPreview, options: ImportOptions = {}): Promise<number> {
  // The new terms first, and not inside the writes below (saving settings waits its turn among
  // them): no record is then written with a term Settings does not have, while a term no record
  // uses yet, should the import fail, is harmless.
  await saveAddedTerms(core, preview.addedTerms, options);
  const written = await writeImported(core, preview.events, options);
  return written.filter((e) => e.type !== 'woman.registered').length;
}

/**
 * Writes imported events through the outbox in one transaction, leaving out those this device
 * already holds (another import may have finished since they were read), and folds their
 * directory events here. The audit log is told first, so no import goes unlogged. Returns the
 * events written.
 */
export function writeImported(core: DeviceCore, events: readonly FootfallEvent[], options: ImportOptions = {}): Promise<FootfallEvent[]> {
  return core.serially(async () => {
    const { credentials } = await adminDevice(core);
    const held = await heldEventIds(core, events.map((e) => e.id));
    const fresh = events.filter((e) => !held.has(e.id));
    if (fresh.length === 0) return [];

    const client = options.client ?? (await defaultClient());
    const outcome = await client.audit(credentials, 'records.imported');
    if (outcome.kind !== 'ok') {
      throw new ClientError('import_unaudited', { message: outcome.message });
    }
    await core.foldDirectory(fresh.filter(isDirectoryEvent), fresh);
    return fresh;
  });
}

/** Every event id this device holds: the archive's, and those of `candidates` in its own outbox, readable or not. */
async function heldEventIds(core: DeviceCore, candidates: readonly string[]): Promise<Set<string>> {
  const held = await core.outbox.waitingAmong(candidates);
  for (const id of await archivedEventIds(core)) held.add(id);
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
export async function heldEventIdsFresh(core: DeviceCore, candidates: readonly string[], options: ImportOptions): Promise<Set<string>> {
  const held = await core.outbox.waitingAmong(candidates);
  try {
    const refresh = () => refreshArchive(core, undefined, options.client ? { client: options.client } : {});
    await refresh();
    await refresh();
  } catch (e) {
    throw new ClientError('import_unchecked', { reason: messageOf(e) });
  }
  for (const id of await archivedEventIds(core)) held.add(id);
  return held;
}

