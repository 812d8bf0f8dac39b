/**
 * Waiting events folded onto a history resolved without them (src/domain/waitingFold.ts): what
 * folds gives exactly what resolving everything together gives; anything else says so with null.
 */
import { describe, expect, it } from 'vitest';
import { FootfallEvent } from '../../src/domain/events.ts';
import type { Period } from '../../src/domain/periods.ts';
import { buildReport, resolveHistory, type History } from '../../src/domain/report.ts';
import { foldWaiting, voidedIn } from '../../src/domain/waitingFold.ts';
import { applyDirectoryEvents, EMPTY_DIRECTORY } from '../../src/domain/directory.ts';
import { addService, checkIn, contact, correct, merge, register, removeService, session, voidRecord, newId } from './fixtures.ts';
import { A, B, C, CONFIG, D, F, HISTORY, erased, registered, updated } from './reportFixture.ts';

const kept = () => resolveHistory(HISTORY, CONFIG);
/** The directory the kept history was resolved with, as the kept resolution's basis holds it. */
const basis = (archived = HISTORY) => ({ directory: applyDirectoryEvents(EMPTY_DIRECTORY, archived), voided: voidedIn(archived) });
const NO_DIRECTORY = { directory: null, voided: voidedIn(HISTORY) };
const together = (waiting: FootfallEvent[]) => resolveHistory([...HISTORY, ...waiting], CONFIG);

/** The folded history holds what resolving everything together holds, and its columns (not compared by toEqual) count the same. */
function expectTogether(folded: History | null, waiting: FootfallEvent[]): void {
  const expected = together(waiting);
  expect(folded).toEqual(expected);
  for (const period of PERIODS) expect(buildReport(folded as History, CONFIG, period)).toEqual(buildReport(expected, CONFIG, period));
}

const PERIODS: Period[] = [
  { kind: 'financialYear', startYear: 2025 },
  { kind: 'month', year: 2026, month: 3 },
];

