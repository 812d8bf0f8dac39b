/**
 * The shared directory on this device: folding directory events (from this device or pulled from
 * others) into the entries that search shows, the women erased from it, and the organisation's
 * configuration, which every device receives through the directory too.
 */
import type { OrgConfig } from '../../domain/config.ts';
import { compareEvents, type FootfallEvent } from '../../domain/events.ts';
import { buildSearchIndex, type SearchIndex } from '../../domain/search.ts';
import type { DirectoryState, Woman } from '../core/rows.ts';

/** A device that has applied no erasure and no shared configuration yet. */
export const EMPTY_DIRECTORY_STATE: DirectoryState = { erased: [], configChange: null };

/** The entry after one woman.registered/updated/merged event, or null when the event changes nothing here. */
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

/** What a run of directory events changes on this device: the rows to write and to delete. */
export interface DirectoryChanges {
  women: Map<string, Woman>;
  /** Entries added or changed. */
  put: Woman[];
  /** Entries erased: their rows go. */
  removed: string[];
  state: DirectoryState;
  /** The newest shared configuration, when one newer than the device's arrived. */
  config: OrgConfig | null;
  /** Whether anything changed at all (the state row included). */
  changed: boolean;
}

/**
 * Applies directory events in "latest wins" order. An erased woman's entry goes, with every entry
 * merged into her (they are the same woman), and her id is remembered so that an older
 * registration or change arriving late cannot bring her back. The newest org.configured wins.
 */
export function foldDirectory(women: ReadonlyMap<string, Woman>, state: DirectoryState, events: readonly FootfallEvent[]): DirectoryChanges {
  const next = new Map(women);
  const erased = new Set(state.erased);
  const put = new Map<string, Woman>();
  const removed = new Set<string>();
  let configChange = state.configChange;
  let config: OrgConfig | null = null;

  const erase = (id: string) => {
    for (const gone of [id, ...mergedInto(next, id)]) {
      erased.add(gone);
      if (next.delete(gone)) removed.add(gone);
      put.delete(gone);
    }
  };

  for (const e of [...events].sort(compareEvents)) {
    if (e.type === 'woman.erased') {
      if (!erased.has(e.womanId)) erase(e.womanId);
      continue;
    }
    if (e.type === 'org.configured') {
      if (!configChange || compareEvents(e, configChange) > 0) {
        configChange = { at: e.at, id: e.id };
        config = e.config;
      }
      continue;
    }
    if ((e.type === 'woman.registered' || e.type === 'woman.updated' || e.type === 'woman.merged') && erased.has(e.womanId)) continue;
    const entry = applyDirectoryEvent(next, e);
    if (!entry) continue;
    next.set(entry.id, entry);
    put.set(entry.id, entry);
    // Folded into a woman already erased: she is that woman, so she goes too.
    if (entry.mergedInto && erased.has(canonicalId(next, entry.mergedInto))) erase(entry.id);
  }

  const nextState: DirectoryState = { erased: [...erased].sort(), configChange };
  const stateChanged = nextState.erased.length !== state.erased.length || configChange !== state.configChange;
  return {
    women: next,
    put: [...put.values()],
    removed: [...removed],
    state: nextState,
    config,
    changed: stateChanged || put.size > 0 || removed.size > 0,
  };
}

/** The entry a woman is counted under: hers, or the one she was (perhaps in turn) merged into. */
export function canonicalId(women: ReadonlyMap<string, Woman>, id: string): string {
  return chainOf(women, id).at(-1)!;
}

/** Every entry merged, directly or through others, into this woman. */
export function mergedInto(women: ReadonlyMap<string, Woman>, id: string): string[] {
  return [...women.values()].filter((w) => w.id !== id && chainOf(women, w.id).includes(id)).map((w) => w.id);
}

/** A woman's id, then each entry she was merged into in turn. */
function chainOf(women: ReadonlyMap<string, Woman>, id: string): string[] {
  const chain = [id];
  for (let into = women.get(id)?.mergedInto; into && !chain.includes(into); into = women.get(into)?.mergedInto) chain.push(into);
  return chain;
}

/** Search finds women by the entry they are counted under: a merged duplicate is not offered. */
export function directorySearchIndex(women: ReadonlyMap<string, Woman>): SearchIndex<Woman> {
  return buildSearchIndex([...women.values()].filter((w) => !w.mergedInto));
}
