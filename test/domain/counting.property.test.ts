/**
 * Property tests of the counting rules against a naive reference: the rules of docs/counting.md
 * written out in the most obvious way, with nested loops over a fully materialised list and no
 * code shared with counting.ts beyond the event and local-date helpers.
 */
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { countPeriod, countRecords, resolveRecords, type Figures } from '../../src/domain/counting.ts';
import { compareEvents, type EventOf, type FootfallEvent } from '../../src/domain/events.ts';
import { periodRange, type DateRange, type Period } from '../../src/domain/periods.ts';
import { formatLocalDate, localDateOf, parseLocalDate } from '../../src/domain/time.ts';
import { addService, checkIn, contact, correct, merge, register, removeService, session, v7Id, voidRecord } from './fixtures.ts';

// ---------------------------------------------------------------------------------------------
// The reference

interface RefVisit {
  woman: string | null;
  site: string;
  date: string;
  services: string[];
}

interface RefOther {
  kind: 'outreach' | 'casework';
  woman: string | null;
  date: string;
  area: string;
  referrals: string[];
}

function referenceCount(events: FootfallEvent[], timeZone: string, range: DateRange): Figures {
  // An event delivered twice is the same event.
  const unique: FootfallEvent[] = [];
  for (const e of events) if (!unique.some((u) => u.id === e.id)) unique.push(e);

  // Two women are one if a path of merges, in either direction, joins them. The smallest id of
  // the group stands for it.
  const merges = unique.filter((e): e is EventOf<'woman.merged'> => e.type === 'woman.merged');
  const groupOf = (woman: string): string => {
    const group = [woman];
    for (let i = 0; i < group.length; i++) {
      for (const m of merges) {
        if (m.womanId === group[i] && !group.includes(m.intoId)) group.push(m.intoId);
        if (m.intoId === group[i] && !group.includes(m.womanId)) group.push(m.womanId);
      }
    }
    return group.sort()[0] as string;
  };

  // Every check-in, with all the changes aimed at it applied from oldest to latest.
  const visits: RefVisit[] = [];
  for (const e of unique) {
    if (e.type !== 'visit.checkedIn') continue;
    const changes = unique
      .filter(
        (c) =>
          ((c.type === 'visit.serviceAdded' || c.type === 'visit.serviceRemoved') && c.visitId === e.id) ||
          ((c.type === 'record.corrected' || c.type === 'record.voided') && c.targetId === e.id),
      )
      .sort(compareEvents);
    if (changes.some((c) => c.type === 'record.voided')) continue;
    let { womanId, siteId, occurredAt, services } = e;
    for (const c of changes) {
      if (c.type === 'visit.serviceAdded') services = [...services, c.service];
      if (c.type === 'visit.serviceRemoved') services = services.filter((s) => s !== c.service);
      if (c.type === 'record.corrected') {
        if ('womanId' in c.changes) womanId = c.changes.womanId ?? null;
        if (c.changes.siteId) siteId = c.changes.siteId;
        if (c.changes.occurredAt) occurredAt = c.changes.occurredAt;
        if (c.changes.services) services = c.changes.services;
      }
    }
    visits.push({
      woman: womanId === null ? null : groupOf(womanId),
      site: siteId,
      date: localDateOf(occurredAt, timeZone),
      services,
    });
  }

  // Every outreach contact and casework session, corrected the same way. Services added or
  // removed mean nothing to them, and a session's woman is never corrected to nobody.
  const others: RefOther[] = [];
  for (const e of unique) {
    if (e.type !== 'outreach.contacted' && e.type !== 'casework.session') continue;
    const changes = unique
      .filter((c) => (c.type === 'record.corrected' || c.type === 'record.voided') && c.targetId === e.id)
      .sort(compareEvents);
    if (changes.some((c) => c.type === 'record.voided')) continue;
    let { womanId, occurredAt, referrals } = e as { womanId: string | null; occurredAt: string; referrals: string[] };
    let area = e.type === 'outreach.contacted' ? e.area : '';
    for (const c of changes) {
      if (c.type !== 'record.corrected') continue;
      if ('womanId' in c.changes && (e.type === 'outreach.contacted' || c.changes.womanId)) womanId = c.changes.womanId ?? null;
      if (c.changes.occurredAt) occurredAt = c.changes.occurredAt;
      if (c.changes.referrals) referrals = c.changes.referrals;
      if (c.changes.area && e.type === 'outreach.contacted') area = c.changes.area;
    }
    others.push({
      kind: e.type === 'outreach.contacted' ? 'outreach' : 'casework',
      woman: womanId === null ? null : groupOf(womanId),
      date: localDateOf(occurredAt, timeZone),
      area,
      referrals,
    });
  }

  const firstDateOf = (woman: string): string =>
    [...visits, ...others]
      .filter((v) => v.woman === woman)
      .map((v) => v.date)
      .sort()[0] as string;

  const countIn = (from: string, to: string) => {
    // Same woman, site and date: one visit with the union of services. Anonymous: one each.
    const counted: RefVisit[] = [];
    for (const v of visits) {
      if (v.date < from || v.date > to) continue;
      const same = v.woman === null ? undefined : counted.find((c) => c.woman === v.woman && c.site === v.site && c.date === v.date);
      if (same) same.services = [...same.services, ...v.services];
      else counted.push({ ...v, services: [...v.services] });
    }
    const inRange = others.filter((o) => o.date >= from && o.date <= to);
    const women = [...new Set([...counted, ...inRange].map((c) => c.woman).filter((w) => w !== null))];
    return {
      counted,
      inRange,
      outreachContacts: inRange.filter((o) => o.kind === 'outreach').length,
      visits: counted.length,
      anonymousVisits: counted.filter((c) => c.woman === null).length,
      uniqueWomen: women.length,
      newWomen: women.filter((w) => firstDateOf(w) >= from).length,
    };
  };

  const all = countIn(range.from, range.to);
  const services: Record<string, number> = {};
  for (const s of new Set(all.counted.flatMap((c) => c.services))) {
    services[s] = all.counted.filter((c) => c.services.includes(s)).length;
  }
  const bySite: Figures['bySite'] = {};
  for (const site of new Set(all.counted.map((c) => c.site))) {
    const here = all.counted.filter((c) => c.site === site);
    bySite[site] = {
      visits: here.length,
      anonymousVisits: here.filter((c) => c.woman === null).length,
      uniqueWomen: new Set(here.map((c) => c.woman).filter((w) => w !== null)).size,
    };
  }
  const byMonth: Figures['byMonth'] = {};
  for (const date of daysOf(range)) {
    const month = date.slice(0, 7);
    if (byMonth[month]) continue;
    const lastDay = daysOf(range).filter((d) => d.startsWith(month)).pop() as string;
    const m = countIn(date, lastDay);
    byMonth[month] = {
      visits: m.visits,
      anonymousVisits: m.anonymousVisits,
      uniqueWomen: m.uniqueWomen,
      newWomen: m.newWomen,
      outreachContacts: m.outreachContacts,
    };
  }
  const contacts = all.inRange.filter((o) => o.kind === 'outreach');
  const sessions = all.inRange.filter((o) => o.kind === 'casework');
  const referrals: Record<string, number> = {};
  for (const d of new Set(all.inRange.flatMap((o) => o.referrals))) {
    referrals[d] = all.inRange.filter((o) => o.referrals.includes(d)).length;
  }
  const byArea: Record<string, number> = {};
  for (const a of new Set(contacts.map((c) => c.area))) byArea[a] = contacts.filter((c) => c.area === a).length;
  const supported = [
    ...all.counted.filter((c) => c.services.includes('advice')).map((c) => c.woman),
    ...sessions.map((s) => s.woman),
  ].filter((w) => w !== null);
  return {
    visits: all.visits,
    anonymousVisits: all.anonymousVisits,
    identifiedVisits: all.visits - all.anonymousVisits,
    uniqueWomen: all.uniqueWomen,
    newWomen: all.newWomen,
    services,
    outreachContacts: contacts.length,
    womenReached: new Set(contacts.map((c) => c.woman).filter((w) => w !== null)).size,
    unknownContacts: contacts.filter((c) => c.woman === null).length,
    caseworkSessions: sessions.length,
    womenSupported: new Set(supported).size,
    referrals,
    byArea,
    bySite,
    byMonth,
  };
}

