/**
 * Folding waiting events onto a kept resolution (src/domain/waitingFold.ts) is exact: for any
 * archive and any events waiting on the device, whenever the fold gives a history it is the one
 * resolving every event together gives (each event once by id, the archive's copy standing), and
 * every report counted from it is the same. Histories are drawn from a few women, so waiting
 * registrations of women the archive holds, changes to merged or erased women, records naming
 * women registered only on the device, and copies of archived events are common.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { applyDirectoryEvents, EMPTY_DIRECTORY } from '../../src/domain/directory.ts';
import { FootfallEvent, type WomanDetails } from '../../src/domain/events.ts';
import { buildReport, resolveHistory } from '../../src/domain/report.ts';
import type { Period } from '../../src/domain/periods.ts';
import { foldWaiting } from '../../src/domain/waitingFold.ts';
import { v7Id } from './fixtures.ts';
import { CONFIG } from './reportFixture.ts';

const WOMEN = [1, 2, 3, 4, 5, 6].map((n) => v7Id(n));
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

const command = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('register' as const), woman, name, details, at }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('update' as const), woman, details, at }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('merge' as const), woman, into: woman, at }).filter((m) => m.woman !== m.into) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('erase' as const), woman, at }) },
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('visit' as const), woman: fc.option(woman, { nil: null }), at }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('contact' as const), woman: fc.option(woman, { nil: null }), at }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('addService' as const), visit: earlier, at }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('correct' as const), visit: earlier, woman: fc.option(woman, { nil: null }), at }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('void' as const), visit: earlier, at }) },
);
type Command = typeof command extends fc.Arbitrary<infer C> ? C : never;

function eventsOf(commands: Command[]): FootfallEvent[] {
  const events: FootfallEvent[] = [];
  const visits: string[] = [];
  commands.forEach((c, i) => {
    const common = { id: v7Id(100 + i), at: c.at, deviceId: 'laptop', staffId: 'staff' };
    const target = 'visit' in c && typeof c.visit === 'number' ? visits[c.visit % Math.max(visits.length, 1)] : undefined;
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

/** A history cut into what the archive holds and what waits on the device, some archived events waiting again (uploaded, not yet acknowledged). */
const scenario = fc.array(command, { minLength: 1, maxLength: 30 }).chain((commands) => {
  const events = eventsOf(commands);
  return fc.tuple(fc.nat(events.length), fc.array(fc.nat(Math.max(events.length - 1, 0)), { maxLength: 2 })).map(([cut, again]) => ({
    archived: events.slice(0, cut),
    waiting: [...events.slice(cut), ...again.filter((n) => n < cut).map((n) => events[n]!)],
  }));
});

describe('folding waiting events onto a kept resolution, for any archive and waiting events', () => {
  it('gives what resolving every event together gives, whenever it folds', () => {
    let folds = 0;
    let withEntries = 0;
    fc.assert(
      fc.property(scenario, ({ archived, waiting }) => {
        const kept = resolveHistory(archived, CONFIG);
        const folded = foldWaiting(kept, waiting, applyDirectoryEvents(EMPTY_DIRECTORY, archived));
        if (!folded) return;
        folds++;
        if (waiting.some((e) => e.type === 'woman.registered' || e.type === 'woman.updated')) withEntries++;
        // Each event once by id, the archive's copy standing, as gathering them does.
        const ids = new Set(archived.map((e) => e.id));
        const together = resolveHistory([...archived, ...waiting.filter((e) => !ids.has(e.id))], CONFIG);
        expect(folded).toEqual(together);
        expect(buildReport(folded, CONFIG, PERIOD)).toEqual(buildReport(together, CONFIG, PERIOD));
      }),
      { numRuns: 400 },
    );
    // Not vacuous: many draws fold, registrations and changes of entries among them.
    expect(folds).toBeGreaterThan(40);
    expect(withEntries).toBeGreaterThan(10);
  });
});
