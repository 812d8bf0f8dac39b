/**
 * The directory fold is a function of the SET of events: a device that receives them page by
 * page over days, from several devices, in any order and some twice, storing the fold between
 * pages, ends with the same directory and the same counts as the reports' fold of everything at
 * once. Histories are drawn from a few women so that crossing merges, chains, merges of erased
 * women, changes older than others and registrations arriving after changes are common.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { foldDirectory, canonicalId, directorySearchIndex, EMPTY_DIRECTORY_STATE } from '../../src/app/directory/directory.ts';
import { DirectoryState, Woman } from '../../src/app/core/rows.ts';
import { countRecords, resolveRecords, type ResolvedRecord } from '../../src/domain/counting.ts';
import {
  applyDirectoryEvents,
  canonicalIdOf,
  DirectoryFold,
  directoryWomen,
  EMPTY_DIRECTORY,
} from '../../src/domain/directory.ts';
import { FootfallEvent, type WomanDetails } from '../../src/domain/events.ts';
import { v7Id } from './fixtures.ts';

const WOMEN = [1, 2, 3, 4, 5].map((n) => v7Id(n));
const CONFIG = { timeZone: 'Europe/London' };
const RANGE = { from: '2025-03-01', to: '2025-03-31' };

const woman = fc.constantFrom(...WOMEN);
// Few distinct device times, so that ties (decided by id) and older changes arriving late are common.
const at = fc.integer({ min: 0, max: 12 }).map((m) => `2025-03-0${1 + (m % 3)}T10:${String(m).padStart(2, '0')}:00.000Z`);
const details: fc.Arbitrary<WomanDetails> = fc.record(
  {
    ageBand: fc.constantFrom('18-24', '25-34', 'not-known'),
    housing: fc.constantFrom('hostel', 'rough-sleeping'),
    exploitation: fc.subarray(['sexual', 'labour']),
    referralSource: fc.constantFrom('self', 'police'),
  },
  { requiredKeys: [] },
);
const name = fc.constantFrom('Ann', 'Annie', 'Bea', 'Cat');

const command = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('register' as const), woman, name, details, at }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('update' as const), woman, name: fc.option(name, { nil: undefined }), details, at }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('merge' as const), woman, into: woman, at }).filter((m) => m.woman !== m.into) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('erase' as const), woman, at }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('visit' as const), woman: fc.option(woman, { nil: null }), at }) },
);
type Command = typeof command extends fc.Arbitrary<infer C> ? C : never;

function eventOf(c: Command, i: number): FootfallEvent {
  const common = { id: v7Id(100 + i), at: c.at, deviceId: i % 2 ? 'tablet' : 'laptop', staffId: 'staff' };
  switch (c.kind) {
    case 'register':
      return FootfallEvent.parse({ ...common, type: 'woman.registered', womanId: c.woman, knownAs: c.name, details: c.details });
    case 'update':
      return FootfallEvent.parse({ ...common, type: 'woman.updated', womanId: c.woman, ...(c.name && { knownAs: c.name }), details: c.details });
    case 'merge':
      return FootfallEvent.parse({ ...common, type: 'woman.merged', womanId: c.woman, intoId: c.into });
    case 'erase':
      return FootfallEvent.parse({ ...common, type: 'woman.erased', womanId: c.woman });
    case 'visit':
      return FootfallEvent.parse({ ...common, type: 'visit.checkedIn', occurredAt: c.at, womanId: c.woman, siteId: 'north', services: ['meal'] });
  }
}

/**
 * A history, and how it is delivered: in any order, some events twice, cut into pages. Each page
 * is the events one sync round pulls (from whichever devices recorded them).
 */
const scenario = fc.array(command, { minLength: 1, maxLength: 40 }).chain((commands) => {
  const events = commands.map(eventOf);
  return fc
    .tuple(fc.array(fc.nat(events.length - 1), { maxLength: 6 }), fc.array(fc.nat(), { maxLength: 8 }))
    .chain(([copies, cuts]) => {
      const all = [...events, ...copies.map((n) => structuredClone(events[n]!))];
      return fc.shuffledSubarray(all, { minLength: all.length, maxLength: all.length }).map((arrival) => {
        const at = [...new Set(cuts.map((c) => c % (arrival.length + 1)))].sort((a, b) => a - b);
        const pages = [0, ...at].map((from, i) => arrival.slice(from, [...at, arrival.length][i]));
        return { events, pages };
      });
    });
});

/** What a device stores between pages: sealed JSON, parsed back by its schema. */
const stored = <T>(schema: { parse: (v: unknown) => T }, value: T): T => schema.parse(JSON.parse(JSON.stringify(value)));

/** The records of a history, each woman counted under the id `canonical` gives her. */
function countedWith(events: FootfallEvent[], canonical: (id: string) => string) {
  const records = resolveRecords(events.filter((e) => e.type === 'visit.checkedIn'), CONFIG);
  for (const r of records as ResolvedRecord[]) if (r.womanId !== null) r.womanId = canonical(r.womanId);
  return countRecords(records, RANGE);
}

