import { describe, it, expect } from 'vitest';
import {
  countPeriod,
  countRecords,
  countTerms,
  DEFINITIONS,
  resolveRecords,
  type Figures,
  type FigureKey,
  type ResolvedRecord,
  type ResolvedVisit,
} from '../../src/domain/counting.ts';
import type { FootfallEvent } from '../../src/domain/events.ts';
import { periodRange, type DateRange } from '../../src/domain/periods.ts';
import { formatLocalDate, parseLocalDate } from '../../src/domain/time.ts';
import { addService, checkIn, correct, merge, newId, register, removeService, voidRecord } from './fixtures.ts';

const LONDON = { timeZone: 'Europe/London' };
const fy = (startYear: number) => periodRange({ kind: 'financialYear', startYear }, 4);
const day = (date: string): DateRange => ({ from: date, to: date });
const count = (events: FootfallEvent[], range: DateRange) => countPeriod(events, LONDON, range);

function shift(date: string, days: number): string {
  const [y, m, d] = parseLocalDate(date);
  const t = new Date(Date.UTC(y, m - 1, d + days));
  return formatLocalDate(t.getUTCFullYear(), t.getUTCMonth() + 1, t.getUTCDate());
}

/** The headline figures only, for compact expectations. */
function headline(f: Figures) {
  const { visits, anonymousVisits, identifiedVisits, uniqueWomen, newWomen, services } = f;
  return { visits, anonymousVisits, identifiedVisits, uniqueWomen, newWomen, services };
}

/** The site of the first resolved record, which these tests know to be a visit. */
const siteOf = (records: ResolvedRecord[]) => (records[0] as ResolvedVisit | undefined)?.siteId;

const MAY_6 = '2025-05-06';
const at = (time: string, date = MAY_6) => `${date}T${time}:00Z`;

