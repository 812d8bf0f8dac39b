/**
 * The organisation's archive as the admin's device keeps it for reports.
 *
 * Fetched from the server page by page (src/app/admin/archive/archiveReader.ts), decrypted, and sealed again
 * under this device's keyring: one row per fetched page, not per event, because a year can be
 * half a million events and reports must open in a moment. The state row (where the next
 * refresh starts, and what has been counted) is written in the same transaction as each page, so
 * a refresh cut short resumes where it stopped and a later one fetches only new pages.
 *
 * Beside the events, the history they resolve to is kept too (one sealed row, in the compact form
 * of src/domain/historyCodec.ts), so opening the reports reads that instead of resolving every
 * event again. It is rebuilt after every change to the stored events, and used only while it was
 * resolved from exactly the rows stored now, in the organisation's time zone now, with nothing of
 * this device's own waiting to upload (those count too, and are not in it).
 *
 * Every function needs an admin's unlocked session; refreshing also needs the organisation key.
 */
import { z } from 'zod';
import { openJson } from '../../../crypto/atRest.ts';
import type { Keyring } from '../../../crypto/keyring.ts';
import type { OrgConfig } from '../../../domain/config.ts';
import { FootfallEvent } from '../../../domain/events.ts';
import { decodeHistory, encodeHistory, type EncodedHistory } from '../../../domain/historyCodec.ts';
import { Cursor } from '../../../domain/protocol.ts';
import { resolveHistory, type History } from '../../../domain/report.ts';
import type { ArchiveRow, FootfallDb } from '../../core/database.ts';
import { requireSession } from '../../store.ts';
import { readArchivePages, type ArchiveProgress } from './archiveReader.ts';
import type { SyncClient } from '../../sync/client.ts';
import { adminDevice, defaultClient } from '../adminDevice.ts';
import { openArchiveRow, sealArchiveRow } from './archiveRows.ts';
import { orgKey } from '../orgKey.ts';

export type { ArchiveProgress };

const STATE_ID = 'state';
const CHUNK_PREFIX = 'chunk:';
const RESOLVED_ID = 'resolved';
/** Events per row when the whole archive is written at once (replaceArchive). */
const CHUNK_EVENTS = 5_000;

const ArchiveState = z.object({
  v: z.literal(2),
  orgId: z.uuid(),
  /**
   * Where the next refresh starts: the cursor of the last batch kept, both parts. Null reads from
   * the start, and a refresh that does replaces the copy on this device with what it fetches.
   */
  cursor: Cursor.nullable(),
  /** Batches fetched so far, each once. */
  batches: z.number().int().min(0),
  /** Events stored so far, counting each copy (a compaction re-delivers some). */
  events: z.number().int().min(0),
  /** Ids of batches that could not be opened: counted, never guessed at. */
  unreadable: z.array(z.string()),
  refreshedAt: z.iso.datetime().nullable(),
});
type ArchiveState = z.infer<typeof ArchiveState>;

/**
 * The state as the previous version wrote it: a cursor for each part, because it read every
 * activity part first (GET /batches) and then every directory part (GET /directory).
 */
const ArchiveStateV1 = ArchiveState.omit({ cursor: true }).extend({
  v: z.literal(1),
  cursors: z.object({ activity: Cursor.nullable(), directory: Cursor.nullable() }),
});

/**
 * Where both of the previous version's cursors stand at the same batch, the copy here holds both
 * parts of every batch up to it, and reading carries on from there. Where they differ (a refresh
 * cut short between the two parts, or a batch stored between the two listings), some batches
 * are held by one part only, and carrying on from either cursor would miss or repeat the other
 * part: the next refresh reads from the start instead and replaces the copy. Until then the copy
 * and its counts stay as they are, and the reports open from them.
 */
function fromV1({ cursors, ...state }: z.infer<typeof ArchiveStateV1>): ArchiveState {
  return { ...state, v: 2, cursor: cursors.activity === cursors.directory ? cursors.activity : null };
}

/** The state row of this version or the previous one, as this version's. */
const StoredState = z.union([ArchiveState, ArchiveStateV1.transform(fromV1)]);

