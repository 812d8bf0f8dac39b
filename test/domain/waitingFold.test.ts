/**
 * Waiting events folded onto a history resolved without them (src/domain/waitingFold.ts): what
 * folds gives exactly what resolving everything together gives; anything else says so with null.
 */
import { describe, expect, it } from 'vitest';
import { FootfallEvent } from '../../src/domain/events.ts';
import type { Period } from '../../src/domain/periods.ts';
import { buildReport, resolveHistory, type History } from '../../src/domain/report.ts';
import { foldWaiting } from '../../src/domain/waitingFold.ts';
import { addService, checkIn, contact, correct, register, removeService, session, voidRecord, newId } from './fixtures.ts';
import { A, B, C, CONFIG, D, F, HISTORY } from './reportFixture.ts';

const kept = () => resolveHistory(HISTORY, CONFIG);
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
    expectTogether(foldWaiting(kept(), waiting), waiting);
  });

  it('folds settings changed and a key rotated here, which change no record', () => {
    const visit = checkIn({ occurredAt: '2026-03-01T10:00:00Z', woman: A, services: ['meal'] });
    const by = { deviceId: visit.deviceId, staffId: visit.staffId };
    const waiting: FootfallEvent[] = [
      FootfallEvent.parse({ ...by, id: newId(), at: '2026-03-01T09:00:00.000Z', type: 'org.configured', config: { ...CONFIG, services: CONFIG.services.slice(0, 1) } }),
      FootfallEvent.parse({ ...by, id: newId(), at: '2026-03-01T09:30:00.000Z', type: 'org.keyRotated', announcement: 'signed announcement' }),
      visit,
    ];
    expectTogether(foldWaiting(kept(), waiting), waiting);
    expect(foldWaiting(kept(), waiting.slice(0, 2))?.records).toEqual(kept().records);
  });

  it('is the kept history itself when nothing waits', () => {
    const history = kept();
    expect(foldWaiting(history, [])).toBe(history);
  });

  it('does not fold what resolving together could give otherwise', () => {
    const archived = HISTORY.find((e) => e.type === 'visit.checkedIn')!;
    const cannot: [string, FootfallEvent[]][] = [
      ['a registration', [register(newId(), '2026-03-01T09:00:00Z')]],
      ['a visit by a woman merged into another', [checkIn({ occurredAt: '2026-03-01T10:00:00Z', woman: D })]],
      ['a visit by a woman erased', [checkIn({ occurredAt: '2026-03-01T10:00:00Z', woman: F })]],
      ['a change to an archived record', [addService(archived.id, 'laundry', '2026-03-01T10:00:00Z')]],
      ['a correction naming a merged woman', (() => {
        const visit = checkIn({ occurredAt: '2026-03-01T10:00:00Z' });
        return [visit, correct(visit.id, { womanId: D }, '2026-03-01T10:01:00Z')];
      })()],
      ['a record the archive already holds', [archived]],
    ];
    for (const [what, waiting] of cannot) expect(foldWaiting(kept(), waiting), what).toBeNull();
  });
});