describe('folding waiting events onto a kept resolution', () => {
  it('gives the same history as resolving everything, for new records and changes to them', () => {
    const visit = checkIn({ occurredAt: '2026-03-01T10:00:00Z', woman: A, services: ['meal'] });
    const anonymous = checkIn({ occurredAt: '2026-03-01T11:00:00Z', services: ['shower'] });
    const voided = checkIn({ occurredAt: '2026-03-01T12:00:00Z', woman: B });
    const waiting: FootfallEvent[] = [
      visit,
      anonymous,
      voided,
      addService(visit.id, 'shower', '2026-03-01T10:05:00Z'),
      removeService(anonymous.id, 'shower', '2026-03-01T11:05:00Z'),
      correct(anonymous.id, { womanId: C }, '2026-03-01T11:10:00Z'),
      voidRecord(voided.id, '2026-03-01T12:05:00Z'),
      contact({ occurredAt: '2026-03-02T20:00:00Z', woman: B }),
      session({ occurredAt: '2026-03-03T10:00:00Z', woman: C }),
    ];
    expectTogether(foldWaiting(kept(), waiting, basis()), waiting);
  });

  it('folds settings changed and a key rotated here, which change no record', () => {
    const visit = checkIn({ occurredAt: '2026-03-01T10:00:00Z', woman: A, services: ['meal'] });
    const by = { deviceId: visit.deviceId, staffId: visit.staffId };
    const waiting: FootfallEvent[] = [
      FootfallEvent.parse({ ...by, id: newId(), at: '2026-03-01T09:00:00.000Z', type: 'org.configured', config: { ...CONFIG, services: CONFIG.services.slice(0, 1) } }),
      FootfallEvent.parse({ ...by, id: newId(), at: '2026-03-01T09:30:00.000Z', type: 'org.keyRotated', announcement: 'signed announcement' }),
      visit,
    ];
    expectTogether(foldWaiting(kept(), waiting, basis()), waiting);
    expect(foldWaiting(kept(), waiting.slice(0, 2), basis())?.records).toEqual(kept().records);
  });

  it('is the kept history itself when nothing waits', () => {
    const history = kept();
    expect(foldWaiting(history, [], basis())).toBe(history);
  });

  it('does not fold what resolving together could give otherwise', () => {
    const archived = HISTORY.find((e) => e.type === 'visit.checkedIn')!;
    const cannot: [string, FootfallEvent[]][] = [
      ['a merge', [merge(B, C, '2026-03-01T09:00:00Z')]],
      ['an erasure', [erased(B, '2026-03-01T09:00:00Z')]],
      ['a registration of a woman the directory holds (uploaded, not yet acknowledged here)', [registered(A, '2026-03-01T09:00:00Z')]],
      ['a registration of a woman merged into another', [registered(D, '2026-03-01T09:00:00Z')]],
      ['a registration of a woman erased', [registered(F, '2026-03-01T09:00:00Z')]],
      ['a visit by a woman merged into another', [checkIn({ occurredAt: '2026-03-01T10:00:00Z', woman: D })]],
      ['a visit by a woman erased', [checkIn({ occurredAt: '2026-03-01T10:00:00Z', woman: F })]],
      ['a change to an archived record', [addService(archived.id, 'laundry', '2026-03-01T10:00:00Z')]],
      ['a correction naming a merged woman', (() => {
        const visit = checkIn({ occurredAt: '2026-03-01T10:00:00Z' });
        return [visit, correct(visit.id, { womanId: D }, '2026-03-01T10:01:00Z')];
      })()],
      ['a record the archive already holds', [archived]],
    ];
    for (const [what, waiting] of cannot) expect(foldWaiting(kept(), waiting, basis()), what).toBeNull();
  });

  it('does not fold a record the archive holds voided, waiting here again (uploaded, its acknowledgement lost), which the history no longer holds', () => {
    const visit = checkIn({ occurredAt: '2026-03-01T10:00:00Z', services: ['meal'] });
    const archived = [...HISTORY, visit, voidRecord(visit.id, '2026-03-01T10:30:00Z')];
    const history = resolveHistory(archived, CONFIG);
    expect(history.records.map((r) => r.id)).not.toContain(visit.id);
    for (const waiting of [[visit], [visit, addService(visit.id, 'shower', '2026-03-01T10:05:00Z')]]) {
      expect(foldWaiting(history, waiting, basis(archived))).toBeNull();
    }
  });

  it('folds registrations of new women and changes to entries onto the directory, with the records that name them', () => {
    const dina = newId();
    const esme = newId();
    const waiting: FootfallEvent[] = [
      registered(dina, '2026-03-01T09:00:00Z', { ageBand: '25-34' }, 'Dina'),
      checkIn({ occurredAt: '2026-03-01T10:00:00Z', woman: dina, services: ['meal'] }),
      registered(esme, '2026-03-02T09:00:00Z', {}, 'Esme'),
      updated(esme, '2026-03-02T09:30:00Z', { housing: 'rough-sleeping' }),
      contact({ occurredAt: '2026-03-02T20:00:00Z', woman: esme }),
      // A change to an archived woman's entry: her breakdowns change, her records do not.
      updated(B, '2026-03-03T09:00:00Z', { ageBand: '35-44' }, 'Bea'),
      session({ occurredAt: '2026-03-03T10:00:00Z', woman: B }),
    ];
    const folded = foldWaiting(kept(), waiting, basis());
    expectTogether(folded, waiting);
    expect(folded?.women.get(dina)?.knownAs).toBe('Dina');
    expect(folded?.women.get(B)?.knownAs).toBe('Bea');
    // Only a change: the same records, other women.
    const changeOnly = foldWaiting(kept(), [updated(A, '2026-03-03T09:00:00Z', { ageBand: '45-54' })], basis());
    expect(changeOnly?.records).toEqual(kept().records);
    expect(changeOnly?.women.get(A)?.details.ageBand).toBe('45-54');
  });

  it('folds a change to an entry merged into another, and to the one she was merged into: the whole group resolved again', () => {
    for (const waiting of [[updated(D, '2026-03-03T09:00:00Z', { ageBand: '45-54' }, 'Dot')], [updated(A, '2026-03-03T09:00:00Z', { housing: 'hostel' })]]) {
      const folded = foldWaiting(kept(), waiting, basis());
      expectTogether(folded, waiting);
      expect(folded?.women.get(D)).toBeUndefined();
    }
  });

  it('does not fold a registration or a change to an entry without the directory, nor one the directory already holds', () => {
    expect(foldWaiting(kept(), [register(newId(), '2026-03-01T09:00:00Z')], NO_DIRECTORY)).toBeNull();
    expect(foldWaiting(kept(), [updated(A, '2026-03-01T09:00:00Z', { ageBand: '45-54' })], NO_DIRECTORY)).toBeNull();
    // A change stored in the archive already, not yet acknowledged here: the directory's latest for its field.
    const change = updated(A, '2026-03-01T09:00:00Z', { ageBand: '45-54' });
    const archived = [...HISTORY, change];
    expect(foldWaiting(resolveHistory(archived, CONFIG), [change], basis(archived))).toBeNull();
    // Visits, contacts and sessions need no directory.
    const visit = checkIn({ occurredAt: '2026-03-01T10:00:00Z', woman: A, services: ['meal'] });
    expectTogether(foldWaiting(kept(), [visit], NO_DIRECTORY), [visit]);
  });
});
