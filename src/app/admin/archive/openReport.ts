/**
 * A first opening of the reports, as the report worker runs it (src/app/admin/archive/reportWorker.ts):
 * every chunk row read from IndexedDB and decrypted, gathered with this device's own waiting
 * events, resolved, the period the screen opens on counted and sent, then the history handed
 * over in the compact form the page decodes. Only once the page
 * says it has counted (`mayKeep`) is the resolution sealed and kept, and any rows in the previous
 * form written again in the compact one (chunkCodec.ts): the admin sees her report before that
 * work is done, and on a machine with few cores it does not compete with the page for them.
 *
 * It is a plain function of its request, so tests run it directly; in the app it runs off the
 * page's thread and the page stays responsive throughout (docs/architecture.md#reports).
 */
import type { OrgConfig } from '../../../domain/config.ts';
import { applyDirectoryEvents, EMPTY_DIRECTORY } from '../../../domain/directory.ts';
import { encodeHistory, type EncodedHistory } from '../../../domain/historyCodec.ts';
import type { Unbound } from '../../../domain/people.ts';
import type { Period } from '../../../domain/periods.ts';
import { buildReport, resolveHistory, type ExactReport } from '../../../domain/report.ts';
import { openArchiveStorage, type ArchiveStorage } from '../../core/archiveTable.ts';
import { gatherEvents, keptBeside, type WaitingEvents } from './archiveEvents.ts';
import { decodeSealedChunk, upgradeChunk } from './chunkCodec.ts';
import type { KeptResolution } from './keptResolution.ts';

export interface OpenReportRequest {
  storage: ArchiveStorage;
  orgId: string;
  /** The organisation's configuration now: its time zone dates every record. */
  config: OrgConfig;
  /** False when the rows stored belong to an earlier enrolment: they are not read. */
  readChunks: boolean;
  waiting: WaitingEvents;
  /**
   * The period the Reports screen opens on, or null: counted here as soon as the history is
   * resolved, and sent before the history, whose hand-over (encoded, cloned, decoded on the page)
   * took longer than counting it.
   */
  opensOn: Period | null;
}

export interface ResolvedReport {
  history: EncodedHistory;
  /** How many events it was resolved from. */
  events: number;
  unreadableRows: number;
  unbound: Unbound[];
}

export type OpenReportMessage =
  /** Chunk rows opened so far, of how many. */
  | { kind: 'progress'; opened: number; of: number }
  /** The report of the period the screen opens on (OpenReportRequest.opensOn), before the history. */
  | { kind: 'counted'; period: Period; report: ExactReport }
  | { kind: 'resolved'; report: ResolvedReport }
  /** The resolution is kept, or was not (it may not be, or the rows changed meanwhile): either way the work is done. */
  | { kind: 'done' }
  | { kind: 'failed'; message: string };

/** What the page sends the report worker: the request, then, once the report is shown, leave to keep. */
export type ReportWorkerMessage = { kind: 'open'; request: OpenReportRequest } | { kind: 'keep' };

/** `mayKeep` settles when the page has shown the report: the keeping waits for it. */
export async function openReport(request: OpenReportRequest, post: (message: OpenReportMessage) => void, mayKeep: Promise<void>): Promise<void> {
  const { archive, close } = openArchiveStorage(request.storage);
  try {
    // Each row decoded as it opens, while WebCrypto decrypts the next (docs/architecture.md#reports).
    const chunks = request.readChunks ? await archive.readChunks(decodeSealedChunk, (opened, of) => post({ kind: 'progress', opened, of })) : [];
    const gathered = await gatherEvents(
      chunks.map((c) => c.value),
      request.waiting,
    );
    const { events, unbound, unreadableRows } = gathered;
    // Folded once: the reports' women come from it, and it is kept beside the resolution.
    const directory = applyDirectoryEvents(EMPTY_DIRECTORY, events);
    const resolved = resolveHistory(events, request.config, directory);
    if (request.opensOn) post({ kind: 'counted', period: request.opensOn, report: buildReport(resolved, request.config, request.opensOn) });
    const history = encodeHistory(resolved);
    post({ kind: 'resolved', report: { history, events: events.length, unreadableRows, unbound } });
    await mayKeep;
    // Its own waiting events are not in the archive: a resolution counting them is not kept.
    if (request.waiting.events.length + request.waiting.unreadable === 0) {
      const chunkIds = chunks.map((c) => c.id);
      const kept: KeptResolution = { v: 1, orgId: request.orgId, chunks: chunkIds, events: events.length, unreadableRows, unbound, history };
      await archive.keepResolution(kept, keptBeside(gathered, directory), chunkIds).catch(() => {
        // Best effort: without it the next opening resolves every event again, as this one did.
      });
    }
    // Rows kept in the previous form are written again in the compact one, so the next opening reads less.
    const upgraded = chunks.flatMap(({ id, value }) => {
      const compact = value && upgradeChunk(value);
      return compact ? [{ id, value: compact }] : [];
    });
    if (upgraded.length) {
      await archive.rewriteChunks(upgraded).catch(() => {
        // Best effort: the rows stay readable as they are, and the next opening tries again.
      });
    }
    post({ kind: 'done' });
  } catch (e) {
    post({ kind: 'failed', message: e instanceof Error ? e.message : String(e) });
  } finally {
    close();
  }
}
