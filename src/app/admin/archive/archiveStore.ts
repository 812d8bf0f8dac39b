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
 * Every function is handed an admin's unlocked core; refreshing also needs the organisation key.
 */
import { z } from 'zod';
import type { OrgConfig } from '../../../domain/config.ts';
import { SET_ASIDE_REASONS, type SetAsideReason } from '../../../domain/authority.ts';
import { FootfallEvent } from '../../../domain/events.ts';
import { isEntryEvent, type DirectoryFold } from '../../../domain/directory.ts';
import type { Unbound } from '../../../domain/people.ts';
import { decodeHistory } from '../../../domain/historyCodec.ts';
import { Cursor } from '../../../domain/protocol.ts';
import { foldWaiting } from '../../../domain/waitingFold.ts';
import { type ExactReport, type History } from '../../../domain/report.ts';
import type { Period } from '../../../domain/periods.ts';
import type { ArchiveChunk, KeptBeside } from '../../core/archiveTable.ts';
import type { DeviceCore } from '../../core/core.ts';
import { ClientError } from '../../problems.ts';
import { archiveKeys, readArchivePages, type ArchiveProgress, type SetAside } from './archiveReader.ts';
import type { SyncClient } from '../../sync/client.ts';
import { adminDevice, defaultClient } from '../adminDevice.ts';
import { bindWaiting, gatherEvents, KeptBasis, KeptDirectory } from './archiveEvents.ts';
import { decodeSealedChunk, encodeChunk } from './chunkCodec.ts';
import { openKept, type OpenedResolution } from './keptResolution.ts';
import { openReportOffThread } from './reportOpening.ts';

export type { ArchiveProgress };

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
  /** What batches held that their senders had no authority to send (docs/security.md#authority). Rows from before it was kept have none. */
  setAside: z
    .array(
      z.object({
        batchId: z.string(),
        deviceId: z.string(),
        reason: z.enum(Object.keys(SET_ASIDE_REASONS) as [SetAsideReason, ...SetAsideReason[]]),
        events: z.number().int().min(1),
      }),
    )
    .default([]),
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
  /** Set aside, never counted: what, from which device. */
  setAside: SetAsideCount[];
  /** When a refresh last reached the end of the archive; null before the first one has. */
  refreshedAt: string | null;
}

/** How many records a device sent that are set aside, and why. */
export type SetAsideCount = Pick<SetAside, 'deviceId' | 'reason' | 'events'>;

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
  /**
   * Hears the history resolved anew (RefreshResult.resolved) as soon as it is, so the reports can
   * show it while it is being kept, which the refresh still awaits before it returns (about a
   * second for a year of half a million events). A call that joins one under way is not told.
   */
  onResolved?: (resolved: ReportHistory) => void;
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
  /** How many of this device's own events, saved here and not yet uploaded, were read with them: in no batch, but counted (unless set aside). */
  waiting: number;
  summary: ArchiveSummary;
  unreadableRows: number;
  /** True when every event was resolved for this opening; false when the kept resolution was read. */
  resolvedNow: boolean;
  /**
   * Settles once a resolution made for this opening is kept for the next (or found not to be
   * keepable): that work goes on after the history is handed over, so the report shows first.
   */
  keeping: Promise<void>;
}

/** How far a first opening has read the rows on this device. */
export interface OpeningProgress {
  opened: number;
  of: number;
}

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
export function refreshArchive(core: DeviceCore, onProgress?: (p: ArchiveProgress) => void, options: RefreshOptions = {}): Promise<RefreshResult> {
  running ??= refresh(core, onProgress, options).finally(() => {
    running = null;
  });
  return running;
}