function daysOf(range: DateRange): string[] {
  const days: string[] = [];
  const [y, m, d] = parseLocalDate(range.from);
  for (let i = 0; ; i++) {
    const t = new Date(Date.UTC(y, m - 1, d + i));
    const date = formatLocalDate(t.getUTCFullYear(), t.getUTCMonth() + 1, t.getUTCDate());
    if (date > range.to) return days;
    days.push(date);
  }
}

// ---------------------------------------------------------------------------------------------
// Random histories

const SITES = ['north', 'south'] as const;
const SERVICES = ['meal', 'shower', 'laundry', 'advice'] as const;
const AREAS = ['camden', 'westminster', 'city-of-london'] as const;
const PLACES = ['street', 'hostel'] as const;
const NEEDS = ['food', 'housing', 'safety'] as const;
const SUPPORT = ['food', 'hygiene-kit', 'advice'] as const;
const DESTINATIONS = ['gp', 'police', 'housing-options'] as const;
const TOPICS = ['housing', 'benefits', 'safety'] as const;
const OUTCOMES = ['advice-given', 'resolved'] as const;
const WOMEN = [1, 2, 3].map((i) => v7Id(1_000_000 + i));
const TIME_ZONES = ['Europe/London', 'Europe/London', 'America/New_York', 'Asia/Kathmandu', 'Australia/Lord_Howe'];

