/**
 * A device's own events waiting to upload, folded onto a history resolved from the archive
 * without them, so that a visit saved on the admin's laptop does not make her next report resolve
 * every stored event again (docs/architecture.md#reports).
 *
 * Only what folds exactly is folded: new visits, outreach contacts and casework sessions, and
 * changes to those same new records, naming no woman or a woman the history holds under her own
 * id (never one merged into another, nor erased); and changes of settings or of the organisation
 * key, which change no record. Anything else (a registration, a merge, a change
 * to an archived record, a record the history already holds) gives null, and every event is
 * resolved together as before. The records then are exactly those resolveHistory gives for the
 * archive's events followed by the waiting ones.
 */
import { resolveRecords } from './counting.ts';
import type { FootfallEvent } from './events.ts';
import { columnsOf } from './recordColumns.ts';
import { historyOf, type History } from './report.ts';

export function foldWaiting(history: History, waiting: readonly FootfallEvent[]): History | null {
  if (waiting.length === 0) return history;
  const made = new Set<string>();
  for (const e of waiting) if (e.type === 'visit.checkedIn' || e.type === 'outreach.contacted' || e.type === 'casework.session') made.add(e.id);
  const known = (womanId: string | null | undefined) => womanId == null || history.women.get(womanId)?.id === womanId;
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
  return historyOf(
    () => [...history.records, ...folded],
    () => columnsOf(folded, history.columns),
    history.women,
    history.config,
  );
}