async function refresh(core: DeviceCore, onProgress: ((p: ArchiveProgress) => void) | undefined, options: RefreshOptions): Promise<RefreshResult> {
  const keys = core.orgKeys;
  if (!keys) throw new ClientError('org_key_locked');
  const { enrolment, credentials } = await adminDevice(core);
  const client = options.client ?? (await defaultClient());

  // From the start, the stored state is not even read: it may be the damaged row being replaced.
  let stored = options.fromStart ? await startAgain(core, enrolment.orgId) : await readState(core, enrolment.orgId);
  // Read from the start, every batch comes again: what is fetched replaces the copy on this device
  // and is counted afresh. The old copy goes with the first page that replaces it, not before:
  // offline, it stays as it was.
  let clearChunks = stored.state.cursor === null;
  if (clearChunks) stored = { ...stored, state: fresh(enrolment.orgId) };
  let changed = false;
  const keep = async (state: ArchiveState, chunks: ArchiveChunk[]) => {
    stored = await write(core, stored, state, chunks, { clearChunks });
    changed ||= clearChunks || chunks.length > 0;
    clearChunks = false;
  };
  const fetched: ArchiveProgress = { batches: 0, events: 0 };
  await readArchivePages(client, credentials, archiveKeys(core, enrolment, keys), stored.state.cursor, async (page) => {
    // A batch with a part that did not open still counts the events of the part that did.
    const events = page.batches.flatMap((b) => b.events);
    const seals = page.batches.flatMap((b) => b.seals);
    const next: ArchiveState = {
      ...stored.state,
      cursor: page.cursor,
      batches: stored.state.batches + page.batches.length,
      events: stored.state.events + events.length,
      unreadable: [...new Set([...stored.state.unreadable, ...page.unreadable])],
      setAside: [...stored.state.setAside, ...page.batches.flatMap((b) => b.setAside)],
    };
    if (page.batches.length > 0) {
      const chunks = events.length ? [{ id: core.archive.chunkId(stored.rev + 1, 0), value: encodeChunk(events, seals) }] : [];
      await keep(next, chunks);
    }
    fetched.batches += page.batches.length;
    fetched.events += events.length;
    onProgress?.({ ...fetched });
  });
  await keep({ ...stored.state, refreshedAt: new Date().toISOString() }, []);
  const resolved = changed ? await resolveAgain(core, options.onResolved) : null;
  return { fetched, summary: summarise(stored.state), resolved };
}

// ---------------------------------------------------------------------------------------------
// Reading

/** What is on this device, without opening the events. */
export async function archiveSummary(core: DeviceCore): Promise<ArchiveSummary> {
  const { enrolment } = await adminDevice(core);
  return summarise((await readState(core, enrolment.orgId)).state);
}

/**
 * Every archived event plus this device's own events not yet acknowledged by the server, each
 * once by id, with what could not be read.
 */
export async function loadHistory(core: DeviceCore): Promise<ArchivedEvents> {
  const { events, summary, unreadableRows } = await readEvents(core);
  return { events, summary, unreadableRows };
}

/** The period the Reports screen opens on, and who hears its report before the history comes. */
export interface EarlyReport {
  period: Period;
  counted: (report: ExactReport) => void;
}

/**
 * The history the reports count, from the resolution kept on this device when it still holds,
 * otherwise resolved from every event now, off the page's thread (and kept for next time, after
 * it is handed over). `config` is the organisation's configuration now: its time zone dates every
 * record. `onProgress` hears how far a first opening has read; on a first opening `early` hears
 * the report of its period as soon as the worker has counted it, before the history is handed
 * over (docs/architecture.md#reports).
 */