/** Two women are one if a path of merges, in either direction, joins them: the naive rule. */
function groupOf(events: FootfallEvent[], id: string): string[] {
  const group = [id];
  for (let i = 0; i < group.length; i++) {
    for (const e of events) {
      if (e.type !== 'woman.merged') continue;
      if (e.womanId === group[i] && !group.includes(e.intoId)) group.push(e.intoId);
      if (e.intoId === group[i] && !group.includes(e.womanId)) group.push(e.womanId);
    }
  }
  return group.sort();
}

describe('the directory fold', () => {
  it('folds page by page, in any order, to what the reports fold all at once', () => {
    fc.assert(
      fc.property(scenario, ({ events, pages }) => {
        const all = applyDirectoryEvents(EMPTY_DIRECTORY, events);
        let paged = EMPTY_DIRECTORY;
        for (const page of pages) paged = stored(DirectoryFold, applyDirectoryEvents(paged, page));

        expect(paged).toEqual(stored(DirectoryFold, all));
        expect(directoryWomen(paged)).toEqual(directoryWomen(all));
        for (const id of WOMEN) expect(canonicalIdOf(paged, id)).toBe(canonicalIdOf(all, id));
        // The counts: the records, each under the id the fold gives her, are the reports' counts.
        expect(countedWith(events, (id) => canonicalIdOf(paged, id))).toEqual(countRecords(resolveRecords(events, CONFIG), RANGE));
      }),
      { numRuns: 300 },
    );
  });

  it('groups women by the merges that join them, and erases the whole group of an erased woman', () => {
    fc.assert(
      fc.property(scenario, ({ events }) => {
        const all = applyDirectoryEvents(EMPTY_DIRECTORY, events);
        const erasedNamed = events.flatMap((e) => (e.type === 'woman.erased' ? [e.womanId] : []));
        const known = new Set(events.flatMap((e) => (e.type === 'woman.merged' ? [e.womanId, e.intoId] : 'womanId' in e && e.womanId ? [e.womanId] : [])));
        for (const id of known) {
          const group = groupOf(events, id);
          expect(group.map((m) => canonicalIdOf(all, m))).toEqual(group.map(() => canonicalIdOf(all, id)));
          expect(group).toContain(canonicalIdOf(all, id));
          const erased = group.some((m) => erasedNamed.includes(m));
          const involved = erased && (group.length > 1 || erasedNamed.includes(id));
          expect(all.erased.includes(id)).toBe(involved);
          const shown = directoryWomen(all).get(canonicalIdOf(all, id));
          const registered = events.some((e) => e.type === 'woman.registered' && group.includes(e.womanId));
          expect(shown !== undefined).toBe(!erased && registered);
          if (erased) expect(group.every((m) => !(m in all.said))).toBe(true);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('gives a device, storing its rows between sync pages, the reports’ directory and counts', () => {
    fc.assert(
      fc.property(scenario, ({ events, pages }) => {
        const all = applyDirectoryEvents(EMPTY_DIRECTORY, events);
        let women = new Map<string, Woman>();
        let state = EMPTY_DIRECTORY_STATE;
        for (const page of pages) {
          const result = foldDirectory(women, state, page);
          expect(new Set(result.put.map((w) => w.id)).size).toBe(result.put.length);
          women = new Map([...result.women].map(([id, w]) => [id, stored(Woman, w)]));
          state = stored(DirectoryState, result.state);
        }

        // Search offers each woman once, under the id the reports count her under.
        const offered = directorySearchIndex(women).entries.map(({ item: { id, knownAs, details, registeredAt } }) => [id, { id, knownAs, details, registeredAt }] as const);
        expect(new Map(offered)).toEqual(directoryWomen(all));
        expect(state.erased).toEqual(all.erased);
        expect(state.merges).toEqual(all.merges);
        // What it holds about each entry is the reports' fold: nothing about an erased woman.
        const said = [...women.values()].flatMap((w) => (w.said?.registration || Object.keys(w.said?.stamps ?? {}).length ? [[w.id, w.said]] : []));
        expect({ ...state.waiting, ...Object.fromEntries(said) }).toEqual(stored(DirectoryFold, all).said);
        for (const id of all.erased) expect(women.has(id)).toBe(false);
        // Every entry she has a row for is counted under the same id as in the reports, so the
        // front desk's figures for today are the reports' figures.
        for (const id of women.keys()) expect(canonicalId(women, id)).toBe(canonicalIdOf(all, id));
        const shown = events.filter((e) => e.type !== 'visit.checkedIn' || e.womanId === null || women.has(e.womanId));
        expect(countedWith(shown, (id) => canonicalId(women, id))).toEqual(countRecords(resolveRecords(shown, CONFIG), RANGE));
      }),
      { numRuns: 300 },
    );
  });
});
