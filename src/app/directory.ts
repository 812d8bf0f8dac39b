/**
 * The shared directory of women on this device: folding directory events (from this device or
 * pulled from others) into the entries that search shows.
 */
import { compareEvents, type FootfallEvent } from '../domain/events.ts';
import { buildSearchIndex, type SearchIndex } from '../domain/search.ts';
import type { Woman } from './db/plain.ts';

/** The entry after one directory event, or null when the event changes nothing here. */
export function applyDirectoryEvent(women: ReadonlyMap<string, Woman>, e: FootfallEvent): Woman | null {
  switch (e.type) {
    case 'woman.registered':
      if (women.has(e.womanId)) return null;
      return { id: e.womanId, knownAs: e.knownAs, details: e.details, registeredAt: e.at, lastChange: { at: e.at, id: e.id } };
    case 'woman.updated': {
      const w = women.get(e.womanId);
      // Latest wins: an older change arriving late is already superseded.
      if (!w || (w.lastChange && compareEvents(e, w.lastChange) <= 0)) return null;
      return { ...w, knownAs: e.knownAs ?? w.knownAs, details: { ...w.details, ...e.details }, lastChange: { at: e.at, id: e.id } };
    }
    case 'woman.merged': {
      const w = women.get(e.womanId);
      return w && !w.mergedInto ? { ...w, mergedInto: e.intoId } : null;
    }
    default:
      return null;
  }
}

/** Search finds women by the entry they are counted under: a merged duplicate is not offered. */
export function directorySearchIndex(women: ReadonlyMap<string, Woman>): SearchIndex<Woman> {
  return buildSearchIndex([...women.values()].filter((w) => !w.mergedInto));
}
