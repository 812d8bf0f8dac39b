/**
 * Everything the workers record is reported (docs/counting.md#needs-and-support): outreach by area
 * and kind of place, needs raised and support given, casework topics and outcomes, each as records
 * and as women; and a same period last year from before the first record is said to be not
 * recorded rather than shown as 0. Expected figures are worked out by hand from the comments of
 * TERMS_HISTORY in reportFixture.ts.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { countTerms, NOT_RECORDED, resolveRecords, type ResolvedRecord, type TermFigures } from '../../src/domain/counting.ts';
import { publishReport, SMALL, WITHHELD } from '../../src/domain/disclosure.ts';
import { buildReport, previousKnown, previousPeriodNote, resolveHistory, type ExactReport, type ReportTable } from '../../src/domain/report.ts';
import type { FootfallEvent } from '../../src/domain/events.ts';
import { periodRange, type Period } from '../../src/domain/periods.ts';
import { CONFIG, TERMS_HISTORY } from './reportFixture.ts';
import { checkIn, contact, merge, session, v7Id } from './fixtures.ts';

const history = resolveHistory(TERMS_HISTORY, CONFIG);
const report = buildReport(history, CONFIG, { kind: 'financialYear', startYear: 2025 });

function table(r: ExactReport, id: string): ReportTable<number> {
  const t = r.tables.find((x) => x.id === id);
  if (!t) throw new Error(`no table ${id}`);
  return t;
}

/** label → each column's [current, previous] */
const grid = (t: ReportTable<number>) => Object.fromEntries(t.rows.map((r) => [r.label, r.cells.map((c) => [c.current, c.previous])]));
const totals = (t: ReportTable<number>) => t.totals.map((c) => [c.current, c.previous]);

describe('countTerms on the hand-computed history', () => {
  it('counts 2025/26 as worked out by hand', () => {
    const expected: TermFigures = {
      byPlace: { hospital: 1, hostel: 1, phone: 1, street: 4 },
      womenByArea: { camden: 3, hackney: 2 },
      womenByPlace: { hospital: 1, hostel: 1, street: 2 },
      // Ana's three contacts raising housing (one as Dee) are three contacts and one woman.
      needs: { dental: 1, food: 2, health: 1, housing: 3, [NOT_RECORDED]: 2, safety: 1 },
      // Bea raised nothing at o4 but food at o6, so she is not "none recorded"; Cat raised nothing at all.
      womenByNeed: { food: 2, housing: 1, [NOT_RECORDED]: 1, safety: 1 },
      support: { advice: 1, food: 2, 'hygiene-kit': 1, [NOT_RECORDED]: 2, signposting: 1 },
      womenBySupport: { advice: 1, food: 2, 'hygiene-kit': 1 },
      topics: { benefits: 2, housing: 3, safety: 1 },
      womenByTopic: { benefits: 2, housing: 2, safety: 1 },
      outcomes: { 'advice-given': 1, closed: 1, [NOT_RECORDED]: 1, 'referral-made': 1, resolved: 1 },
      caseworkWomen: 3,
    };
    expect(report.termFigures).toEqual(expected);
  });

  it('counts last year beside it', () => {
    expect(report.previousTermFigures).toEqual({
      byPlace: { street: 1 },
      womenByArea: { camden: 1 },
      womenByPlace: { street: 1 },
      needs: { housing: 1 },
      womenByNeed: { housing: 1 },
      support: { food: 1 },
      womenBySupport: { food: 1 },
      topics: {},
      womenByTopic: {},
      outcomes: {},
      caseworkWomen: 0,
    });
  });

  it('counts a woman once per term however many of her contacts had it, and merged women once', () => {
    const [ana, dee] = [v7Id(500), v7Id(501)];
    const housing = (woman: string, day: string) => contact({ occurredAt: `2025-05-${day}T10:00:00Z`, woman, needs: ['housing'], support: [] });
    const records = resolveRecords([housing(ana, '01'), housing(ana, '02'), housing(dee, '03')], CONFIG);
    const range = { from: '2025-05-01', to: '2025-05-31' };
    expect(countTerms(records, range)).toMatchObject({ needs: { housing: 3 }, womenByNeed: { housing: 2 }, support: { [NOT_RECORDED]: 3 } });
    const merged = resolveRecords([housing(ana, '01'), housing(ana, '02'), housing(dee, '03'), merge(dee, ana, '2025-06-01T09:00:00Z')], CONFIG);
    expect(countTerms(merged, range)).toMatchObject({ needs: { housing: 3 }, womenByNeed: { housing: 1 }, womenBySupport: { [NOT_RECORDED]: 1 } });
    expect(countTerms(merged, { from: '2025-05-02', to: '2025-05-02' })).toMatchObject({ needs: { housing: 1 }, womenByNeed: { housing: 1 } });
  });
});

