/**
 * The shared directory on this device: the directory fold (src/domain/directory.ts), the same one
 * the reports use, kept as one sealed row per entry plus a state row, and folded page by page as
 * sync pulls what other devices recorded. The organisation's configuration reaches every device
 * through the directory too: the newest one shared wins.
 */
import type { OrgConfig } from '../../domain/config.ts';
import { applyDirectoryEvents, directoryGroups, isEntryEvent, NOTHING_SAID, type DirectoryFold, type MergeEdge, type Said } from '../../domain/directory.ts';
import { compareEvents, type FootfallEvent } from '../../domain/events.ts';
import { applyStaffEvents, EMPTY_ROSTER, type Roster } from '../../domain/people.ts';
import { buildSearchIndex, type SearchIndex } from '../../domain/search.ts';
import type { DirectoryState, Woman } from '../core/rows.ts';

/** A device that has applied no directory event and no shared configuration yet. */
export const EMPTY_DIRECTORY_STATE: DirectoryState = { erased: [], merges: [], waiting: {}, configChange: null, people: EMPTY_ROSTER, siteMove: null };

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
  /** The organisation's people, when a staff event changed them. */
  people: Roster | null;
  /** The site an admin has just moved this device to, when a newer move than the device had arrived. */
  siteKey: string | null;
  /** Whether anything changed at all (the state row included). */
  changed: boolean;
}

/**
 * Folds directory events, in any order, into this device's rows. Only the groups the events touch
 * are worked out again; every entry of a group gets a row showing the group, and an erased group's
 * rows go. Rows stored before the directory fold are converted at the first fold (events or not).
 * `deviceId` is this device: the admin's latest move of it gives its site (none: moves are not read).
 */
export function foldDirectory(women: ReadonlyMap<string, Woman>, state: DirectoryState, events: readonly FootfallEvent[], deviceId: string | null = null): DirectoryChanges {
  const legacy = [...women.values()].filter((w) => !w.said);
  const before = foldOf(women, state, legacy);
  const after = applyDirectoryEvents(before, events);

  // The groups that may show something new: those of entries whose facts changed, of new merges
  // and erasures, and of rows converted now.
  const touched = new Set(legacy.map((w) => w.id));
  for (const e of events) {
    if (isEntryEvent(e) && after.said[e.womanId] !== before.said[e.womanId]) touched.add(e.womanId);
  }
  if (after.merges !== before.merges) {
    const had = new Set(before.merges.map((m) => m.id));
    for (const m of after.merges) if (!had.has(m.id)) touched.add(m.womanId).add(m.intoId);
  }
  if (after.erased !== before.erased) {
    const had = new Set(before.erased);
    for (const id of after.erased) if (!had.has(id)) touched.add(id);
  }

  const next = new Map(women);
  const put: Woman[] = [];
  const removed: string[] = [];
  const waiting = { ...state.waiting };
  let waitingChanged = false;
  for (const group of directoryGroups(after, touched)) {
    for (const id of group.members) {
      const said = after.said[id];
      if (group.woman) {
        const { knownAs, details, registeredAt } = group.woman;
        const row: Woman = { id, knownAs, details, registeredAt, ...(id !== group.id && { mergedInto: group.id }), said: said ?? NOTHING_SAID };
        next.set(id, row);
        put.push(row);
      } else if (next.delete(id)) {
        removed.push(id);
      }
      // What was said about a group not shown yet (her registration is still to come) waits here.
      const wait = group.woman || group.erased ? undefined : said;
      if (waiting[id] === wait) continue;
      if (wait) waiting[id] = wait;
      else delete waiting[id];
      waitingChanged = true;
    }
  }

  let configChange = state.configChange;
  let config: OrgConfig | null = null;
  for (const e of events) {
    if (e.type !== 'org.configured' || (configChange && compareEvents(e, configChange) <= 0)) continue;
    configChange = { at: e.at, id: e.id };
    config = e.config;
  }

  let siteMove = state.siteMove;
  for (const e of events) {
    if (e.type !== 'device.moved' || e.subjectId !== deviceId || (siteMove && compareEvents(e, siteMove) <= 0)) continue;
    siteMove = { at: e.at, id: e.id, siteKey: e.siteKey };
  }

  const people = applyStaffEvents(state.people, events);
  const stateChanged =
    after.merges !== state.merges ||
    after.erased !== state.erased ||
    waitingChanged ||
    configChange !== state.configChange ||
    people !== state.people ||
    siteMove !== state.siteMove;
  return {
    women: next,
    put,
    removed,
    state: { erased: after.erased, merges: after.merges, waiting, configChange, people, siteMove },
    config,
    people: people !== state.people ? people : null,
    siteKey: siteMove !== state.siteMove ? siteMove!.siteKey : null,
    changed: stateChanged || put.length > 0 || removed.length > 0,
  };
}

/** The fold's state as this device holds it, rows stored before the fold converted. */
function foldOf(women: ReadonlyMap<string, Woman>, state: DirectoryState, legacy: readonly Woman[]): DirectoryFold {
  const said: Record<string, Said> = { ...state.waiting };
  for (const w of women.values()) {
    const s = w.said ?? legacySaid(w);
    if (s.registration || Object.keys(s.stamps).length) said[w.id] = s;
  }
  // An old row named the entry it was merged into, undated: the merge is dated by the last
  // change the row had seen, and takes the row's id, so the conversion gives one order anywhere.
  const edges = legacy.flatMap((w): MergeEdge[] =>
    w.mergedInto ? [{ id: w.id, at: w.lastChange?.at ?? w.registeredAt, womanId: w.id, intoId: w.mergedInto }] : [],
  );
  return { said, merges: edges.length ? [...state.merges, ...edges].sort(compareEvents) : state.merges, erased: state.erased };
}

/**
 * What an old row says, as the fold keeps it. It held her registration (dated by her id, which is
 * the registration's) and one stamp for all of her changes since: each field it holds is dated by it.
 */
function legacySaid(w: Woman): Said {
  const registration = { at: w.registeredAt, id: w.id, knownAs: w.knownAs, details: w.details };
  const change = w.lastChange;
  if (!change || change.id === w.id) return { registration, changed: {}, stamps: {} };
  const changed = { ...w.details, knownAs: w.knownAs };
  return { registration, changed, stamps: Object.fromEntries(Object.keys(changed).map((field) => [field, change])) };
}

/** The entry a woman is counted under: hers, or the one her group was merged into. */
export function canonicalId(women: ReadonlyMap<string, Woman>, id: string): string {
  return chainOf(women, id).at(-1)!;
}

/**
 * A woman's id, then the entry she was merged into. A row names the id her group is counted under,
 * so the chain is one step; a row stored before the fold may name the next of a longer chain.
 */
function chainOf(women: ReadonlyMap<string, Woman>, id: string): string[] {
  const chain = [id];
  for (let into = women.get(id)?.mergedInto; into && !chain.includes(into); into = women.get(into)?.mergedInto) chain.push(into);
  return chain;
}

// Derived from the directory the core published, once per change of it: never kept by hand.
const indexes = new WeakMap<ReadonlyMap<string, Woman>, SearchIndex<Woman>>();

/** Search finds women by the entry they are counted under: a merged duplicate is not offered. */
export function directorySearchIndex(women: ReadonlyMap<string, Woman>): SearchIndex<Woman> {
  let index = indexes.get(women);
  if (!index) indexes.set(women, (index = buildSearchIndex([...women.values()].filter((w) => !w.mergedInto))));
  return index;
}