describe('local dates (Europe/London)', () => {
  it.each([
    ['2025-03-31T23:30:00Z', '2025-04-01', '00:30 BST on 1 April'],
    ['2025-03-31T22:59:59.999Z', '2025-03-31', '23:59 BST on 31 March'],
    ['2025-03-29T23:30:00Z', '2025-03-29', '23:30 GMT the night before the clocks go forward'],
    ['2025-03-30T00:59:00Z', '2025-03-30', '00:59 GMT, just before the clocks go forward'],
    ['2025-03-30T01:00:00Z', '2025-03-30', '02:00 GMT, which is 02:00 BST'],
    ['2025-03-30T22:59:00Z', '2025-03-30', '23:59 BST on the short day'],
    ['2025-03-30T23:30:00Z', '2025-03-31', '00:30 BST the next night'],
    ['2025-10-25T23:30:00Z', '2025-10-26', '00:30 BST before the clocks go back'],
    ['2025-10-26T00:30:00Z', '2025-10-26', 'the first 01:30 (BST)'],
    ['2025-10-26T01:30:00Z', '2025-10-26', 'the second 01:30 (GMT)'],
    ['2025-10-26T23:59:00Z', '2025-10-26', '23:59 GMT on the long day'],
    ['2025-10-27T00:00:00Z', '2025-10-27', 'midnight GMT'],
    ['2024-12-31T23:59:59Z', '2024-12-31', 'the last second of 2024'],
    ['2025-01-01T00:00:00Z', '2025-01-01', 'the first second of 2025'],
    ['2024-02-29T12:00:00Z', '2024-02-29', 'a leap day'],
  ])('%s counts on %s (%s), and on no other day', (instant, date) => {
    const events = [checkIn({ occurredAt: instant, woman: newId() })];
    expect(resolveRecords(events, LONDON)[0]?.date).toBe(date);
    expect(count(events, day(date)).visits).toBe(1);
    expect(count(events, day(shift(date, -1))).visits).toBe(0);
    expect(count(events, day(shift(date, 1))).visits).toBe(0);
  });

  it('puts 00:30 BST on 1 April in the financial year that starts that day', () => {
    const events = [checkIn({ occurredAt: '2025-03-31T23:30:00Z', woman: newId(), services: ['meal'] })];
    expect(headline(count(events, fy(2025)))).toEqual({
      visits: 1,
      anonymousVisits: 0,
      identifiedVisits: 1,
      uniqueWomen: 1,
      newWomen: 1,
      services: { meal: 1 },
    });
    expect(count(events, fy(2025)).byMonth['2025-04']?.visits).toBe(1);
    expect(count(events, fy(2024)).visits).toBe(0);
  });

  it.each([
    ['the short day when the clocks go forward', '2025-03-30', '2025-03-30T00:00:00Z', 46],
    ['the long day when the clocks go back', '2025-10-26', '2025-10-25T23:00:00Z', 50],
    ['an ordinary day', '2025-05-06', '2025-05-05T23:00:00Z', 48],
  ])('counts every half-hour of %s exactly once', (_name, date, localMidnight, halfHours) => {
    const events: FootfallEvent[] = [];
    const start = Date.parse(localMidnight);
    for (let t = start - 2 * 3_600_000; t < start + 27 * 3_600_000; t += 1_800_000) {
      events.push(checkIn({ occurredAt: new Date(t).toISOString() }));
    }
    expect(count(events, day(date)).anonymousVisits).toBe(halfHours);
    expect(count(events, day(shift(date, -1))).anonymousVisits).toBe(4);
    expect(count(events, { from: shift(date, -1), to: shift(date, 1) }).anonymousVisits).toBe(events.length);
  });

  it('does not double a woman checked in at both 01:30s of the night the clocks go back', () => {
    const ana = newId();
    const events = [
      checkIn({ occurredAt: '2025-10-26T00:30:00Z', woman: ana, services: ['meal'] }),
      checkIn({ occurredAt: '2025-10-26T01:30:00Z', woman: ana, services: ['shower'] }),
    ];
    expect(headline(count(events, day('2025-10-26')))).toMatchObject({ visits: 1, services: { meal: 1, shower: 1 } });
  });

  it('counts in the configured time zone', () => {
    const events = [checkIn({ occurredAt: '2025-05-06T03:00:00Z', woman: newId() })];
    expect(countPeriod(events, { timeZone: 'America/New_York' }, day('2025-05-05')).visits).toBe(1);
    expect(countPeriod(events, { timeZone: 'Asia/Kathmandu' }, day('2025-05-06')).visits).toBe(1);
  });
});