describe('the report of what outreach and casework recorded', () => {
  it('tables contacts and women reached by area (areas with contacts only) and by kind of place', () => {
    const areas = table(report, 'areas');
    expect(grid(areas)).toEqual({
      Camden: [[4, 1], [3, 1]],
      Hackney: [[2, 0], [2, 0]],
      Westminster: [[1, 0], [0, 0]],
    });
    expect(totals(areas)).toEqual([[7, 1], [3, 1]]);
    const places = table(report, 'places');
    expect(places.rows.map((r) => r.label)).toEqual(['Street', 'Hostel', 'Hospital', 'Police station', 'Premises', 'Phone', 'Other']);
    expect(grid(places)).toMatchObject({ Street: [[4, 1], [2, 1]], Hostel: [[1, 0], [1, 0]], Phone: [[1, 0], [0, 0]], Premises: [[0, 0], [0, 0]] });
    expect(totals(places)).toEqual([[7, 1], [3, 1]]);
    // Each contact has one area and one kind of place; a woman can be met in several.
    expect([...areas.columns, ...places.columns].map((c) => `${c.figure}:${c.adds}`)).toEqual([
      'byArea:sum',
      'womenByArea:atLeast',
      'byPlace:sum',
      'womenByPlace:atLeast',
    ]);
  });

  it('lists every configured need, then one counted but no longer configured, then contacts and women with none', () => {
    const needs = table(report, 'needs');
    expect(needs.rows.map((r) => [r.key, r.label])).toEqual([
      ['food', 'Food'],
      ['hygiene', 'Hygiene'],
      ['health', 'Health'],
      ['housing', 'Housing'],
      ['safety', 'Safety'],
      ['advice', 'Advice'],
      ['other', 'Other'],
      ['dental', 'dental'],
      [NOT_RECORDED, 'None recorded'],
    ]);
    expect(grid(needs)).toMatchObject({
      Food: [[2, 0], [2, 0]],
      Hygiene: [[0, 0], [0, 0]], // o6 raised hygiene until it was corrected to food
      Health: [[1, 0], [0, 0]], // an unknown woman: a contact, never a woman
      Housing: [[3, 1], [1, 1]],
      dental: [[1, 0], [0, 0]],
      'None recorded': [[2, 0], [1, 0]],
    });
    expect(totals(needs)).toEqual([[7, 1], [3, 1]]);
    expect(needs.columns.map((c) => [c.figure, c.label, c.adds])).toEqual([
      ['needs', 'Contacts', 'atLeast'],
      ['womenByNeed', 'Women', 'atLeast'],
    ]);
  });

  it('tables support given the same way', () => {
    const support = table(report, 'support');
    expect(support.rows.map((r) => r.label)).toEqual(['Food', 'Hygiene kit', 'Advice', 'Accompaniment', 'Signposting', 'Other', 'None recorded']);
    expect(grid(support)).toEqual({
      Food: [[2, 1], [2, 1]],
      'Hygiene kit': [[1, 0], [1, 0]],
      Advice: [[1, 0], [1, 0]],
      Accompaniment: [[0, 0], [0, 0]],
      Signposting: [[1, 0], [0, 0]],
      Other: [[0, 0], [0, 0]],
      'None recorded': [[2, 0], [0, 0]],
    });
    expect(totals(support)).toEqual([[7, 1], [3, 1]]);
  });

  it('tables casework sessions and women by topic, and sessions by outcome', () => {
    const topics = table(report, 'topics');
    expect(grid(topics)).toEqual({
      Housing: [[3, 0], [2, 0]],
      'Health and GP registration': [[0, 0], [0, 0]],
      'Drugs and alcohol': [[0, 0], [0, 0]],
      Benefits: [[2, 0], [2, 0]],
      'Legal and immigration advice': [[0, 0], [0, 0]],
      Safety: [[1, 0], [1, 0]],
      'Exiting (when she raises it)': [[0, 0], [0, 0]],
    });
    expect(totals(topics)).toEqual([[5, 0], [3, 0]]);
    expect(topics.columns.map((c) => c.adds)).toEqual(['atLeast', 'atLeast']);
    const outcomes = table(report, 'outcomes');
    expect(grid(outcomes)).toEqual({
      'Advice given': [[1, 0]],
      'Referral made': [[1, 0]],
      'Follow-up booked': [[0, 0]],
      Resolved: [[1, 0]],
      'Did not attend': [[0, 0]],
      closed: [[1, 0]],
      'Not recorded': [[1, 0]],
    });
    expect(outcomes.columns).toEqual([{ figure: 'outcomes', label: 'Sessions', adds: 'sum' }]);
    expect(totals(outcomes)).toEqual([[5, 0]]);
    const casework = report.sections.find((s) => s.id === 'casework')!;
    expect(casework.rows.find((r) => r.figure === 'caseworkWomen')).toMatchObject({ current: 3, previous: 0, label: 'Women with casework sessions' });
  });

  it('adds up each table as it says: exactly for one value per record, at least for several', () => {
    for (const t of report.tables.filter((x) => !['months', 'sites'].includes(x.id))) {
      t.columns.forEach((column, c) => {
        for (const which of ['current', 'previous'] as const) {
          const sum = t.rows.reduce((n, r) => n + r.cells[c]![which], 0);
          const total = t.totals[c]![which];
          if (column.adds === 'sum') expect(sum, `${t.id} ${column.figure}`).toBe(total);
          else expect(sum, `${t.id} ${column.figure}`).toBeGreaterThanOrEqual(total);
          for (const r of t.rows) expect(r.cells[c]![which]).toBeLessThanOrEqual(total);
        }
      });
    }
  });

  it('defines every new figure in plain words', () => {
    const defined = new Map(report.definitions.map((d) => [d.figure, d.text]));
    for (const figure of ['womenByArea', 'byPlace', 'womenByPlace', 'needs', 'womenByNeed', 'support', 'womenBySupport', 'topics', 'womenByTopic', 'outcomes', 'caseworkWomen']) {
      expect(defined.get(figure), figure).toMatch(/^[A-Z].*\.$/);
    }
  });

  it('is protected in publication mode like every other table', () => {
    const published = publishReport(report);
    const needs = published.tables.find((t) => t.id === 'needs')!;
    expect(needs.rows.map((r) => r.cells.map((c) => c.current))).toEqual(needs.rows.map((r) => r.cells.map(() => SMALL)));
    expect(needs.totals.map((c) => c.current)).toEqual(['5', SMALL]);
    // No published cell is a number under 5.
    for (const t of published.tables) {
      for (const r of t.rows) for (const c of r.cells) for (const v of [c.current, c.previous]) expect([SMALL, WITHHELD].includes(v) || Number(v) >= 5, v).toBe(true);
    }
  });
});

