/**
 * A device's own events waiting to upload, folded onto a history resolved from the archive
 * without them, so that what the admin saves on her laptop does not make her next report resolve
 * every stored event again (docs/architecture.md#reports).
 *
 * Only what folds exactly is folded: new visits, outreach contacts and casework sessions, and
 * changes to those same new records, naming no woman or a woman known under her own id (never one
 * merged into another, nor erased); registrations of new women and changes to women's entries,
 * folded onto the directory the history was resolved with (`directory`: the directory fold is
 * the same whatever the order and grouping of its events, src/domain/directory.ts); and changes
 * of settings or of the organisation key, which change no record. Anything else (a merge, an
 * erasure, a statement about people or devices, a change to an archived record, a record the
 * history already holds) gives null, and every event is resolved together as before. The records
 * and women then are exactly those resolveHistory gives for the archive's events followed by the
 * waiting ones.
 *
 * Whether a waiting record may count at all (its person and device) is decided before it comes
 * here, as for every record (src/domain/people.ts): only accepted events are folded.
 */
import { resolveRecords } from './counting.ts';
import { applyDirectoryEvents, directoryWomen, type DirectoryFold } from './directory.ts';
import type { FootfallEvent } from './events.ts';
import { columnsOf } from './recordColumns.ts';
import { historyOf, type History } from './report.ts';

/**
 * `directory`: the directory fold of the events `history` was resolved from, or null when it is
 * not known (then a waiting registration or change to a woman's entry gives null).
 */
export function foldWaiting(history: History, waiting: readonly FootfallEvent[], directory: DirectoryFold | null): History | null {
  if (waiting.length === 0) return history;
  const made = new Set<string>();
  const entries: FootfallEvent[] = [];
  for (const e of waiting) {
    if (e.type === 'visit.checkedIn' || e.type === 'outreach.contacted' || e.type === 'casework.session') made.add(e.id);
    else if (e.type === 'woman.registered' || e.type === 'woman.updated') {
      if (!directory || alreadyFolded(directory, e)) return null;
      entries.push(e);
    }
  }
  const women = entries.length ? directoryWomen(applyDirectoryEvents(directory!, entries)) : history.women;
  const known = (womanId: string | null | undefined) => womanId == null || women.get(womanId)?.id === womanId;
  for (const e of waiting) {
    switch (e.type) {
      case 'visit.checkedIn':
      case 'outreach.contacted':
      case 'casework.session':
        if (!known(e.womanId)) return null;
        break;
      case 'visit.serviceAdded':
      case 'visit.serviceRemoved':
        if (!made.has(e.visitId)) return null;
        break;
      case 'record.corrected':
        if (!made.has(e.targetId) || !known(e.changes.womanId)) return null;
        break;
      case 'record.voided':
        if (!made.has(e.targetId)) return null;
        break;
      case 'woman.registered':
      case 'woman.updated':
        // Folded onto the directory above; they resolve to no record.
        break;
      case 'org.configured':
      case 'org.keyRotated':
        // Settings and a new organisation key resolve to no record and no woman, and bind none
        // (src/domain/people.ts reads people and devices only): the history stays as it is.
        break;
      default:
        return null;
    }
  }
  // Uploaded and stored, but not yet acknowledged here: the archive's copy stands, resolved with the rest.
  if (history.columns.id.some((id) => made.has(id))) return null;
  const folded = resolveRecords(waiting, history.config);
  if (folded.length === 0 && women === history.women) return history;
  return historyOf(
    () => [...history.records, ...folded],
    () => columnsOf(folded, history.columns),
    women,
    history.config,
  );
}

/**
 * True when the directory may already hold this event: her entry is registered or erased there,
 * or a field of it was last set by this very event. Then the event may have been uploaded and
 * stored already (not yet acknowledged here), and resolving everything together counts it once.
 */
function alreadyFolded(directory: DirectoryFold, e: FootfallEvent & { womanId: string }): boolean {
  if (directory.erased.includes(e.womanId)) return true;
  const said = directory.said[e.womanId];
  if (e.type === 'woman.registered') return said?.registration !== undefined || directory.merges.some((m) => m.womanId === e.womanId || m.intoId === e.womanId);
  return said !== undefined && Object.values(said.stamps).some((stamp) => stamp?.id === e.id);
}