describe('visits', () => {
  it('counts two check-ins of the same woman at the same site that day as one visit with both sets of services', () => {
    const ana = newId();
    const events = [
      checkIn({ occurredAt: at('09:00'), woman: ana, services: ['meal'] }),
      checkIn({ occurredAt: at('15:00'), woman: ana, services: ['shower', 'meal'] }),
    ];
    expect(headline(count(events, day(MAY_6)))).toEqual({
      visits: 1,
      anonymousVisits: 0,
      identifiedVisits: 1,
      uniqueWomen: 1,
      newWomen: 1,
      services: { meal: 1, shower: 1 },
    });
  });

  it('counts the same woman at two sites on the same day as two visits', () => {
    const ana = newId();
    const events = [
      checkIn({ occurredAt: at('09:00'), woman: ana, site: 'north', services: ['meal'] }),
      checkIn({ occurredAt: at('15:00'), woman: ana, site: 'south', services: ['meal'] }),
    ];
    const f = count(events, day(MAY_6));
    expect(headline(f)).toMatchObject({ visits: 2, identifiedVisits: 2, uniqueWomen: 1, services: { meal: 2 } });
    expect(f.bySite).toEqual({
      north: { visits: 1, uniqueWomen: 1, anonymousVisits: 0 },
      south: { visits: 1, uniqueWomen: 1, anonymousVisits: 0 },
    });
  });

  it('counts the same woman on two days as two visits', () => {
    const ana = newId();
    const events = [
      checkIn({ occurredAt: at('09:00', '2025-05-06'), woman: ana }),
      checkIn({ occurredAt: at('09:00', '2025-05-07'), woman: ana }),
    ];
    expect(headline(count(events, fy(2025)))).toMatchObject({ visits: 2, uniqueWomen: 1, newWomen: 1 });
  });

  it('counts each anonymous check-in as a visit and never as a woman', () => {
    const events = [
      checkIn({ occurredAt: at('09:00'), services: ['meal'] }),
      checkIn({ occurredAt: at('09:00'), services: ['meal'] }),
      checkIn({ occurredAt: at('16:00'), services: ['meal', 'shower'] }),
    ];
    const f = count(events, day(MAY_6));
    expect(headline(f)).toEqual({
      visits: 3,
      anonymousVisits: 3,
      identifiedVisits: 0,
      uniqueWomen: 0,
      newWomen: 0,
      services: { meal: 3, shower: 1 },
    });
    expect(f.bySite).toEqual({ north: { visits: 3, uniqueWomen: 0, anonymousVisits: 3 } });
  });

  it('counts services added to a visit later in the day, once each', () => {
    const v = checkIn({ occurredAt: at('09:00'), woman: newId(), services: ['meal'] });
    const events = [v, addService(v.id, 'laundry', at('11:00')), addService(v.id, 'meal', at('12:00'))];
    expect(count(events, day(MAY_6)).services).toEqual({ meal: 1, laundry: 1 });
  });

  it('does not count a service that was removed, and counts it again once added back', () => {
    const v = checkIn({ occurredAt: at('09:00'), woman: newId(), services: ['meal', 'shower'] });
    const removed = [v, removeService(v.id, 'shower', at('10:00'))];
    expect(count(removed, day(MAY_6)).services).toEqual({ meal: 1 });
    const addedBack = [...removed, addService(v.id, 'shower', at('11:00'))];
    expect(count(addedBack, day(MAY_6)).services).toEqual({ meal: 1, shower: 1 });
    // Out of order delivery changes nothing: device time decides.
    expect(count([...addedBack].reverse(), day(MAY_6)).services).toEqual({ meal: 1, shower: 1 });
  });

  it('keeps a service given at another check-in that day when it is removed from one', () => {
    const ana = newId();
    const first = checkIn({ occurredAt: at('09:00'), woman: ana, services: ['meal'] });
    const second = checkIn({ occurredAt: at('13:00'), woman: ana, services: ['meal'] });
    const events = [first, second, removeService(first.id, 'meal', at('14:00'))];
    expect(count(events, day(MAY_6)).services).toEqual({ meal: 1 });
  });

  it('ignores directory entries: a registered woman with no visits is not counted', () => {
    const events = [register(newId(), at('09:00'))];
    expect(headline(count(events, day(MAY_6)))).toMatchObject({ visits: 0, uniqueWomen: 0, newWomen: 0 });
  });
});