/** What the reports screen says about the copy on this device. */
export interface ArchiveSummary {
  batches: number;
  events: number;
  unreadable: number;
  /** When a refresh last reached the end of the archive; null before the first one has. */
  refreshedAt: string | null;
}

export interface RefreshResult {
  /** What this refresh fetched: new batches and the events they held. */
  fetched: ArchiveProgress;
  summary: ArchiveSummary;
  /**
   * When it stored new events: the history they resolve to now (as loadReportHistory would open
   * it, in the session's configuration), kept for the next opening too. Null when nothing new
   * was stored, or this device has events waiting to upload (the reports resolve them when they
   * open), or resolving failed.
   */
  resolved: ReportHistory | null;
}

export interface RefreshOptions {
  /** Defaults to the app's own client for this origin. */
  client?: SyncClient;
  /** Forget the copy on this device and fetch everything again (after a damaged row or another admin's compaction). */
  fromStart?: boolean;
}

export interface ArchivedEvents {
  /** Every archived event and this device's own events not yet acknowledged, each once by id. */
  events: FootfallEvent[];
  summary: ArchiveSummary;
  /** Rows on this device that could not be opened (left as they are): a refresh from the start rebuilds them. */
  unreadableRows: number;
}

/** What the reports count: the same events as ArchivedEvents, resolved. */
export interface ReportHistory {
  history: History;
  /** How many events it was resolved from. */
  events: number;
  summary: ArchiveSummary;
  unreadableRows: number;
  /** True when every event was resolved for this opening; false when the kept resolution was read. */
  resolvedNow: boolean;
}

/**
 * The kept resolution. `chunks` are the ids of the rows it was resolved from: each write of
 * events adds rows under new ids, so any change of them shows, while a refresh that finds nothing
 * new (and writes only the state) leaves it in use.
 */
const KeptResolution = z.object({
  v: z.literal(1),
  orgId: z.uuid(),
  chunks: z.array(z.string()),
  events: z.number().int().min(0),
  unreadableRows: z.number().int().min(0),
  // Checked as it is decoded: a zod pass over half a million records would cost more than decoding them.
  history: z.custom<EncodedHistory>((v) => typeof v === 'object' && v !== null),
});
type KeptResolution = z.infer<typeof KeptResolution>;

interface Stored {
  state: ArchiveState;
  /** Bumped by every write; a write checks it in its own transaction, so two windows cannot interleave. */
  rev: number;
  /** The rows on this device belong to an earlier enrolment: they are not read, and the next write clears them. */
  stale: boolean;
}

// ---------------------------------------------------------------------------------------------
// Refreshing

let running: Promise<RefreshResult> | null = null;

/**
 * Fetches what the server holds beyond the copy on this device, page by page, keeping each page
 * before the next is fetched. `onProgress` hears what this refresh has fetched so far. A second
 * call while one runs joins it.
 */
export function refreshArchive(onProgress?: (p: ArchiveProgress) => void, options: RefreshOptions = {}): Promise<RefreshResult> {
  running ??= refresh(onProgress, options).finally(() => {
    running = null;
  });
  return running;
}

