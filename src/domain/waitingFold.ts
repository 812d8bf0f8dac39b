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
 * archive already holds, voided there or not) gives null, and every event is resolved together
 * as before. The records and women then are exactly those resolveHistory gives for the archive's
 * events followed by the waiting ones.
 *
 * Whether a waiting record may count at all (its person and device) is decided before it comes
 * here, as for every record (src/domain/people.ts): only accepted events are folded.
 */
import { resolveRecords } from './counting.ts';
import { applyDirectoryEvents, canonicalIdOf, directoryGroups, isEntryEvent, type DirectoryFold, type WomanProfile } from './directory.ts';
import type { EventOf, FootfallEvent } from './events.ts';
import { columnsOf } from './recordColumns.ts';
import { historyOf, type History } from './report.ts';

type EntryEvent = EventOf<'woman.registered' | 'woman.updated'>;

/** What folding reads of the events a history was resolved from, beyond the history itself. */
export interface FoldBasis {
  /** Their directory fold, or null when it is not known (then a waiting registration or change to a woman's entry gives null). */
  directory: DirectoryFold | null;
  /**
   * The records a void among them removed: the history no longer holds them, so a copy of one
   * waiting here (uploaded, not yet acknowledged) would otherwise count again.
   */
  voided: readonly string[];
}

/** The records `events` void: what a history resolved from them no longer holds. */
export function voidedIn(events: readonly FootfallEvent[]): string[] {
  return events.flatMap((e) => (e.type === 'record.voided' ? [e.targetId] : []));
}

export function foldWaiting(history: History, waiting: readonly FootfallEvent[], basis: FoldBasis): History | null {
  if (waiting.length === 0) return history;
  const { directory } = basis;
  const made = new Set<string>();
  const entries: EntryEvent[] = [];
  for (const e of waiting) {
    if (e.type === 'visit.checkedIn' || e.type === 'outreach.contacted' || e.type === 'casework.session') made.add(e.id);
    else if (isEntryEvent(e)) {
      if (!directory || alreadyFolded(directory, e)) return null;
      entries.push(e);
    }
  }
  const women = entries.length ? withEntries(history.women, directory!, entries) : history.women;
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
  if (basis.voided.some((id) => made.has(id)) || history.columns.id.some((id) => made.has(id))) return null;
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
 * The women with what `entries` said folded onto `directory`. Registrations and changes join or
 * part no one (merges and erasures are never folded), so only the groups they name change: those
 * groups' entries alone are folded and resolved again, and every other woman stays as she was.
 * The same women as directoryWomen gives for the whole directory with them, without copying and
 * resolving tens of thousands of entries for one registration.
 */
function withEntries(women: ReadonlyMap<string, WomanProfile>, directory: DirectoryFold, entries: readonly EntryEvent[]): Map<string, WomanProfile> {
  const named = new Set(entries.map((e) => e.womanId));
  const roots = new Set([...named].map((id) => canonicalIdOf(directory, id)));
  // A group of more than one entry is made by merges: its other entries are in them.
  const members = new Set(named);
  for (const m of directory.merges) if (roots.has(canonicalIdOf(directory, m.womanId))) members.add(m.womanId).add(m.intoId);
  const said: DirectoryFold['said'] = {};
  for (const id of members) if (directory.said[id]) said[id] = directory.said[id];
  const state = applyDirectoryEvents({ said, merges: directory.merges, erased: directory.erased }, entries);
  const next = new Map(women);
  for (const group of directoryGroups(state, named)) {
    if (group.woman) next.set(group.id, group.woman);
    else next.delete(group.id);
  }
  return next;
}

/**
 * True when the directory may already hold this event: her entry is registered or erased there,
 * or a field of it was last set by this very event. Then the event may have been uploaded and
 * stored already (not yet acknowledged here), and resolving everything together counts it once.
 */
function alreadyFolded(directory: DirectoryFold, e: EntryEvent): boolean {
  if (directory.erased.includes(e.womanId)) return true;
  const said = directory.said[e.womanId];
  if (e.type === 'woman.registered') return said?.registration !== undefined || directory.merges.some((m) => m.womanId === e.womanId || m.intoId === e.womanId);
  return said !== undefined && Object.values(said.stamps).some((stamp) => stamp?.id === e.id);
}
