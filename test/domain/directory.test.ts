/**
 * The directory fold, case by case: the three ways devices and reports used to disagree (a merge
 * Today did not follow, crossing merges hiding her, an older change kept), and the rules behind
 * them. directory.property.test.ts shows the fold does not depend on how events arrive.
 */
import { describe, expect, it } from 'vitest';
import { resolveRecords } from '../../src/domain/counting.ts';
import {
  applyDirectoryEvents,
  canonicalIdOf,
  directoryGroups,
  directoryWomen,
  EMPTY_DIRECTORY,
  type DirectoryFold,
} from '../../src/domain/directory.ts';
import type { FootfallEvent } from '../../src/domain/events.ts';
import { checkIn, merge, newId } from './fixtures.ts';
import { erased, registered, updated } from './reportFixture.ts';

const fold = (...pages: FootfallEvent[][]): DirectoryFold => pages.reduce(applyDirectoryEvents, EMPTY_DIRECTORY);

describe('the directory fold', () => {
  it('gives each entry of a merged group the id her records are counted under', () => {
    const [a, b] = [newId(), newId()];
    const events = [registered(a, '2025-01-01T10:00:00Z'), registered(b, '2025-01-02T10:00:00Z'), merge(b, a, '2025-02-01T10:00:00Z')];
    const visits = [checkIn({ occurredAt: '2025-02-02T10:00:00Z', woman: a }), checkIn({ occurredAt: '2025-02-02T11:00:00Z', woman: b })];
    const state = fold(events);
    expect(canonicalIdOf(state, b)).toBe(a);
    expect(resolveRecords([...events, ...visits], { timeZone: 'Europe/London' }).map((r) => r.womanId)).toEqual([a, a]);
    expect(directoryGroups(state, [b])).toEqual([{ id: a, members: [a, b].sort(), erased: false, woman: directoryWomen(state).get(a) }]);
  });

  it('resolves crossing merges made on two devices to one woman, whichever arrives first', () => {
    const [a, b] = [newId(), newId()];
    const regs = [registered(a, '2025-01-01T10:00:00Z', {}, 'Ann'), registered(b, '2025-01-02T10:00:00Z', {}, 'Annie')];
    const aIntoB = merge(a, b, '2025-02-01T10:00:00Z');
    const bIntoA = merge(b, a, '2025-02-01T10:05:00Z');
    for (const state of [fold(regs, [aIntoB], [bIntoA]), fold([bIntoA], regs, [aIntoB])]) {
      // The earlier merge decides; the later finds them one already.
      expect([...directoryWomen(state).keys()]).toEqual([b]);
      expect(directoryWomen(state).get(b)?.knownAs).toBe('Annie');
      expect([canonicalIdOf(state, a), canonicalIdOf(state, b)]).toEqual([b, b]);
    }
  });

  it('decides each field on its own by the latest change, an older change arriving late changing nothing', () => {
    const w = newId();
    const reg = registered(w, '2025-01-01T10:00:00Z', { ageBand: '18-24', housing: 'hostel' }, 'Jo');
    const newer = updated(w, '2025-01-03T10:00:00Z', { housing: 'rough-sleeping' }, 'Jojo');
    const older = updated(w, '2025-01-02T10:00:00Z', { ageBand: '25-34', housing: 'temporary' }, 'Josie');
    const settled = fold([reg, newer]);
    const late = applyDirectoryEvents(settled, [older]);
    expect(directoryWomen(late).get(w)).toEqual({ id: w, knownAs: 'Jojo', details: { ageBand: '25-34', housing: 'rough-sleeping' }, registeredAt: reg.at });
    expect(fold([older], [newer], [reg])).toEqual(late);
    // Nothing new: the same state comes back.
    expect(applyDirectoryEvents(late, [older, reg, newer])).toBe(late);
  });

  it('lets a change win over her registration even when the changing device’s clock was behind', () => {
    const w = newId();
    const reg = registered(w, '2025-01-02T10:00:00Z', { housing: 'hostel' }, 'Jo');
    const change = updated(w, '2025-01-01T10:00:00Z', { housing: 'temporary' });
    expect(directoryWomen(fold([change], [reg])).get(w)).toMatchObject({ knownAs: 'Jo', details: { housing: 'temporary' }, registeredAt: reg.at });
  });

  it('shows an entry only once her registration has arrived', () => {
    const w = newId();
    const change = updated(w, '2025-01-03T10:00:00Z', { housing: 'hostel' }, 'Jojo');
    const waiting = fold([change]);
    expect(directoryWomen(waiting).size).toBe(0);
    expect(directoryGroups(waiting, [w])[0]).toMatchObject({ erased: false, woman: null });
    expect(directoryWomen(applyDirectoryEvents(waiting, [registered(w, '2025-01-01T10:00:00Z', {}, 'Jo')])).get(w)?.knownAs).toBe('Jojo');
  });

  it('keeps the entry kept by a merge where both say something, the other filling its gaps', () => {
    const [keep, duplicate] = [newId(), newId()];
    const state = fold([
      registered(keep, '2025-01-01T10:00:00Z', { ageBand: '18-24' }, 'Ann Lee'),
      registered(duplicate, '2025-01-05T10:00:00Z', { ageBand: '25-34', housing: 'hostel' }, 'Annie L'),
      merge(duplicate, keep, '2025-02-01T10:00:00Z'),
    ]);
    expect(directoryWomen(state).get(keep)).toEqual({
      id: keep,
      knownAs: 'Ann Lee',
      details: { ageBand: '18-24', housing: 'hostel' },
      registeredAt: '2025-01-01T10:00:00Z',
    });
  });

  it('erases the whole group, forgets what was said about her, and keeps her ids for counting', () => {
    const [a, b, c] = [newId(), newId(), newId()];
    const state = fold(
      [registered(a, '2025-01-01T10:00:00Z'), registered(b, '2025-01-02T10:00:00Z'), registered(c, '2025-01-03T10:00:00Z')],
      [erased(b, '2025-03-01T10:00:00Z')],
      [merge(a, b, '2025-02-01T10:00:00Z')],
      [updated(a, '2025-04-01T10:00:00Z', { housing: 'hostel' }), registered(b, '2025-01-02T10:00:00Z')],
    );
    expect(state.erased).toEqual([a, b].sort());
    expect(Object.keys(state.said)).toEqual([c]);
    expect([...directoryWomen(state).keys()]).toEqual([c]);
    expect(canonicalIdOf(state, a)).toBe(b);
  });
});