describe('corrections', () => {
  const ana = newId();
  const bea = newId();
  const base = () => checkIn({ occurredAt: at('09:00'), woman: ana, site: 'north', services: ['meal'] });

  it.each([
    ['the woman', { womanId: bea }, { womanId: bea }],
    ['the woman to anonymous', { womanId: null }, { womanId: null }],
    ['the time', { occurredAt: at('23:30') }, { occurredAt: at('23:30'), date: '2025-05-07' }],
    ['the site', { siteId: 'south' }, { siteId: 'south' }],
    ['the services', { services: ['shower', 'laundry'] }, { services: ['laundry', 'shower'] }],
  ])('changes %s and nothing else', (_name, changes, expected) => {
    const v = base();
    const [record] = resolveRecords([v, correct(v.id, changes, at('10:00'))], LONDON);
    expect(record).toEqual({
      kind: 'visit',
      id: v.id,
      womanId: ana,
      siteId: 'north',
      occurredAt: at('09:00'),
      date: MAY_6,
      services: ['meal'],
      ...expected,
    });
  });

  it('identifies an anonymous visit when a woman is given', () => {
    const v = checkIn({ occurredAt: at('09:00') });
    const f = count([v, correct(v.id, { womanId: ana }, at('10:00'))], day(MAY_6));
    expect(headline(f)).toMatchObject({ visits: 1, anonymousVisits: 0, identifiedVisits: 1, uniqueWomen: 1 });
  });

  it('moves a visit into another financial year when its date is corrected', () => {
    const v = checkIn({ occurredAt: '2025-03-31T10:00:00Z', woman: ana });
    const events = [v, correct(v.id, { occurredAt: '2025-04-01T10:00:00Z' }, '2025-04-02T09:00:00Z')];
    expect(count(events, fy(2024)).visits).toBe(0);
    expect(count(events, fy(2025)).visits).toBe(1);
    expect(count(events, fy(2025)).byMonth['2025-04']?.visits).toBe(1);
  });

  it('folds a visit corrected onto another of the same woman, site and day into it', () => {
    const other = checkIn({ occurredAt: at('15:00'), woman: bea, services: ['shower'] });
    const v = base();
    const f = count([v, other, correct(v.id, { womanId: bea }, at('16:00'))], day(MAY_6));
    expect(headline(f)).toMatchObject({ visits: 1, uniqueWomen: 1, services: { meal: 1, shower: 1 } });
  });

  it('lets the latest correction win, whatever order the corrections arrive in', () => {
    const v = base();
    const earlier = correct(v.id, { siteId: 'south' }, at('10:00'));
    const later = correct(v.id, { siteId: 'east' }, at('11:00'));
    for (const events of [
      [v, earlier, later],
      [later, earlier, v],
      [earlier, v, later],
    ]) {
      expect(Object.keys(count(events, day(MAY_6)).bySite)).toEqual(['east']);
    }
  });

  it('applies corrections of different fields together', () => {
    const v = base();
    const events = [
      correct(v.id, { services: ['shower'] }, at('11:00')),
      correct(v.id, { siteId: 'south' }, at('10:00')),
      v,
    ];
    expect(resolveRecords(events, LONDON)[0]).toMatchObject({ siteId: 'south', services: ['shower'], womanId: ana });
  });

  it('breaks a tie in device time by event id', () => {
    const v = base();
    const first = correct(v.id, { siteId: 'south' }, at('10:00'));
    const second = correct(v.id, { siteId: 'east' }, at('10:00'));
    expect(first.id < second.id).toBe(true);
    expect(siteOf(resolveRecords([second, v, first], LONDON))).toBe('east');
  });

  it('applies a correction whose device clock is behind the check-in device', () => {
    const v = base();
    expect(siteOf(resolveRecords([v, correct(v.id, { siteId: 'south' }, at('08:00'))], LONDON))).toBe('south');
  });

  it('applies services added after a services correction on top of it, and replaces those added before', () => {
    const v = base();
    const events = [
      v,
      addService(v.id, 'laundry', at('10:00')),
      correct(v.id, { services: ['shower'] }, at('11:00')),
      addService(v.id, 'clothes', at('12:00')),
    ];
    expect(count(events, day(MAY_6)).services).toEqual({ clothes: 1, shower: 1 });
  });
});