export async function loadReportHistory(core: DeviceCore, config: OrgConfig, onProgress?: (p: OpeningProgress) => void, early?: EarlyReport): Promise<ReportHistory> {
  const { enrolment } = await adminDevice(core);
  const { state, stale } = await readState(core, enrolment.orgId);
  const waiting = await core.outbox.waitingEvents();
  const kept = stale ? null : await readKeptResolution(core, enrolment.orgId, config, besideNeeded(waiting.events));
  // Events saved here and not yet acknowledged already count: folded onto the kept resolution where they can be.
  const folded = kept && (await foldOntoKept(kept, waiting.events));
  if (kept && folded) {
    return {
      history: folded.history,
      events: kept.events + folded.events,
      waiting: waiting.events.length,
      summary: summarise(state, [...kept.unbound, ...folded.unbound]),
      unreadableRows: kept.unreadableRows + waiting.unreadable,
      resolvedNow: false,
      keeping: Promise.resolve(),
    };
  }
  const opening = openReportOffThread(
    { storage: core.archive.storage, orgId: enrolment.orgId, config, readChunks: !stale, waiting, opensOn: early?.period ?? null },
    (opened, of) => onProgress?.({ opened, of }),
    early?.counted,
  );
  const resolved = await opening.resolved;
  let history: History;
  try {
    history = decodeHistory(resolved.history, config);
  } finally {
    // The worker keeps the resolution only once the page has counted and shown the report (the
    // caller does so as soon as this returns): on two cores the two would compete for one.
    setTimeout(opening.keep, 0);
  }
  return {
    history,
    events: resolved.events,
    waiting: waiting.events.length,
    summary: summarise(state, resolved.unbound),
    unreadableRows: resolved.unreadableRows,
    resolvedNow: true,
    keeping: opening.done,
  };
}

/** What loadHistory reads, with what shows whether its resolution may be kept. */
interface ReadEvents extends ArchivedEvents {
  /** The ids of the rows read (none when they belong to an earlier enrolment). */
  chunks: string[];
  unbound: Unbound[];
}

async function readEvents(core: DeviceCore): Promise<ReadEvents> {
  const { enrolment } = await adminDevice(core);
  const { state, stale } = await readState(core, enrolment.orgId);
  const chunks = stale ? [] : await core.archive.readChunks(decodeSealedChunk);
  const { events, unbound, unreadableRows } = await gatherEvents(
    chunks.map((c) => c.value),
    await core.outbox.waitingEvents(),
  );
  return { events, unbound, summary: summarise(state, unbound), unreadableRows, chunks: chunks.map((c) => c.id) };
}

export async function loadHistoryEvents(core: DeviceCore): Promise<FootfallEvent[]> {
  return (await loadHistory(core)).events;
}

/** The id of every event this device holds for the organisation: archived, or waiting to upload here. */
export async function archivedEventIds(core: DeviceCore): Promise<Set<string>> {
  return new Set((await loadHistory(core)).events.map((e) => e.id));
}

// ---------------------------------------------------------------------------------------------
// Replacing

/**
 * After a compaction (erasure, retention): the copy on this device becomes exactly `events`.
 * Where the next refresh starts is kept, so it fetches only batches stored after this (or, for a
 * copy not yet read to any cursor, everything, replacing this).
 */
export async function replaceArchive(core: DeviceCore, events: FootfallEvent[]): Promise<void> {
  const checked = FootfallEvent.array().parse(events);
  const { enrolment } = await adminDevice(core);
  const stored = await readState(core, enrolment.orgId);
  const chunks: ArchiveChunk[] = [];
  for (let i = 0; i * CHUNK_EVENTS < checked.length; i++) {
    chunks.push({ id: core.archive.chunkId(stored.rev + 1, i), value: encodeChunk(checked.slice(i * CHUNK_EVENTS, (i + 1) * CHUNK_EVENTS)) });
  }
  await write(core, stored, { ...stored.state, events: checked.length }, chunks, { clearChunks: true });
  await resolveAgain(core);
}

// ---------------------------------------------------------------------------------------------
// The kept resolution

/**
 * After the stored events changed: resolve them now and keep the result (the kept one went with
 * the change), so that the reports open at once next time. `onResolved` hears the history before
 * it is kept.
 */
async function resolveAgain(core: DeviceCore, onResolved?: (resolved: ReportHistory) => void): Promise<ReportHistory | null> {
  // With events waiting here nothing would be kept: leave the work to the reports when they open.
  if (await core.outbox.anythingWaiting()) return null;
  try {
    const opened = await loadReportHistory(core, core.session.config);
    onResolved?.(opened);
    await opened.keeping;
    return opened;
  } catch {
    return null; // the archive itself is stored either way; the reports resolve it when they open
  }
}

