/**
 * The counting rules of docs/counting.md for outreach contacts and advice and casework sessions, and
 * how they meet visits: unique women, new women, women reached, women supported and referrals.
 */
import { describe, it, expect } from 'vitest';
import { countPeriod, resolveRecords, type Figures } from '../../src/domain/counting.ts';
import { FootfallEvent } from '../../src/domain/events.ts';
import { periodRange, type DateRange } from '../../src/domain/periods.ts';
import { addService, checkIn, contact, correct, merge, newId, register, session, voidRecord } from './fixtures.ts';

const LONDON = { timeZone: 'Europe/London' };
const fy = (startYear: number) => periodRange({ kind: 'financialYear', startYear }, 4);
const day = (date: string): DateRange => ({ from: date, to: date });
const count = (events: FootfallEvent[], range: DateRange) => countPeriod(events, LONDON, range);
const MAY_6 = '2025-05-06';
const at = (time: string, date = MAY_6) => `${date}T${time}:00Z`;

/** The women and outreach figures only, for compact expectations. */
function women(f: Figures) {
  const { uniqueWomen, newWomen, outreachContacts, womenReached, unknownContacts, caseworkSessions, womenSupported } = f;
  return { uniqueWomen, newWomen, outreachContacts, womenReached, unknownContacts, caseworkSessions, womenSupported };
}

describe('outreach contacts', () => {
  it.each([
    ['a known woman from the directory', 'known', { outreachContacts: 1, womenReached: 1, unknownContacts: 0, uniqueWomen: 1 }],
    ['a woman registered on the spot', 'new', { outreachContacts: 1, womenReached: 1, unknownContacts: 0, uniqueWomen: 1 }],
    ['an unknown woman', 'unknown', { outreachContacts: 1, womenReached: 0, unknownContacts: 1, uniqueWomen: 0 }],
  ] as const)('counts a contact with %s', (_name, who, expected) => {
    const ana = newId();
    const events: FootfallEvent[] = [];
    if (who === 'new') events.push(register(ana, at('09:00')));
    events.push(contact({ occurredAt: at('09:00'), woman: who === 'unknown' ? null : ana }));
    expect(women(count(events, day(MAY_6)))).toMatchObject({ ...expected, newWomen: expected.uniqueWomen });
    expect(count(events, day(MAY_6)).visits).toBe(0);
  });

  it('counts every contact, and each woman reached once', () => {
    const [ana, bea] = [newId(), newId()];
    const events = [
      contact({ occurredAt: at('09:00'), woman: ana, area: 'camden' }),
      contact({ occurredAt: at('11:00'), woman: ana, area: 'camden' }),
      contact({ occurredAt: at('12:00'), woman: bea, area: 'westminster' }),
      contact({ occurredAt: at('13:00'), area: 'westminster' }),
      contact({ occurredAt: at('14:00'), area: 'westminster' }),
    ];
    const f = count(events, day(MAY_6));
    expect(women(f)).toEqual({
      uniqueWomen: 2,
      newWomen: 2,
      outreachContacts: 5,
      womenReached: 2,
      unknownContacts: 2,
      caseworkSessions: 0,
      womenSupported: 0,
    });
    expect(f.byArea).toEqual({ camden: 2, westminster: 3 });
    expect(f.byMonth['2025-05']).toMatchObject({ outreachContacts: 5, uniqueWomen: 2, newWomen: 2, visits: 0 });
    expect(f.bySite).toEqual({});
  });

  it('puts a contact at 00:30 BST on 1 April in the new financial year', () => {
    const events = [contact({ occurredAt: '2025-03-31T23:30:00Z', woman: newId() })];
    expect(resolveRecords(events, LONDON)[0]?.date).toBe('2025-04-01');
    expect(women(count(events, fy(2025)))).toMatchObject({ outreachContacts: 1, womenReached: 1, uniqueWomen: 1, newWomen: 1 });
    expect(count(events, fy(2025)).byMonth['2025-04']?.outreachContacts).toBe(1);
    expect(count(events, fy(2024)).outreachContacts).toBe(0);
  });

  it('resolves a contact with its lists sorted and without repeats', () => {
    const c = contact({
      occurredAt: at('09:00'),
      woman: null,
      area: 'hackney',
      place: 'hostel',
      needs: ['housing', 'food', 'housing'],
      support: ['food', 'advice'],
      referrals: ['gp', 'gp'],
    });
    expect(resolveRecords([c], LONDON)).toEqual([
      {
        kind: 'outreach',
        id: c.id,
        womanId: null,
        occurredAt: at('09:00'),
        date: MAY_6,
        area: 'hackney',
        place: 'hostel',
        needs: ['food', 'housing'],
        support: ['advice', 'food'],
        referrals: ['gp'],
      },
    ]);
  });
});