/** Instants where dates are easy to get wrong: clock changes, new year, the financial year's start. */
const EDGES = [
  '2024-03-31T01:00:00Z',
  '2024-03-31T23:00:00Z',
  '2024-10-27T01:00:00Z',
  '2024-12-31T23:30:00Z',
  '2025-03-30T01:00:00Z',
  '2025-03-31T23:00:00Z',
  '2025-10-26T01:00:00Z',
  '2025-12-31T23:30:00Z',
].map(Date.parse);
const EARLIEST = Date.parse('2023-12-01T00:00:00Z');
const LATEST = Date.parse('2026-05-01T00:00:00Z');
const HOUR = 3_600_000;

/**
 * Instants mostly within 30 hours of one of a history's few edges, so that women meet
 * themselves on the same local date and site often; sometimes anywhere in the years around.
 */
function instantNear(edges: number[]): fc.Arbitrary<string> {
  return fc
    .oneof(
      { weight: 5, arbitrary: fc.tuple(fc.constantFrom(...edges), fc.integer({ min: -30 * 60, max: 30 * 60 })).map(([t, min]) => t + min * 60_000) },
      { weight: 1, arbitrary: fc.integer({ min: EARLIEST, max: LATEST }) },
    )
    .map((ms) => new Date(ms).toISOString());
}

const woman = fc.option(fc.constantFrom(...WOMEN), { freq: 4, nil: null });
const site = fc.constantFrom(...SITES);
const services = fc.subarray([...SERVICES]);
const service = fc.constantFrom(...SERVICES);
const area = fc.constantFrom(...AREAS);
const place = fc.constantFrom(...PLACES);
const needs = fc.subarray([...NEEDS]);
const support = fc.subarray([...SUPPORT]);
const referrals = fc.array(fc.constantFrom(...DESTINATIONS), { maxLength: 4 });
const topics = fc.subarray([...TOPICS], { minLength: 1 });
const outcome = fc.constantFrom(...OUTCOMES);
/**
 * An index into the history's records (check-ins, contacts and sessions); the one past the end is
 * a record that does not exist.
 */
const target = fc.nat();

function commandNear(edges: number[]) {
  const instant = instantNear(edges);
  // Device times are often equal, so that ties are broken by id.
  const at = fc.oneof(instant, fc.constantFrom('2025-01-01T12:00:00.000Z', '2025-06-01T12:00:00.000Z'));
  return fc.oneof(
    { weight: 6, arbitrary: fc.record({ kind: fc.constant('checkIn' as const), occurredAt: instant, woman, site, services, at }) },
    {
      weight: 3,
      arbitrary: fc.record({
        kind: fc.constant('contact' as const),
        occurredAt: instant,
        woman,
        area,
        place,
        needs,
        support,
        referrals,
        at,
      }),
    },
    {
      weight: 2,
      arbitrary: fc.record({
        kind: fc.constant('session' as const),
        occurredAt: instant,
        woman: fc.constantFrom(...WOMEN),
        topics,
        referrals,
        outcome,
        at,
      }),
    },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('add' as const), target, service, at }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('remove' as const), target, service, at }) },
    {
      weight: 3,
      arbitrary: fc.record({
        kind: fc.constant('correct' as const),
        target,
        changes: fc
          .record(
            { occurredAt: instant, womanId: woman, siteId: site, services, area, place, needs, support, referrals, topics, outcome },
            { requiredKeys: [] },
          )
          .filter((c) => Object.keys(c).length > 0),
        at,
      }),
    },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('void' as const), target, at }) },
    {
      weight: 2,
      arbitrary: fc
        .record({ kind: fc.constant('merge' as const), from: fc.constantFrom(...WOMEN), into: fc.constantFrom(...WOMEN), at })
        .filter((m) => m.from !== m.into),
    },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('register' as const), woman: fc.constantFrom(...WOMEN), at }) },
  );
}
type Command = ReturnType<typeof commandNear> extends fc.Arbitrary<infer C> ? C : never;