async function refresh(onProgress: ((p: ArchiveProgress) => void) | undefined, options: RefreshOptions): Promise<RefreshResult> {
  const key = orgKey();
  if (!key) throw new Error('Unlock the organisation key with the passphrase first.');
  const { enrolment, credentials } = await adminDevice();
  const { vault, teamKeys } = requireSession();
  const { db, keyring } = vault;
  const client = options.client ?? (await defaultClient());

  // From the start, the stored state is not even read: it may be the damaged row being replaced.
  let stored = options.fromStart ? await startAgain(db, enrolment.orgId) : await readState(db, enrolment.orgId);
  // Read from the start, every batch comes again: what is fetched replaces the copy on this device
  // and is counted afresh. The old copy goes with the first page that replaces it, not before:
  // offline, it stays as it was.
  let clearChunks = stored.state.cursor === null;
  if (clearChunks) stored = { ...stored, state: fresh(enrolment.orgId) };
  let changed = false;
  const keep = async (state: ArchiveState, chunks: ArchiveRow[]) => {
    stored = await write(db, stored, state, chunks, { clearChunks });
    changed ||= clearChunks || chunks.length > 0;
    clearChunks = false;
  };
  const fetched: ArchiveProgress = { batches: 0, events: 0 };
  await readArchivePages(client, credentials, key, teamKeys, stored.state.cursor, async (page) => {
    // A batch with a part that did not open still counts the events of the part that did.
    const events = page.batches.flatMap((b) => b.events);
    const next: ArchiveState = {
      ...stored.state,
      cursor: page.cursor,
      batches: stored.state.batches + page.batches.length,
      events: stored.state.events + events.length,
      unreadable: [...new Set([...stored.state.unreadable, ...page.unreadable])],
    };
    if (page.batches.length > 0) {
      const chunks = events.length ? [await sealArchiveRow(keyring, chunkId(stored.rev + 1, 0), chunk(events))] : [];
      await keep(next, chunks);
    }
    fetched.batches += page.batches.length;
    fetched.events += events.length;
    onProgress?.({ ...fetched });
  });
  await keep({ ...stored.state, refreshedAt: new Date().toISOString() }, []);
  const resolved = changed ? await resolveAgain() : null;
  return { fetched, summary: summarise(stored.state), resolved };
}

// ---------------------------------------------------------------------------------------------
// Reading

/** What is on this device, without opening the events. */
export async function archiveSummary(): Promise<ArchiveSummary> {
  const { enrolment } = await adminDevice();
  return summarise((await readState(requireSession().vault.db, enrolment.orgId)).state);
}

/**
 * Every archived event plus this device's own events not yet acknowledged by the server, each
 * once by id, with what could not be read.
 */
export async function loadHistory(): Promise<ArchivedEvents> {
  const { events, summary, unreadableRows } = await readEvents();
  return { events, summary, unreadableRows };
}

/**
 * The history the reports count, from the resolution kept on this device when it still holds,
 * otherwise resolved from every event now (and kept for next time). `config` is the
 * organisation's configuration now: its time zone dates every record.
 */
export async function loadReportHistory(config: OrgConfig): Promise<ReportHistory> {
  const { enrolment } = await adminDevice();
  const { db, keyring } = requireSession().vault;
  const { state, stale } = await readState(db, enrolment.orgId);
  const kept = stale ? null : await readKeptResolution(db, keyring, enrolment.orgId, config);
  if (kept) {
    return { history: kept.history, events: kept.events, summary: summarise(state), unreadableRows: kept.unreadableRows, resolvedNow: false };
  }
  return resolveAndKeep(config);
}

/** What loadHistory reads, with what shows whether its resolution may be kept. */
interface ReadEvents extends ArchivedEvents {
  /** The ids of the rows read (none when they belong to an earlier enrolment). */
  chunks: string[];
  /** This device's own events read: while there are any, no resolution is kept. */
  waiting: number;
  orgId: string;
}

async function readEvents(): Promise<ReadEvents> {
  const { enrolment } = await adminDevice();
  const { db, keyring } = requireSession().vault;
  const { state, stale } = await readState(db, enrolment.orgId);
  const rows = stale ? [] : await db.archive.where('id').startsWith(CHUNK_PREFIX).toArray();
  const opened = await Promise.all(rows.map((row) => openChunk(row).catch(() => null)));
  const byId = new Map<string, FootfallEvent>();
  for (const events of opened) for (const e of events ?? []) byId.set(e.id, e);
  let unreadableRows = opened.filter((o) => o === null).length;

  // Events saved here and not yet acknowledged are not in the archive yet, but already count.
  const waiting = await db.events.toArray();
  for (const row of waiting) {
    if (byId.has(row.id)) continue;
    const parsed = FootfallEvent.safeParse(await openJson(keyring, `events:${row.id}`, row).catch(() => null));
    if (parsed.success && parsed.data.id === row.id) byId.set(row.id, parsed.data);
    else unreadableRows++;
  }
  return {
    events: [...byId.values()],
    summary: summarise(state),
    unreadableRows,
    chunks: stale ? [] : rows.map((r) => r.id),
    waiting: waiting.length,
    orgId: enrolment.orgId,
  };

  async function openChunk(row: ArchiveRow): Promise<FootfallEvent[]> {
    const plain = await openArchiveRow(keyring, row);
    // Every event was checked against the event schema before it was sealed into this row, and
    // AES-GCM with the row id as associated data proves the row is exactly what this device
    // wrote there. Parsing half a million events again on every opening would cost more than
    // the decryption itself (docs/architecture.md#performance-targets: a year's report in under 3 s), so only the row's
    // shape is checked here.
    const body = plain as { v?: unknown; events?: unknown } | null;
    if (body?.v !== 1 || !Array.isArray(body.events)) throw new Error('not an archive chunk of this version');
    return body.events as FootfallEvent[];
  }
}