describe('the same period last year, before the first record', () => {
  const recorded = (events: FootfallEvent[], period: Period) =>
    buildReport(resolveHistory(events, CONFIG), CONFIG, period).previousPeriod.recorded;

  it('is recorded when it ends on or after the first record, and not when it ends before', () => {
    // The first record is o0 on 1 October 2024; Ana's registration a month earlier is not a record.
    expect(report.previousPeriod).toMatchObject({ label: '2024/25', recorded: true, recordedFrom: '2024-10-01' });
    expect(recorded(TERMS_HISTORY, { kind: 'financialYear', startYear: 2024 })).toBe(false);
    expect(recorded(TERMS_HISTORY, { kind: 'custom', from: '2025-10-01', to: '2025-10-01' })).toBe(true);
    expect(recorded(TERMS_HISTORY, { kind: 'custom', from: '2025-09-30', to: '2025-09-30' })).toBe(false);
    expect(recorded(TERMS_HISTORY, { kind: 'custom', from: '2025-09-15', to: '2025-09-15' })).toBe(false);
  });

  it('counts an anonymous visit as a record, and nothing at all as no record', () => {
    const anonymous = [checkIn({ occurredAt: '2024-06-01T10:00:00Z' })];
    expect(recorded(anonymous, { kind: 'financialYear', startYear: 2025 })).toBe(true);
    expect(recorded(anonymous, { kind: 'financialYear', startYear: 2024 })).toBe(false);
    expect(recorded([], { kind: 'financialYear', startYear: 2025 })).toBe(false);
  });

  it('says so in words every output prints', () => {
    const lastYear = buildReport(history, CONFIG, { kind: 'financialYear', startYear: 2024 });
    expect(previousPeriodNote(lastYear.previousPeriod)).toBe(
      'The same period last year, 2023/24 (2023-04-01 to 2024-03-31), ended before the first record held, so its figures are not known: they are shown as not recorded then, not as 0.',
    );
    // 2024/25 began before the first record (1 October 2024): it is counted from then only, and said so.
    expect(previousPeriodNote(report.previousPeriod)).toBe(
      'The same period last year, 2024/25 (2024-04-01 to 2025-03-31), began before the first record held (2024-10-01): its figures count only what was recorded from then, not the whole period.',
    );
    const fromTheFirst = buildReport(history, CONFIG, { kind: 'custom', from: '2025-10-01', to: '2025-10-31' });
    expect(fromTheFirst.previousPeriod).toMatchObject({ from: '2024-10-01', recorded: true, recordedFrom: null });
    expect(previousPeriodNote(fromTheFirst.previousPeriod)).toBeNull();
    // Published, it is the same period with the same flag.
    expect(publishReport(lastYear).previousPeriod).toEqual(lastYear.previousPeriod);
  });

  it('marks the months of last year before the first record, so they show as not recorded, not 0', () => {
    // 2024/25 was recorded from 1 October 2024: April to September 2024 were not recorded.
    const months = report.tables.find((t) => t.id === 'months')!;
    expect(months.rows.filter((r) => r.previousRecorded === false).map((r) => r.key)).toEqual(['2025-04', '2025-05', '2025-06', '2025-07', '2025-08', '2025-09']);
    expect(months.rows.filter((r) => previousKnown(report.previousPeriod, r))).toHaveLength(6);
    // A month last year holding the first record is known, counted from that day.
    expect(months.rows.find((r) => r.key === '2025-10')!.previousRecorded).toBeUndefined();
    // No other table is marked, and a year recorded in full or not at all marks no month.
    expect(report.tables.filter((t) => t.id !== 'months').flatMap((t) => t.rows).some((r) => 'previousRecorded' in r)).toBe(false);
    const lastYear = buildReport(history, CONFIG, { kind: 'financialYear', startYear: 2024 });
    const nextYear = buildReport(history, CONFIG, { kind: 'financialYear', startYear: 2026 });
    for (const whole of [lastYear, nextYear]) expect(whole.tables.flatMap((t) => t.rows).some((r) => 'previousRecorded' in r)).toBe(false);
    expect(previousKnown(lastYear.previousPeriod, months.rows.at(-1))).toBe(false);
    // Published, the marks stay on their rows.
    expect(publishReport(report).tables.find((t) => t.id === 'months')!.rows.map((r) => r.previousRecorded)).toEqual(months.rows.map((r) => r.previousRecorded));
  });
});

