/**
 * Folding waiting events onto a kept resolution (src/domain/waitingFold.ts) is exact: for any
 * archive and any events waiting on the device, whenever the fold gives a history it is the one
 * resolving every event together gives (each event once by id, the archive's copy standing), and
 * every report counted from it is the same. Histories are drawn from a few women, so waiting
 * registrations of women the archive holds, changes to merged or erased women, records naming
 * women registered only on the device, changes to voided records and copies of archived events
 * are common.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { applyDirectoryEvents, directoryWomen, EMPTY_DIRECTORY } from '../../src/domain/directory.ts';
import { FootfallEvent, type WomanDetails } from '../../src/domain/events.ts';
import { buildReport, resolveHistory } from '../../src/domain/report.ts';
import type { Period } from '../../src/domain/periods.ts';
import { foldWaiting, voidedIn } from '../../src/domain/waitingFold.ts';
import { v7Id } from './fixtures.ts';
import { CONFIG } from './reportFixture.ts';

const WOMEN = [1, 2, 3, 4, 5, 6].map((n) => v7Id(n));
/** Women the device registers itself, whom the archive may not know yet. */
const NEW_WOMEN = [7, 8, 9].map((n) => v7Id(n));
const PERIOD: Period = { kind: 'financialYear', startYear: 2024 };

const woman = fc.constantFrom(...WOMEN);
const at = fc.integer({ min: 0, max: 40 }).map((m) => `2025-03-${String(1 + (m % 28)).padStart(2, '0')}T10:${String(m).padStart(2, '0')}:00.000Z`);
const details: fc.Arbitrary<WomanDetails> = fc.record(
  { ageBand: fc.constantFrom('18-24', '25-34', 'not-known'), housing: fc.constantFrom('hostel', 'rough-sleeping') },
  { requiredKeys: [] },
);
const name = fc.constantFrom('Ann', 'Bea', 'Cat');
/** A record made earlier in the same history, by its position. */
const earlier = fc.nat();

const archivedCommand = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('register' as const), woman, name, details, at }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('update' as const), woman, details, at }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('merge' as const), woman, into: woman, at }).filter((m) => m.woman !== m.into) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('erase' as const), woman, at }) },
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('visit' as const), woman: fc.option(woman, { nil: null }), at }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('contact' as const), woman: fc.option(woman, { nil: null }), at }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('addService' as const), visit: earlier, at }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('correct' as const), visit: earlier, woman: fc.option(woman, { nil: null }), at }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('void' as const), visit: earlier, at }) },
);
type Command = typeof archivedCommand extends fc.Arbitrary<infer C> ? C : never;

/**
 * What is saved on the device after registering some new women: mostly what folds, so that many
 * draws fold (records name mostly women known under their own id, `known`); now and then what
 * does not (a woman merged, erased or never registered, a change to an archived record).
 */
function waitingCommand(known: string[]): fc.Arbitrary<Command> {
  const named = fc.oneof({ weight: 12, arbitrary: fc.constantFrom(...known) }, { weight: 1, arbitrary: fc.constantFrom(...WOMEN, ...NEW_WOMEN) });
  return fc.oneof(
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('register' as const), woman: fc.constantFrom(...WOMEN, ...NEW_WOMEN), name, details, at }) },
    { weight: 4, arbitrary: fc.record({ kind: fc.constant('update' as const), woman: named, details, at }) },
    { weight: 4, arbitrary: fc.record({ kind: fc.constant('visit' as const), woman: fc.option(named, { nil: null }), at }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('contact' as const), woman: fc.option(named, { nil: null }), at }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('addService' as const), visit: earlier, at }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('correct' as const), visit: earlier, woman: fc.option(named, { nil: null }), at }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('void' as const), visit: earlier, at }) },
  );
}