export async function loadHistoryEvents(): Promise<FootfallEvent[]> {
  return (await loadHistory()).events;
}

/** The id of every event this device holds for the organisation: archived, or waiting to upload here. */
export async function archivedEventIds(): Promise<Set<string>> {
  return new Set((await loadHistory()).events.map((e) => e.id));
}

// ---------------------------------------------------------------------------------------------
// Replacing

/**
 * After a compaction (erasure, retention): the copy on this device becomes exactly `events`.
 * Where the next refresh starts is kept, so it fetches only batches stored after this (or, for a
 * copy not yet read to any cursor, everything, replacing this).
 */
export async function replaceArchive(events: FootfallEvent[]): Promise<void> {
  const checked = FootfallEvent.array().parse(events);
  const { enrolment } = await adminDevice();
  const { db, keyring } = requireSession().vault;
  const stored = await readState(db, enrolment.orgId);
  const rows: ArchiveRow[] = [];
  for (let i = 0; i * CHUNK_EVENTS < checked.length; i++) {
    rows.push(await sealArchiveRow(keyring, chunkId(stored.rev + 1, i), chunk(checked.slice(i * CHUNK_EVENTS, (i + 1) * CHUNK_EVENTS))));
  }
  await write(db, stored, { ...stored.state, events: checked.length }, rows, { clearChunks: true });
  await resolveAgain();
}

// ---------------------------------------------------------------------------------------------
// The kept resolution

/** Resolves every event and keeps the result, if it may be kept and nothing changed meanwhile. */
async function resolveAndKeep(config: OrgConfig): Promise<ReportHistory> {
  const read = await readEvents();
  const history = resolveHistory(read.events, config);
  if (read.waiting === 0) {
    await keepResolution(read, history).catch(() => {
      // Best effort: without it the next opening resolves every event again, as this one did.
    });
  }
  return { history, events: read.events.length, summary: read.summary, unreadableRows: read.unreadableRows, resolvedNow: true };
}

/** After the stored events changed: resolve them now, so that the reports open at once next time. */
async function resolveAgain(): Promise<ReportHistory | null> {
  const { vault, config } = requireSession();
  // With events waiting here nothing would be kept: leave the work to the reports when they open.
  if ((await vault.db.events.count()) > 0) return null;
  // The archive itself is stored either way; if this fails, the reports resolve it when they open.
  return resolveAndKeep(config).catch(() => null);
}

async function keepResolution(read: ReadEvents, history: History): Promise<void> {
  const { db, keyring } = requireSession().vault;
  const kept: KeptResolution = {
    v: 1,
    orgId: read.orgId,
    chunks: read.chunks,
    events: read.events.length,
    unreadableRows: read.unreadableRows,
    history: encodeHistory(history),
  };
  const row = await sealArchiveRow(keyring, RESOLVED_ID, kept);
  await db.transaction('rw', db.archive, db.events, async () => {
    // Kept only if it is still the resolution of what is stored: no write of rows, and no event
    // saved here, since they were read.
    const chunks = await db.archive.where('id').startsWith(CHUNK_PREFIX).primaryKeys();
    if (!sameIds(chunks, read.chunks) || (await db.events.count()) > 0) return;
    await db.archive.put(row);
  });
}