describe('countTerms against a naive reference', () => {
  const WOMEN = [1, 2, 3].map((n) => v7Id(9_000 + n));
  const TERMS = ['a', 'b', 'c'];
  const day = fc.integer({ min: 1, max: 28 }).map((d) => `2025-05-${String(d).padStart(2, '0')}T10:00:00Z`);
  const event = fc.oneof(
    fc.record({ occurredAt: day, woman: fc.option(fc.constantFrom(...WOMEN), { nil: null }), area: fc.constantFrom('camden', 'hackney'), place: fc.constantFrom('street', 'hostel'), needs: fc.subarray(TERMS), support: fc.subarray(TERMS) }).map((c) => contact(c)),
    fc.record({ occurredAt: day, woman: fc.constantFrom(...WOMEN), topics: fc.subarray(TERMS, { minLength: 1 }), outcome: fc.constantFrom('x', 'y') }).map((s) => session(s)),
  );

  /** Each figure written out in the most obvious way: filter, then count. */
  function reference(records: ResolvedRecord[], from: string, to: string): TermFigures {
    const inRange = records.filter((r) => r.date >= from && r.date <= to);
    const contacts = inRange.flatMap((r) => (r.kind === 'outreach' ? [r] : []));
    const sessions = inRange.flatMap((r) => (r.kind === 'casework' ? [r] : []));
    const keysOf = <R,>(rs: R[], terms: (r: R) => string[]) => [...new Set(rs.flatMap((r) => (terms(r).length > 0 ? terms(r) : [NOT_RECORDED])))];
    const recordsWith = <R,>(rs: R[], terms: (r: R) => string[]) =>
      Object.fromEntries(keysOf(rs, terms).map((k) => [k, rs.filter((r) => (terms(r).length > 0 ? terms(r) : [NOT_RECORDED]).includes(k)).length]));
    const womenWith = <R extends { womanId: string | null }>(rs: R[], terms: (r: R) => string[]) => {
      const known = rs.filter((r) => r.womanId !== null);
      const counts: Record<string, number> = {};
      for (const k of new Set(known.flatMap(terms))) counts[k] = new Set(known.filter((r) => terms(r).includes(k)).map((r) => r.womanId)).size;
      const none = new Set(known.map((r) => r.womanId)).size - new Set(known.filter((r) => terms(r).length > 0).map((r) => r.womanId)).size;
      if (none > 0) counts[NOT_RECORDED] = none;
      return counts;
    };
    return {
      byPlace: recordsWith(contacts, (c) => [c.place]),
      womenByArea: womenWith(contacts, (c) => [c.area]),
      womenByPlace: womenWith(contacts, (c) => [c.place]),
      needs: recordsWith(contacts, (c) => c.needs),
      womenByNeed: womenWith(contacts, (c) => c.needs),
      support: recordsWith(contacts, (c) => c.support),
      womenBySupport: womenWith(contacts, (c) => c.support),
      topics: recordsWith(sessions, (s) => s.topics),
      womenByTopic: womenWith(sessions, (s) => s.topics),
      outcomes: recordsWith(sessions, (s) => (s.outcome === null ? [] : [s.outcome])),
      caseworkWomen: new Set(sessions.map((s) => s.womanId)).size,
    };
  }

  it('agrees on every random history and range', () => {
    fc.assert(
      fc.property(fc.array(event, { maxLength: 40 }), fc.integer({ min: 1, max: 28 }), fc.integer({ min: 0, max: 27 }), (events, start, length) => {
        const records = resolveRecords(events, CONFIG);
        const range = periodRange({ kind: 'month', year: 2025, month: 5 }, 4);
        const from = `2025-05-${String(start).padStart(2, '0')}`;
        const to = `2025-05-${String(Math.min(28, start + length)).padStart(2, '0')}`;
        expect(countTerms(records, { from, to })).toEqual(reference(records, from, to));
        expect(countTerms(records, range)).toEqual(reference(records, range.from, range.to));
      }),
      { numRuns: 300 },
    );
  });
});