describe('one woman across visits, contacts and casework', () => {
  it('counts a woman met on outreach and then at the drop-in as one unique woman, new only once', () => {
    const ana = newId();
    const events = [
      contact({ occurredAt: '2025-04-10T22:00:00Z', woman: ana }),
      checkIn({ occurredAt: '2025-05-06T10:00:00Z', woman: ana, services: ['meal'] }),
      session({ occurredAt: '2025-06-02T10:00:00Z', woman: ana }),
    ];
    const f = count(events, fy(2025));
    expect(women(f)).toEqual({
      uniqueWomen: 1,
      newWomen: 1,
      outreachContacts: 1,
      womenReached: 1,
      unknownContacts: 0,
      caseworkSessions: 1,
      womenSupported: 1,
    });
    expect(f.byMonth['2025-04']).toMatchObject({ newWomen: 1, uniqueWomen: 1 });
    expect(f.byMonth['2025-05']).toMatchObject({ newWomen: 0, uniqueWomen: 1, visits: 1 });
    expect(f.byMonth['2025-06']).toMatchObject({ newWomen: 0, uniqueWomen: 1, visits: 0 });
    // Her first visit, in May, is not her first record.
    expect(count(events, { from: '2025-05-01', to: '2025-05-31' }).newWomen).toBe(0);
  });

  it('does not count a woman as new in a year when her first contact was the year before', () => {
    const ana = newId();
    const events = [
      contact({ occurredAt: '2025-02-10T10:00:00Z', woman: ana }),
      checkIn({ occurredAt: '2025-05-06T10:00:00Z', woman: ana }),
    ];
    expect(women(count(events, fy(2025)))).toMatchObject({ uniqueWomen: 1, newWomen: 0 });
    expect(women(count(events, fy(2024)))).toMatchObject({ uniqueWomen: 1, newWomen: 1, womenReached: 1 });
  });

  it.each([
    ['an outreach contact into a visit', 'contact', 'visit'],
    ['a visit into a casework session', 'visit', 'session'],
    ['a casework session into an outreach contact', 'session', 'contact'],
  ] as const)('merges women across kinds of record: %s', (_name, first, second) => {
    const [ana, bea] = [newId(), newId()];
    const record = (kind: 'contact' | 'visit' | 'session', woman: string, occurredAt: string) =>
      kind === 'contact'
        ? contact({ occurredAt, woman })
        : kind === 'visit'
          ? checkIn({ occurredAt, woman })
          : session({ occurredAt, woman });
    const events = [record(first, bea, '2025-03-20T10:00:00Z'), record(second, ana, '2025-05-06T10:00:00Z')];
    expect(women(count(events, fy(2025)))).toMatchObject({ uniqueWomen: 1, newWomen: 1 });
    const merged = [...events, merge(bea, ana, '2025-06-01T10:00:00Z')];
    expect(new Set(resolveRecords(merged, LONDON).map((r) => r.womanId))).toEqual(new Set([ana]));
    expect(women(count(merged, fy(2025)))).toMatchObject({ uniqueWomen: 1, newWomen: 0 });
    expect(women(count(merged, fy(2024)))).toMatchObject({ uniqueWomen: 1, newWomen: 1 });
  });

  it('counts women reached after merges: two contacts of one woman recorded under two names are one woman', () => {
    const [ana, bea] = [newId(), newId()];
    const events = [
      contact({ occurredAt: at('09:00'), woman: ana }),
      contact({ occurredAt: at('21:00'), woman: bea }),
      merge(bea, ana, at('22:00')),
    ];
    expect(women(count(events, day(MAY_6)))).toMatchObject({ outreachContacts: 2, womenReached: 1, uniqueWomen: 1 });
  });
});