/** The kept resolution, when it is the resolution of exactly what is stored now in `config`'s time zone. */
async function readKeptResolution(db: FootfallDb, keyring: Keyring, orgId: string, config: OrgConfig): Promise<{ history: History; events: number; unreadableRows: number } | null> {
  const found = await db.transaction('r', db.archive, db.events, async () => {
    if ((await db.events.count()) > 0) return null;
    const row = await db.archive.get(RESOLVED_ID);
    return row ? { row, chunks: await db.archive.where('id').startsWith(CHUNK_PREFIX).primaryKeys() } : null;
  });
  if (!found) return null;
  try {
    const kept = KeptResolution.parse(await openArchiveRow(keyring, found.row));
    if (kept.orgId !== orgId || !sameIds(found.chunks, kept.chunks) || kept.history.timeZone !== config.timeZone) return null;
    return { history: decodeHistory(kept.history, config), events: kept.events, unreadableRows: kept.unreadableRows };
  } catch {
    return null; // damaged or from another version: resolved again, and replaced
  }
}

function sameIds(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  const set = new Set(a);
  return b.every((id) => set.has(id));
}

// ---------------------------------------------------------------------------------------------
// Rows

function fresh(orgId: string): ArchiveState {
  return { v: 2, orgId, cursor: null, batches: 0, events: 0, unreadable: [], refreshedAt: null };
}

function chunk(events: FootfallEvent[]): { v: 1; events: FootfallEvent[] } {
  return { v: 1, events };
}

/** Unique (each write has its own rev) and in the order written. */
function chunkId(rev: number, index: number): string {
  return `${CHUNK_PREFIX}${String(rev).padStart(12, '0')}:${String(index).padStart(6, '0')}`;
}

function summarise(state: ArchiveState): ArchiveSummary {
  return { batches: state.batches, events: state.events, unreadable: state.unreadable.length, refreshedAt: state.refreshedAt };
}

/** The stored state, or a fresh one for a device that has none (or one from an earlier enrolment). */
async function readState(db: FootfallDb, orgId: string): Promise<Stored> {
  const row = await db.archive.get(STATE_ID);
  if (!row) return { state: fresh(orgId), rev: 0, stale: false };
  const parsed = StoredState.safeParse(await openArchiveRow(requireSession().vault.keyring, row));
  const rev = row.rev ?? 0;
  if (!parsed.success) {
    throw new Error('The reports archive on this device is not in a form this version understands. Use “Fetch everything again” to rebuild it.');
  }
  const stale = parsed.data.orgId !== orgId;
  return { state: stale ? fresh(orgId) : parsed.data, rev, stale };
}

/** A fresh state at the stored rev, to be written over whatever is there. */
async function startAgain(db: FootfallDb, orgId: string): Promise<Stored> {
  return { state: fresh(orgId), rev: (await db.archive.get(STATE_ID))?.rev ?? 0, stale: true };
}

/**
 * Writes the new state with its chunks in one transaction, if no other window has written since
 * `from` was read; otherwise nothing is written and the admin is asked to try again.
 */
async function write(db: FootfallDb, from: Stored, state: ArchiveState, chunks: ArchiveRow[], options: { clearChunks?: boolean } = {}): Promise<Stored> {
  const rev = from.rev + 1;
  // Sealed before the transaction: WebCrypto is not IndexedDB work, and awaiting it would end it.
  const stateRow = { ...(await sealArchiveRow(requireSession().vault.keyring, STATE_ID, ArchiveState.parse(state))), rev };
  await db.transaction('rw', db.archive, async () => {
    const current = await db.archive.get(STATE_ID);
    if ((current?.rev ?? 0) !== from.rev) {
      throw new Error('The reports archive was changed in another window at the same time. Close the other window, then try again.');
    }
    if (options.clearChunks) await db.archive.where('id').startsWith(CHUNK_PREFIX).delete();
    // The kept resolution goes with the rows it was resolved from: after an erasure it would
    // still hold her entry.
    if (options.clearChunks || chunks.length > 0) await db.archive.delete(RESOLVED_ID);
    await db.archive.bulkPut([...chunks, stateRow]);
  });
  return { state, rev, stale: false };
}