/** Events for `commands`, ids from `first` on; changes name one of `visits` (those made before, here or earlier), which new visits join. */
function eventsOf(commands: Command[], first: number, visits: string[]): FootfallEvent[] {
  const events: FootfallEvent[] = [];
  commands.forEach((c, i) => {
    const common = { id: v7Id(first + i), at: c.at, deviceId: 'laptop', staffId: 'staff' };
    // One of the last few visits made: on the device, mostly its own.
    const target = 'visit' in c && typeof c.visit === 'number' ? visits[visits.length - 1 - (c.visit % Math.min(Math.max(visits.length, 1), 3))] : undefined;
    switch (c.kind) {
      case 'register':
        events.push(FootfallEvent.parse({ ...common, type: 'woman.registered', womanId: c.woman, knownAs: c.name, details: c.details }));
        return;
      case 'update':
        events.push(FootfallEvent.parse({ ...common, type: 'woman.updated', womanId: c.woman, details: c.details }));
        return;
      case 'merge':
        events.push(FootfallEvent.parse({ ...common, type: 'woman.merged', womanId: c.woman, intoId: c.into }));
        return;
      case 'erase':
        events.push(FootfallEvent.parse({ ...common, type: 'woman.erased', womanId: c.woman }));
        return;
      case 'visit':
        visits.push(common.id);
        events.push(FootfallEvent.parse({ ...common, type: 'visit.checkedIn', occurredAt: c.at, womanId: c.woman, siteId: 'north', services: ['meal'] }));
        return;
      case 'contact':
        events.push(FootfallEvent.parse({ ...common, type: 'outreach.contacted', occurredAt: c.at, womanId: c.woman, area: 'camden', place: 'street', needs: [], support: [], referrals: [] }));
        return;
      case 'addService':
        if (target) events.push(FootfallEvent.parse({ ...common, type: 'visit.serviceAdded', visitId: target, service: 'shower' }));
        return;
      case 'correct':
        if (target) events.push(FootfallEvent.parse({ ...common, type: 'record.corrected', targetId: target, changes: { womanId: c.woman }, reason: 'entered wrongly' }));
        return;
      case 'void':
        if (target) events.push(FootfallEvent.parse({ ...common, type: 'record.voided', targetId: target, reason: 'entered twice' }));
        return;
    }
  });
  return events;
}

/**
 * What the archive holds, and what waits on the device: its own new events (changes naming a visit
 * of either), and some archived events waiting again (uploaded, not yet acknowledged).
 */
const registrations = fc.subarray(NEW_WOMEN).chain((women) =>
  fc.tuple(...women.map((w) => fc.record({ kind: fc.constant('register' as const), woman: fc.constant(w), name, details, at }))),
);
const scenario = fc.tuple(fc.array(archivedCommand, { maxLength: 30 }), registrations).chain(([a, r]) => {
  const visits: string[] = [];
  const archived = eventsOf(a, 100, visits);
  const known = [...directoryWomen(applyDirectoryEvents(EMPTY_DIRECTORY, archived)).keys(), ...r.map((c) => c.woman)];
  return fc
    .tuple(fc.array(waitingCommand(known.length ? known : NEW_WOMEN), { minLength: 1, maxLength: 8 }), fc.oneof({ weight: 4, arbitrary: fc.constant([]) }, { weight: 1, arbitrary: fc.array(fc.nat(Math.max(archived.length - 1, 0)), { minLength: 1, maxLength: 2 }) }))
    .map(([w, again]) => ({
      archived,
      waiting: [...eventsOf([...r, ...w], 200, [...visits]), ...again.filter((n) => n < archived.length).map((n) => archived[n]!)],
    }));
});

describe('folding waiting events onto a kept resolution, for any archive and waiting events', () => {
  it('gives what resolving every event together gives, whenever it folds', () => {
    let folds = 0;
    let withEntries = 0;
    fc.assert(
      fc.property(scenario, ({ archived, waiting }) => {
        const kept = resolveHistory(archived, CONFIG);
        const folded = foldWaiting(kept, waiting, { directory: applyDirectoryEvents(EMPTY_DIRECTORY, archived), voided: voidedIn(archived) });
        if (!folded) return;
        folds++;
        if (waiting.some((e) => e.type === 'woman.registered' || e.type === 'woman.updated')) withEntries++;
        // Each event once by id, the archive's copy standing, as gathering them does.
        const ids = new Set(archived.map((e) => e.id));
        const together = resolveHistory([...archived, ...waiting.filter((e) => !ids.has(e.id))], CONFIG);
        expect(folded).toEqual(together);
        expect(buildReport(folded, CONFIG, PERIOD)).toEqual(buildReport(together, CONFIG, PERIOD));
      }),
      { numRuns: 1000 },
    );
    // Not vacuous: many draws fold, registrations and changes of entries among them.
    expect(folds).toBeGreaterThan(40);
    expect(withEntries).toBeGreaterThan(10);
  });
});