/** Turns commands into valid events. Ids are given in command order, so they need not follow device time. */
function historyOf(commands: Command[]): FootfallEvent[] {
  const ids = commands.map((_, i) => v7Id(i + 1));
  const created = ids.filter((_, i) => ['checkIn', 'contact', 'session'].includes(commands[i]?.kind as string));
  const targetOf = (n: number) => created[n % (created.length + 1)] ?? v7Id(999_999);
  return commands.map((c, i): FootfallEvent => {
    const id = ids[i] as string;
    switch (c.kind) {
      case 'checkIn':
        return checkIn({ id, occurredAt: c.occurredAt, woman: c.woman, site: c.site, services: c.services, at: c.at });
      case 'contact':
        return contact({ id, ...c });
      case 'session':
        return session({ id, ...c });
      case 'add':
        return addService(targetOf(c.target), c.service, c.at, id);
      case 'remove':
        return removeService(targetOf(c.target), c.service, c.at, id);
      case 'correct':
        return correct(targetOf(c.target), c.changes, c.at, id);
      case 'void':
        return voidRecord(targetOf(c.target), c.at, id);
      case 'merge':
        return merge(c.from, c.into, c.at, id);
      case 'register':
        return register(c.woman, c.at, id);
    }
  });
}

/** A history near one or two edges, shuffled, with some events delivered more than once. */
function historyNear(edges: number[]): fc.Arbitrary<FootfallEvent[]> {
  return fc
    .tuple(fc.array(commandNear(edges), { minLength: 1, maxLength: 60, size: 'medium' }), fc.array(fc.nat(), { maxLength: 5 }))
    .map(([commands, copies]) => {
      const events = historyOf(commands);
      if (events.length === 0) return events;
      return [...events, ...copies.map((n) => structuredClone(events[n % events.length] as FootfallEvent))];
    })
    .chain((events) => fc.shuffledSubarray(events, { minLength: events.length, maxLength: events.length }));
}

const year = fc.integer({ min: 2023, max: 2026 });
const period: fc.Arbitrary<Period> = fc.oneof(
  fc.record({ kind: fc.constant('financialYear' as const), startYear: year }),
  fc.record({ kind: fc.constant('calendarYear' as const), year }),
  fc.record({ kind: fc.constant('quarter' as const), year, quarter: fc.integer({ min: 1, max: 4 }) }),
  fc.record({ kind: fc.constant('month' as const), year, month: fc.integer({ min: 1, max: 12 }) }),
  fc
    .tuple(fc.date({ min: new Date(EARLIEST), max: new Date(LATEST), noInvalidDate: true }), fc.integer({ min: 0, max: 400 }))
    .map(([from, days]) => {
      const to = new Date(from.getTime() + days * 24 * HOUR);
      return { kind: 'custom' as const, from: from.toISOString().slice(0, 10), to: to.toISOString().slice(0, 10) };
    }),
);
const periodRangeArb = fc.tuple(period, fc.integer({ min: 1, max: 12 })).map(([p, startMonth]) => periodRange(p, startMonth));

/** A few days around an edge, where an off-by-one local date shows. */
function rangeNear(edges: number[]): fc.Arbitrary<DateRange> {
  const near = fc
    .tuple(fc.constantFrom(...edges), fc.integer({ min: -3, max: 1 }), fc.integer({ min: 0, max: 4 }))
    .map(([t, start, days]) => {
      const from = new Date(t + start * 24 * HOUR);
      const to = new Date(from.getTime() + days * 24 * HOUR);
      return { from: from.toISOString().slice(0, 10), to: to.toISOString().slice(0, 10) };
    });
  return fc.oneof({ weight: 1, arbitrary: periodRangeArb }, { weight: 3, arbitrary: near });
}

/** A history near one or two edges, and a range to count it over. */
const scenario = fc
  .subarray(EDGES, { minLength: 1, maxLength: 2 })
  .chain((edges) => fc.record({ events: historyNear(edges), range: rangeNear(edges) }));
const timeZone = fc.constantFrom(...TIME_ZONES);

// ---------------------------------------------------------------------------------------------

describe('counting, against the naive reference', () => {
  it('gives the same figures for any history, period and time zone', () => {
    fc.assert(
      fc.property(scenario, timeZone, ({ events, range }, tz) => {
        expect(countPeriod(events, { timeZone: tz }, range)).toEqual(referenceCount(events, tz, range));
      }),
      { numRuns: 400 },
    );
  });
});