describe('voids', () => {
  const ana = newId();

  it('counts a voided visit nowhere', () => {
    const v = checkIn({ occurredAt: at('09:00'), woman: ana, services: ['meal'] });
    const f = count([v, voidRecord(v.id, at('10:00'))], fy(2025));
    expect(headline(f)).toEqual({
      visits: 0,
      anonymousVisits: 0,
      identifiedVisits: 0,
      uniqueWomen: 0,
      newWomen: 0,
      services: {},
    });
    expect(f.bySite).toEqual({});
    expect(resolveRecords([v, voidRecord(v.id, at('10:00'))], LONDON)).toEqual([]);
  });

  it.each([
    ['a correction after the void', (id: string) => correct(id, { siteId: 'south' }, at('11:00'))],
    ['a correction before the void', (id: string) => correct(id, { siteId: 'south' }, at('09:30'))],
    ['a service added after the void', (id: string) => addService(id, 'shower', at('11:00'))],
  ])('keeps a voided visit void after %s', (_name, change) => {
    const v = checkIn({ occurredAt: at('09:00'), woman: ana });
    const events = [change(v.id), voidRecord(v.id, at('10:00')), v];
    expect(count(events, day(MAY_6)).visits).toBe(0);
  });

  it('leaves the other check-in of the day when one is voided', () => {
    const first = checkIn({ occurredAt: at('09:00'), woman: ana, services: ['meal'] });
    const second = checkIn({ occurredAt: at('13:00'), woman: ana, services: ['shower'] });
    const f = count([first, second, voidRecord(first.id, at('14:00'))], day(MAY_6));
    expect(headline(f)).toMatchObject({ visits: 1, services: { shower: 1 } });
  });

  it('ignores changes to records that do not exist', () => {
    const v = checkIn({ occurredAt: at('09:00'), woman: ana, services: ['meal'] });
    const ghost = newId();
    const events = [
      v,
      addService(ghost, 'shower', at('10:00')),
      removeService(ghost, 'meal', at('10:00')),
      correct(ghost, { siteId: 'south' }, at('10:00')),
      voidRecord(ghost, at('10:00')),
    ];
    expect(count(events, day(MAY_6))).toEqual(count([v], day(MAY_6)));
  });
});

describe('events delivered twice', () => {
  it('counts an anonymous check-in delivered twice once', () => {
    const v = checkIn({ occurredAt: at('09:00'), services: ['meal'] });
    expect(headline(count([v, { ...v }], day(MAY_6)))).toMatchObject({ visits: 1, services: { meal: 1 } });
  });

  it('gives the same figures when a whole history is delivered twice', () => {
    const ana = newId();
    const bea = newId();
    const v = checkIn({ occurredAt: at('09:00'), woman: ana, services: ['meal'] });
    const w = checkIn({ occurredAt: at('10:00'), woman: bea });
    const history = [
      v,
      w,
      addService(v.id, 'shower', at('10:00')),
      removeService(v.id, 'meal', at('10:30')),
      correct(w.id, { siteId: 'south' }, at('11:00')),
      merge(bea, ana, at('12:00')),
      voidRecord(w.id, at('13:00')),
    ];
    const twice = [...history, ...history.map((e) => structuredClone(e))].reverse();
    expect(count(twice, fy(2025))).toEqual(count(history, fy(2025)));
  });
});