describe('women supported with advice and casework', () => {
  const ana = newId();

  it.each([
    ['the advice service on a visit', () => [checkIn({ occurredAt: at('09:00'), woman: ana, services: ['advice'] })], 1],
    ['advice added to a visit later', () => {
      const v = checkIn({ occurredAt: at('09:00'), woman: ana, services: ['meal'] });
      return [v, addService(v.id, 'advice', at('11:00'))];
    }, 1],
    ['a casework session', () => [session({ occurredAt: at('09:00'), woman: ana })], 1],
    ['both, on the same day', () => [
      checkIn({ occurredAt: at('09:00'), woman: ana, services: ['advice'] }),
      session({ occurredAt: at('10:00'), woman: ana, topics: ['benefits', 'housing'] }),
    ], 1],
    ['other services only', () => [checkIn({ occurredAt: at('09:00'), woman: ana, services: ['meal', 'shower', 'laundry', 'clothes'] })], 0],
    ['an outreach contact that gave advice', () => [contact({ occurredAt: at('09:00'), woman: ana, support: ['advice'] })], 0],
    ['an anonymous visit with advice', () => [checkIn({ occurredAt: at('09:00'), services: ['advice'] })], 0],
  ])('counts a woman supported through %s', (_name, events, expected) => {
    expect(count(events(), day(MAY_6)).womenSupported).toBe(expected);
  });

  it('counts every casework session, and each woman once', () => {
    const bea = newId();
    const events = [
      session({ occurredAt: at('09:00'), woman: ana }),
      session({ occurredAt: at('10:00'), woman: ana }),
      session({ occurredAt: at('11:00'), woman: bea }),
      checkIn({ occurredAt: at('12:00'), woman: bea, services: ['advice'] }),
    ];
    expect(women(count(events, day(MAY_6)))).toMatchObject({ caseworkSessions: 3, womenSupported: 2, uniqueWomen: 2 });
  });
});

describe('referrals', () => {
  it('counts referrals by destination, once per record, from contacts and casework sessions', () => {
    const ana = newId();
    const events = [
      contact({ occurredAt: at('09:00'), referrals: ['gp', 'sexual-health'] }),
      contact({ occurredAt: at('10:00'), woman: ana, referrals: ['gp', 'gp'] }),
      session({ occurredAt: at('11:00'), woman: ana, referrals: ['housing-options', 'gp'] }),
      session({ occurredAt: at('12:00'), woman: ana }),
      // Outside the range.
      contact({ occurredAt: at('09:00', '2025-05-07'), referrals: ['gp'] }),
    ];
    expect(count(events, day(MAY_6)).referrals).toEqual({ gp: 3, 'housing-options': 1, 'sexual-health': 1 });
  });

  it('counts no referrals when there are none', () => {
    expect(count([checkIn({ occurredAt: at('09:00'), services: ['meal'] })], day(MAY_6)).referrals).toEqual({});
  });
});