describe('counting properties', () => {
  const config = { timeZone: 'Europe/London' };
  const byId = (a: { id: string }, b: { id: string }) => (a.id < b.id ? -1 : 1);

  it('does not depend on the order events arrive in', () => {
    const shuffledScenario = scenario.chain((s) =>
      fc
        .shuffledSubarray(s.events, { minLength: s.events.length, maxLength: s.events.length })
        .map((shuffled) => ({ ...s, shuffled })),
    );
    fc.assert(
      fc.property(shuffledScenario, ({ events, shuffled, range }) => {
        expect(countPeriod(shuffled, config, range)).toEqual(countPeriod(events, config, range));
        expect(resolveRecords(shuffled, config).sort(byId)).toEqual(resolveRecords(events, config).sort(byId));
      }),
    );
  });

  it('does not change when any event is delivered again', () => {
    fc.assert(
      fc.property(scenario, fc.nat(), fc.nat(), ({ events, range }, which, where) => {
        fc.pre(events.length > 0);
        const twice = [...events];
        twice.splice(where % (events.length + 1), 0, structuredClone(events[which % events.length] as FootfallEvent));
        expect(countPeriod(twice, config, range)).toEqual(countPeriod(events, config, range));
      }),
    );
  });

  it('keeps the figures consistent with each other, and months and sites add up to the total', () => {
    type Part = { visits: number; anonymousVisits: number; newWomen?: number; outreachContacts?: number };
    const sum = (parts: Record<string, Part>, key: keyof Part) => Object.values(parts).reduce((n, p) => n + (p[key] ?? 0), 0);
    fc.assert(
      fc.property(scenario, ({ events, range }) => {
        const f = countPeriod(events, config, range);
        expect(f.visits).toBe(f.identifiedVisits + f.anonymousVisits);
        const identifiedContacts = f.outreachContacts - f.unknownContacts;
        expect(f.uniqueWomen).toBeLessThanOrEqual(f.identifiedVisits + identifiedContacts + f.caseworkSessions);
        expect(f.womenReached).toBeLessThanOrEqual(identifiedContacts);
        expect(f.womenReached).toBeLessThanOrEqual(f.uniqueWomen);
        expect(f.womenSupported).toBeLessThanOrEqual(f.uniqueWomen);
        expect(f.womenSupported).toBeLessThanOrEqual((f.services['advice'] ?? 0) + f.caseworkSessions);
        expect(Object.values(f.byArea).reduce((n, c) => n + c, 0)).toBe(f.outreachContacts);
        for (const n of Object.values(f.referrals)) expect(n).toBeLessThanOrEqual(f.outreachContacts + f.caseworkSessions);
        expect(sum(f.byMonth, 'outreachContacts')).toBe(f.outreachContacts);
        expect(f.newWomen).toBeLessThanOrEqual(f.uniqueWomen);
        for (const n of Object.values(f.services)) expect(n).toBeLessThanOrEqual(f.visits);
        expect(sum(f.bySite, 'visits')).toBe(f.visits);
        expect(sum(f.bySite, 'anonymousVisits')).toBe(f.anonymousVisits);
        for (const s of Object.values(f.bySite)) expect(s.uniqueWomen).toBeLessThanOrEqual(f.uniqueWomen);
        expect(sum(f.byMonth, 'visits')).toBe(f.visits);
        expect(sum(f.byMonth, 'anonymousVisits')).toBe(f.anonymousVisits);
        expect(sum(f.byMonth, 'newWomen')).toBe(f.newWomen);
        for (const m of Object.values(f.byMonth)) expect(m.uniqueWomen).toBeLessThanOrEqual(f.uniqueWomen);
      }),
    );
  });

  it('counts a financial year as the sum of its months counted one by one', () => {
    fc.assert(
      fc.property(scenario, year, fc.integer({ min: 1, max: 12 }), ({ events }, startYear, startMonth) => {
        const records = resolveRecords(events, config);
        const whole = countRecords(records, periodRange({ kind: 'financialYear', startYear }, startMonth));
        let visits = 0;
        let newWomen = 0;
        let contacts = 0;
        let sessions = 0;
        for (let i = 0; i < 12; i++) {
          const month: Period = {
            kind: 'month',
            year: startYear + Math.floor((startMonth - 1 + i) / 12),
            month: ((startMonth - 1 + i) % 12) + 1,
          };
          const m = countRecords(records, periodRange(month, startMonth));
          visits += m.visits;
          newWomen += m.newWomen;
          contacts += m.outreachContacts;
          sessions += m.caseworkSessions;
          expect(m.uniqueWomen).toBeLessThanOrEqual(whole.uniqueWomen);
        }
        expect(visits).toBe(whole.visits);
        expect(newWomen).toBe(whole.newWomen);
        expect(contacts).toBe(whole.outreachContacts);
        expect(sessions).toBe(whole.caseworkSessions);
      }),
    );
  });
});