describe('merged women', () => {
  it('makes two women one: unique women drops, and their visits at one site that day become one', () => {
    const ana = newId();
    const bea = newId();
    const events = [
      checkIn({ occurredAt: at('09:00'), woman: ana, services: ['meal'] }),
      checkIn({ occurredAt: at('14:00'), woman: bea, services: ['shower'] }),
      checkIn({ occurredAt: at('10:00', '2025-05-07'), woman: bea }),
    ];
    expect(headline(count(events, fy(2025)))).toMatchObject({ visits: 3, uniqueWomen: 2, newWomen: 2 });
    const merged = [...events, merge(bea, ana, at('18:00'))];
    expect(headline(count(merged, fy(2025)))).toEqual({
      visits: 2,
      anonymousVisits: 0,
      identifiedVisits: 2,
      uniqueWomen: 1,
      newWomen: 1,
      services: { meal: 1, shower: 1 },
    });
    expect(resolveRecords(merged, LONDON).map((r) => r.womanId)).toEqual([ana, ana, ana]);
  });

  it.each([
    ['a chain A into B, B into C', (a: string, b: string, c: string) => [merge(a, b, at('10:00')), merge(b, c, at('11:00'))]],
    ['a chain recorded in reverse', (a: string, b: string, c: string) => [merge(b, c, at('10:00')), merge(a, b, at('11:00'))]],
    ['a cycle', (a: string, b: string, c: string) => [merge(a, b, at('10:00')), merge(b, a, at('11:00')), merge(c, a, at('12:00'))]],
    ['merges into one woman', (a: string, b: string, c: string) => [merge(a, c, at('10:00')), merge(b, c, at('11:00'))]],
    ['one woman merged into two', (a: string, b: string, c: string) => [merge(a, b, at('10:00')), merge(a, c, at('11:00'))]],
  ])('resolves %s to one woman', (_name, merges) => {
    const [a, b, c] = [newId(), newId(), newId()];
    const visits = [a, b, c].map((woman, i) => checkIn({ occurredAt: at(`0${i + 1}:00`), woman }));
    const events = [...visits, ...merges(a, b, c)];
    const records = resolveRecords(events, LONDON);
    expect(new Set(records.map((r) => r.womanId)).size).toBe(1);
    expect(headline(count(events, day(MAY_6)))).toMatchObject({ visits: 1, uniqueWomen: 1 });
    expect(headline(count([...events].reverse(), day(MAY_6)))).toMatchObject({ visits: 1, uniqueWomen: 1 });
  });

  it('follows a merge for a visit corrected onto the merged-away woman', () => {
    const [ana, bea] = [newId(), newId()];
    const v = checkIn({ occurredAt: at('09:00') });
    const events = [v, merge(bea, ana, at('08:00')), correct(v.id, { womanId: bea }, at('10:00'))];
    expect(resolveRecords(events, LONDON)[0]?.womanId).toBe(ana);
  });

  it('is harmless for women with no records', () => {
    const ana = newId();
    const events = [checkIn({ occurredAt: at('09:00'), woman: ana }), merge(newId(), newId(), at('10:00'))];
    expect(headline(count(events, day(MAY_6)))).toMatchObject({ visits: 1, uniqueWomen: 1, newWomen: 1 });
  });
});

describe('new women', () => {
  const ana = newId();
  const bea = newId();

  it('does not count a woman whose first visit was before the period', () => {
    const events = [
      checkIn({ occurredAt: '2025-03-15T10:00:00Z', woman: ana }),
      checkIn({ occurredAt: '2025-05-01T10:00:00Z', woman: ana }),
      checkIn({ occurredAt: '2025-05-02T10:00:00Z', woman: bea }),
    ];
    const f = count(events, fy(2025));
    expect(headline(f)).toMatchObject({ visits: 2, uniqueWomen: 2, newWomen: 1 });
    expect(f.byMonth['2025-05']).toEqual({ visits: 2, uniqueWomen: 2, anonymousVisits: 0, newWomen: 1, outreachContacts: 0 });
    expect(count(events, fy(2024)).newWomen).toBe(1);
  });

  it('looks at all her records after a merge', () => {
    const events = [
      checkIn({ occurredAt: '2025-03-15T10:00:00Z', woman: ana }),
      checkIn({ occurredAt: '2025-05-02T10:00:00Z', woman: bea }),
      merge(bea, ana, '2025-06-01T10:00:00Z'),
    ];
    expect(headline(count(events, fy(2025)))).toMatchObject({ uniqueWomen: 1, newWomen: 0 });
  });

  it('ignores a voided first visit', () => {
    const first = checkIn({ occurredAt: '2025-03-15T10:00:00Z', woman: ana });
    const events = [first, checkIn({ occurredAt: '2025-05-01T10:00:00Z', woman: ana }), voidRecord(first.id, at('10:00'))];
    expect(count(events, fy(2025)).newWomen).toBe(1);
    expect(count(events, fy(2025)).byMonth['2025-05']?.newWomen).toBe(1);
  });

  it('follows a corrected date of her first visit', () => {
    const first = checkIn({ occurredAt: '2025-05-01T10:00:00Z', woman: ana });
    const events = [first, correct(first.id, { occurredAt: '2025-03-01T10:00:00Z' }, at('10:00'))];
    expect(count(events, { from: '2025-04-01', to: '2025-12-31' }).newWomen).toBe(0);
  });

  it('counts her in the month of her first visit, within a custom range', () => {
    const events = [
      checkIn({ occurredAt: '2025-04-20T10:00:00Z', woman: ana }),
      checkIn({ occurredAt: '2025-06-03T10:00:00Z', woman: ana }),
    ];
    const f = count(events, { from: '2025-04-15', to: '2025-06-10' });
    expect(f.newWomen).toBe(1);
    expect(f.byMonth).toEqual({
      '2025-04': { visits: 1, uniqueWomen: 1, anonymousVisits: 0, newWomen: 1, outreachContacts: 0 },
      '2025-05': { visits: 0, uniqueWomen: 0, anonymousVisits: 0, newWomen: 0, outreachContacts: 0 },
      '2025-06': { visits: 1, uniqueWomen: 1, anonymousVisits: 0, newWomen: 0, outreachContacts: 0 },
    });
  });
});