describe('corrections and voids of contacts and sessions', () => {
  const [ana, bea] = [newId(), newId()];

  it.each([
    ['the woman', { womanId: bea }, { womanId: bea }],
    ['the woman to unknown', { womanId: null }, { womanId: null }],
    ['the time', { occurredAt: at('23:30') }, { occurredAt: at('23:30'), date: '2025-05-07' }],
    ['the area and place', { area: 'islington', place: 'hospital' }, { area: 'islington', place: 'hospital' }],
    ['the needs, support and referrals', { needs: ['safety'], support: ['accompaniment'], referrals: ['police'] }, { needs: ['safety'], support: ['accompaniment'], referrals: ['police'] }],
    ['fields it does not have, which are ignored', { siteId: 'south', services: ['meal'], topics: ['housing'], outcome: 'resolved' }, {}],
  ])('corrects a contact: %s', (_name, changes, expected) => {
    const c = contact({ occurredAt: at('09:00'), woman: ana, area: 'camden', place: 'street', needs: ['food'], support: ['food'], referrals: ['gp'] });
    expect(resolveRecords([correct(c.id, changes, at('10:00')), c], LONDON)).toEqual([
      {
        kind: 'outreach',
        id: c.id,
        womanId: ana,
        occurredAt: at('09:00'),
        date: MAY_6,
        area: 'camden',
        place: 'street',
        needs: ['food'],
        support: ['food'],
        referrals: ['gp'],
        ...expected,
      },
    ]);
  });

  it.each([
    ['the woman', { womanId: bea }, { womanId: bea }],
    ['the woman to nobody, which is ignored: a session is always with a known woman', { womanId: null }, {}],
    ['the time', { occurredAt: at('23:30') }, { occurredAt: at('23:30'), date: '2025-05-07' }],
    ['the topics, referrals and outcome', { topics: ['safety', 'exiting'], referrals: ['legal-advice'], outcome: 'resolved' }, { topics: ['exiting', 'safety'], referrals: ['legal-advice'], outcome: 'resolved' }],
    ['fields it does not have, which are ignored', { area: 'brent', needs: ['food'], siteId: 'south' }, {}],
  ])('corrects a casework session: %s', (_name, changes, expected) => {
    const s = session({ occurredAt: at('09:00'), woman: ana, topics: ['housing'], referrals: [], outcome: 'advice-given' });
    expect(resolveRecords([s, correct(s.id, changes, at('10:00'))], LONDON)).toEqual([
      {
        kind: 'casework',
        id: s.id,
        womanId: ana,
        occurredAt: at('09:00'),
        date: MAY_6,
        topics: ['housing'],
        referrals: [],
        outcome: 'advice-given',
        ...expected,
      },
    ]);
  });

  it('ignores services added to or removed from a contact or a session', () => {
    const c = contact({ occurredAt: at('09:00'), woman: ana });
    const s = session({ occurredAt: at('10:00'), woman: bea });
    const events = [c, s, addService(c.id, 'advice', at('11:00')), addService(s.id, 'meal', at('11:00'))];
    expect(count(events, day(MAY_6))).toEqual(count([c, s], day(MAY_6)));
    expect(count(events, day(MAY_6)).services).toEqual({});
  });

  it('moves a corrected contact into the right period and month', () => {
    const c = contact({ occurredAt: '2025-03-31T10:00:00Z', woman: ana, referrals: ['gp'] });
    const events = [c, correct(c.id, { occurredAt: '2025-04-01T10:00:00Z' }, '2025-04-02T09:00:00Z')];
    expect(count(events, fy(2024)).outreachContacts).toBe(0);
    expect(count(events, fy(2025)).byMonth['2025-04']?.outreachContacts).toBe(1);
    expect(count(events, fy(2025)).referrals).toEqual({ gp: 1 });
  });

  it('counts voided contacts and sessions nowhere', () => {
    const c = contact({ occurredAt: at('09:00'), woman: ana, area: 'camden', referrals: ['gp'] });
    const s = session({ occurredAt: at('10:00'), woman: bea, referrals: ['police'] });
    const events = [c, s, voidRecord(c.id, at('11:00')), voidRecord(s.id, at('11:00')), correct(s.id, { outcome: 'resolved' }, at('12:00'))];
    const f = count(events, fy(2025));
    expect(women(f)).toEqual({
      uniqueWomen: 0,
      newWomen: 0,
      outreachContacts: 0,
      womenReached: 0,
      unknownContacts: 0,
      caseworkSessions: 0,
      womenSupported: 0,
    });
    expect(f.referrals).toEqual({});
    expect(f.byArea).toEqual({});
    expect(resolveRecords(events, LONDON)).toEqual([]);
  });

  it('makes a woman new later when her voided first contact no longer counts', () => {
    const c = contact({ occurredAt: '2025-03-01T10:00:00Z', woman: ana });
    const events = [c, session({ occurredAt: '2025-05-01T10:00:00Z', woman: ana })];
    expect(count(events, fy(2025)).newWomen).toBe(0);
    expect(count([...events, voidRecord(c.id, '2025-05-02T10:00:00Z')], fy(2025)).newWomen).toBe(1);
  });

  it('counts a contact or session delivered twice once', () => {
    const c = contact({ occurredAt: at('09:00'), woman: ana, referrals: ['gp'] });
    const s = session({ occurredAt: at('10:00'), woman: ana, referrals: ['gp'] });
    const once = count([c, s], day(MAY_6));
    expect(count([c, s, structuredClone(s), structuredClone(c)], day(MAY_6))).toEqual(once);
    expect(once.referrals).toEqual({ gp: 2 });
  });
});

describe('the event schemas', () => {
  const base = { id: newId(), at: at('09:00'), deviceId: 'phone-1', staffId: 'staff-1', occurredAt: at('09:00') };

  it('refuses a casework session without a woman or without a topic', () => {
    const ok = { ...base, type: 'casework.session', womanId: newId(), topics: ['housing'], referrals: [], outcome: 'resolved' };
    expect(FootfallEvent.safeParse(ok).success).toBe(true);
    expect(FootfallEvent.safeParse({ ...ok, womanId: null }).success).toBe(false);
    expect(FootfallEvent.safeParse({ ...ok, topics: [] }).success).toBe(false);
  });

  it('refuses free text: unknown fields and keys that are not keys', () => {
    const ok = { ...base, type: 'outreach.contacted', womanId: null, area: 'camden', place: 'street', needs: [], support: [], referrals: [] };
    expect(FootfallEvent.safeParse(ok).success).toBe(true);
    expect(FootfallEvent.safeParse({ ...ok, note: 'she said' }).success).toBe(false);
    expect(FootfallEvent.safeParse({ ...ok, area: 'Near the station, by the bins' }).success).toBe(false);
  });

  it('keeps refusing a correction that changes nothing or names an unknown field', () => {
    const { occurredAt: _, ...common } = base;
    const c = { ...common, type: 'record.corrected', targetId: newId(), reason: 'wrong area' };
    expect(FootfallEvent.safeParse({ ...c, changes: { area: 'brent' } }).success).toBe(true);
    expect(FootfallEvent.safeParse({ ...c, changes: {} }).success).toBe(false);
    expect(FootfallEvent.safeParse({ ...c, changes: { narrative: 'x' } }).success).toBe(false);
    expect(FootfallEvent.safeParse({ ...c, changes: { topics: [] } }).success).toBe(false);
  });
});
