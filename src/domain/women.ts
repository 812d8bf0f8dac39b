/**
 * The directory as the reports see it: one profile per woman after merges, with the details she
 * has now. Breakdowns (DESIGN.md §3) count women by these details, so they are resolved once
 * from the directory events with the same "latest wins" order as every record.
 */
import { compareEvents, type EventOf, type FootfallEvent, type WomanDetails } from './events.ts';

export interface WomanProfile {
  /** Her canonical internal id after merges. */
  id: string;
  knownAs: string;
  details: WomanDetails;
  /** Device time of her registration: the earliest of the merged entries. */
  registeredAt: string;
}

type DirectoryEvent = EventOf<'woman.registered' | 'woman.updated' | 'woman.merged' | 'woman.erased'>;

/**
 * Directory entries by canonical id. Each entry's name and details are filled latest-wins per
 * field; a woman merged into another fills the gaps of the one she was merged into (what the
 * surviving entry says wins). An erased woman is absent: her records still count, under an id
 * nothing links to her any more.
 */
export function resolveWomen(events: Iterable<FootfallEvent>): Map<string, WomanProfile> {
  const directory: DirectoryEvent[] = [];
  for (const e of events) {
    if (e.type === 'woman.registered' || e.type === 'woman.updated' || e.type === 'woman.merged' || e.type === 'woman.erased') {
      directory.push(e);
    }
  }
  // One pass in "latest wins" order, the order counting applies merges in, so every device and
  // the counts agree on each woman's canonical id.
  directory.sort(compareEvents);

  const entries = new Map<string, WomanProfile>();
  const erased = new Set<string>();
  const parent = new Map<string, string>();
  const find = (id: string): string => {
    let root = id;
    for (let p = parent.get(root); p !== undefined; p = parent.get(root)) root = p;
    return root;
  };
  for (const e of directory) {
    const id = find(e.womanId);
    const existing = entries.get(id);
    switch (e.type) {
      case 'woman.registered':
        // A registration delivered late, or twice, keeps what was said after it.
        entries.set(id, {
          id,
          knownAs: existing?.knownAs || e.knownAs,
          details: { ...e.details, ...existing?.details },
          registeredAt: existing && existing.registeredAt < e.at ? existing.registeredAt : e.at,
        });
        break;
      case 'woman.updated':
        entries.set(id, {
          id,
          knownAs: e.knownAs ?? existing?.knownAs ?? '',
          details: { ...existing?.details, ...e.details },
          registeredAt: existing?.registeredAt ?? e.at,
        });
        break;
      case 'woman.merged': {
        const into = find(e.intoId);
        if (into === id) break; // already one woman
        parent.set(id, into);
        const target = entries.get(into);
        if (existing) {
          entries.set(into, {
            id: into,
            knownAs: target?.knownAs || existing.knownAs,
            // What the entry she was merged into says wins; the other fills its gaps.
            details: { ...existing.details, ...target?.details },
            registeredAt: target && target.registeredAt < existing.registeredAt ? target.registeredAt : existing.registeredAt,
          });
        }
        entries.delete(id);
        if (erased.has(id)) erased.add(into);
        break;
      }
      case 'woman.erased':
        erased.add(id);
        break;
    }
  }

  const women = new Map<string, WomanProfile>();
  for (const [id, w] of entries) {
    // An entry known only from an update (its registration not yet delivered) has no name.
    if (!erased.has(id) && w.knownAs) women.set(id, w);
  }
  return women;
}