describe('ranges and breakdowns', () => {
  it('lists every month of the range, with zeros where nothing happened', () => {
    const f = count([checkIn({ occurredAt: '2026-03-31T12:00:00Z' })], fy(2025));
    expect(Object.keys(f.byMonth)).toHaveLength(12);
    expect(f.byMonth['2025-04']).toEqual({ visits: 0, uniqueWomen: 0, anonymousVisits: 0, newWomen: 0, outreachContacts: 0 });
    expect(f.byMonth['2026-03']).toEqual({ visits: 1, uniqueWomen: 0, anonymousVisits: 1, newWomen: 0, outreachContacts: 0 });
  });

  it('counts several ranges from one resolution the same as counting each from the events', () => {
    const ana = newId();
    const events = [
      checkIn({ occurredAt: '2024-06-01T10:00:00Z', woman: ana, services: ['meal'] }),
      checkIn({ occurredAt: '2025-06-01T10:00:00Z', woman: ana, services: ['shower'] }),
    ];
    const records = resolveRecords(events, LONDON);
    for (const range of [fy(2024), fy(2025), day('2025-06-01')]) {
      expect(countRecords(records, range)).toEqual(count(events, range));
    }
  });

  it.each([
    [{ from: '2025-05-02', to: '2025-05-01' }, /starts after it ends/],
    [{ from: '2025-02-30', to: '2025-05-01' }, /no such date/],
    [{ from: '2025-01-01', to: '2025-5-1' }, /not a date/],
  ])('refuses the range %o', (range, message) => {
    expect(() => countRecords([], range)).toThrow(message);
  });
});

describe('DEFINITIONS', () => {
  it('defines every headline figure, briefly and in plain words', () => {
    const figures: FigureKey[] = [
      'visits',
      'anonymousVisits',
      'identifiedVisits',
      'uniqueWomen',
      'newWomen',
      'services',
      'outreachContacts',
      'womenReached',
      'unknownContacts',
      'caseworkSessions',
      'womenSupported',
      'referrals',
      'byArea',
    ];
    for (const figure of figures) expect(DEFINITIONS.some((d) => d.figure === figure), figure).toBe(true);
    // Every figure of what contacts and sessions recorded, read from what countTerms gives.
    for (const figure of Object.keys(countTerms([], day(MAY_6)))) expect(DEFINITIONS.some((d) => d.figure === figure), figure).toBe(true);
    for (const d of DEFINITIONS) {
      expect(d.text.length).toBeLessThan(250);
      expect(d.text).toMatch(/^[A-Z].*\.$/);
    }
  });
});