/** The rows kept beside the resolution that folding these waiting events onto it reads: none when nothing waits, the directory only when entries do. */
function besideNeeded(waiting: readonly FootfallEvent[]): KeptBeside[] {
  if (waiting.length === 0) return [];
  return waiting.some(isEntryEvent) ? ['basis', 'directory'] : ['basis'];
}

/**
 * The kept resolution, when it is the resolution of exactly what is stored now in `config`'s time
 * zone, with the rows beside it named in `beside` (each null when none is kept or it cannot be read).
 */
async function readKeptResolution(core: DeviceCore, orgId: string, config: OrgConfig, beside: KeptBeside[]): Promise<KeptOpened | null> {
  const found = await core.archive.readResolution(beside).catch(() => null);
  const opened = found && openKept(found.value, found.chunkIds, orgId, config);
  if (!opened) return null;
  const basis = KeptBasis.safeParse(found.beside.basis);
  const directory = KeptDirectory.safeParse(found.beside.directory);
  return { ...opened, basis: basis.success ? basis.data : null, directory: directory.success ? directory.data.fold : null };
}

interface KeptOpened extends OpenedResolution {
  basis: KeptBasis | null;
  directory: DirectoryFold | null;
}

/**
 * This device's waiting events on the kept resolution: bound to the organisation's people and
 * devices as every record is (archiveEvents.ts bindWaiting), and what may count folded on
 * (src/domain/waitingFold.ts). Null when they cannot be folded exactly, or when what folding
 * them reads is not kept: then every event is resolved together.
 */
async function foldOntoKept(kept: KeptOpened, waiting: FootfallEvent[]): Promise<{ history: History; events: number; unbound: Unbound[] } | null> {
  if (waiting.length === 0) return { history: kept.history, events: 0, unbound: [] };
  if (!kept.basis) return null;
  const { accepted, unbound } = await bindWaiting(waiting, kept.basis);
  const history = foldWaiting(kept.history, accepted, { directory: kept.directory, voided: kept.basis.voided });
  return history && { history, events: accepted.length, unbound };
}

// ---------------------------------------------------------------------------------------------
// Rows

function fresh(orgId: string): ArchiveState {
  return { v: 2, orgId, cursor: null, batches: 0, events: 0, unreadable: [], setAside: [], refreshedAt: null };
}

function summarise(state: ArchiveState, unbound: Unbound[] = []): ArchiveSummary {
  const setAside: SetAsideCount[] = [...state.setAside, ...unbound];
  return { batches: state.batches, events: state.events, unreadable: state.unreadable.length, setAside, refreshedAt: state.refreshedAt };
}

/** The stored state, or a fresh one for a device that has none (or one from an earlier enrolment). */
async function readState(core: DeviceCore, orgId: string): Promise<Stored> {
  const { value, rev } = await core.archive.readState();
  if (value === null) return { state: fresh(orgId), rev, stale: false };
  const parsed = StoredState.safeParse(value);
  if (!parsed.success) throw new ClientError('archive_unknown_form');
  const stale = parsed.data.orgId !== orgId;
  return { state: stale ? fresh(orgId) : parsed.data, rev, stale };
}

/** A fresh state at the stored rev, to be written over whatever is there (which may be the damaged row being replaced). */
async function startAgain(core: DeviceCore, orgId: string): Promise<Stored> {
  return { state: fresh(orgId), rev: await core.archive.stateRev(), stale: true };
}

/** Writes the new state with its chunks, if no other window has written since `from` was read. */
async function write(core: DeviceCore, from: Stored, state: ArchiveState, chunks: ArchiveChunk[], options: { clearChunks?: boolean } = {}): Promise<Stored> {
  const rev = await core.archive.write(from.rev, ArchiveState.parse(state), chunks, options);
  return { state, rev, stale: false };
}
