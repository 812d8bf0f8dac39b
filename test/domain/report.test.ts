import { describe, it, expect } from 'vitest';
import { buildReport, resolveHistory, statement, type ExactReport, type ReportSection } from '../../src/domain/report.ts';
import type { Figures } from '../../src/domain/counting.ts';
import { A, B, C, CONFIG, HISTORY } from './reportFixture.ts';
import { checkIn, newId } from './fixtures.ts';

const history = resolveHistory(HISTORY, CONFIG);
const report = buildReport(history, CONFIG, { kind: 'financialYear', startYear: 2025 });

const section = (r: ExactReport, id: string): ReportSection<number> => {
  const s = r.sections.find((x) => x.id === id);
  if (!s) throw new Error(`no section ${id}`);
  return s;
};
/** category (or figure) → [current, previous] */
const rows = (s: ReportSection<number>) =>
  Object.fromEntries(s.rows.map((r) => [r.category ?? r.figure, [r.current, r.previous]]));
const nonZero = (s: ReportSection<number>) =>
  Object.fromEntries(s.rows.filter((r) => r.current > 0 || r.previous > 0).map((r) => [r.category ?? r.figure, [r.current, r.previous]]));

describe('buildReport on the hand-computed history', () => {
  it('labels the period and the same period last year', () => {
    expect(report.period).toMatchObject({ label: '2025/26', from: '2025-04-01', to: '2026-03-31' });
    expect(report.previousPeriod).toMatchObject({ label: '2024/25', from: '2024-04-01', to: '2025-03-31' });
  });

  it('counts every figure of 2025/26 as worked out by hand', () => {
    const expected: Figures = {
      // c1, c2, c3+c4 (merged: one visit), c5+c6 (one visit across the clocks going back), c7, c8 (corrected into
      // the year), c9, c10, c11 anonymous; c12 voided; p3 at 23:30 BST on 31 March belongs to last year.
      visits: 9,
      anonymousVisits: 3,
      identifiedVisits: 6,
      uniqueWomen: 4, // A (with D), B, C, F (outreach only)
      newWomen: 2, // C (first in August), F (first by outreach); A and B were first seen last year
      services: { advice: 1, clothes: 1, laundry: 1, meal: 5, shower: 3 },
      outreachContacts: 2,
      womenReached: 1,
      unknownContacts: 1,
      caseworkSessions: 2,
      womenSupported: 2, // B (advice at a visit, and casework), C (casework)
      referrals: { gp: 2, 'housing-options': 1, police: 1 },
      byArea: { camden: 1, westminster: 1 },
      bySite: {
        north: { visits: 7, uniqueWomen: 3, anonymousVisits: 2 },
        south: { visits: 2, uniqueWomen: 1, anonymousVisits: 1 },
      },
      byMonth: {
        '2025-04': { visits: 1, uniqueWomen: 1, anonymousVisits: 0, newWomen: 0, outreachContacts: 0 },
        '2025-05': { visits: 0, uniqueWomen: 0, anonymousVisits: 0, newWomen: 0, outreachContacts: 0 },
        '2025-06': { visits: 1, uniqueWomen: 1, anonymousVisits: 0, newWomen: 0, outreachContacts: 0 },
        '2025-07': { visits: 1, uniqueWomen: 1, anonymousVisits: 0, newWomen: 0, outreachContacts: 0 },
        '2025-08': { visits: 1, uniqueWomen: 1, anonymousVisits: 0, newWomen: 1, outreachContacts: 0 },
        '2025-09': { visits: 0, uniqueWomen: 1, anonymousVisits: 0, newWomen: 1, outreachContacts: 2 },
        '2025-10': { visits: 1, uniqueWomen: 1, anonymousVisits: 0, newWomen: 0, outreachContacts: 0 },
        '2025-11': { visits: 0, uniqueWomen: 1, anonymousVisits: 0, newWomen: 0, outreachContacts: 0 },
        '2025-12': { visits: 0, uniqueWomen: 0, anonymousVisits: 0, newWomen: 0, outreachContacts: 0 },
        '2026-01': { visits: 0, uniqueWomen: 1, anonymousVisits: 0, newWomen: 0, outreachContacts: 0 },
        '2026-02': { visits: 0, uniqueWomen: 0, anonymousVisits: 0, newWomen: 0, outreachContacts: 0 },
        '2026-03': { visits: 4, uniqueWomen: 1, anonymousVisits: 3, newWomen: 0, outreachContacts: 0 },
      },
    };
    expect(report.figures).toEqual(expected);
  });

  it('counts last year beside it: new women then are new women now only if first seen now', () => {
    expect(report.previousFigures).toMatchObject({
      visits: 3, // p1, p2, p3 (23:30 BST on 31 March)
      uniqueWomen: 3,
      newWomen: 3,
      anonymousVisits: 0,
      services: { meal: 3, shower: 1 },
    });
    expect(rows(section(report, 'summary'))).toEqual({
      visits: [9, 3],
      uniqueWomen: [4, 3],
      newWomen: [2, 3],
      anonymousVisits: [3, 0],
    });
  });

  it('lists every configured service and destination, and the areas with contacts, by label in configured order', () => {
    const services = section(report, 'services');
    expect(services.rows.map((r) => [r.label, r.current, r.previous])).toEqual([
      ['Meal', 5, 3],
      ['Shower', 3, 1],
      ['Laundry', 1, 0],
      ['Clean clothes', 1, 0],
      ['Advice', 1, 0],
    ]);
    expect(nonZero(section(report, 'referrals'))).toEqual({ gp: [2, 0], police: [1, 0], 'housing-options': [1, 0] });
    expect(section(report, 'referrals').rows.find((r) => r.category === 'gp')?.label).toBe('GP');
    const areas = report.tables.find((t) => t.id === 'areas')!;
    // Thirty-three boroughs would bury the two that had contacts. F was met in Camden; o2's woman was not known.
    expect(areas.rows.map((r) => [r.label, r.cells.map((c) => [c.current, c.previous])])).toEqual([
      ['Camden', [[1, 0], [1, 0]]],
      ['Westminster', [[1, 0], [0, 0]]],
    ]);
    expect(areas.columns).toEqual([
      { figure: 'byArea', label: 'Contacts', adds: 'sum' },
      { figure: 'womenByArea', label: 'Women reached', adds: 'atLeast' },
    ]);
    expect(areas.totals).toEqual([{ current: 2, previous: 0 }, { current: 1, previous: 0 }]);
    expect(rows(section(report, 'outreach'))).toEqual({
      outreachContacts: [2, 0],
      womenReached: [1, 0],
      unknownContacts: [1, 0],
    });
    expect(rows(section(report, 'casework'))).toEqual({ womenSupported: [2, 0], caseworkSessions: [2, 0], caseworkWomen: [2, 0] });
  });

  it('breaks women down by what their directory entries say now, merged and erased entries included', () => {
    // A (merged with D): 18-24 (hers wins over D's 25-34), housing "hostel" filled in from D.
    // B: age not known, ethnicity prefers not to say. C: nothing recorded. F: erased, so nothing.
    // Last year: A, B, E (25-34 updated to 35-44).
    const age = section(report, 'women.ageBand');
    expect(nonZero(age)).toEqual({
      '18-24': [1, 1],
      '35-44': [0, 1],
      'not-known': [1, 1],
      'not-recorded': [2, 0],
    });
    expect(age.rows.slice(-3).map((r) => r.label)).toEqual(['Not known', 'Prefers not to say', 'Not recorded']);
    expect(age.rows.find((r) => r.category === '65-plus')?.label).toBe('65 and over');
    expect(age.total).toMatchObject({ figure: 'uniqueWomen', current: 4, previous: 3 });
    expect(age.adds).toBe('sum');
    // Last year's A counts by what her entry says now, hostel included.
    expect(nonZero(section(report, 'women.housing'))).toEqual({ hostel: [1, 1], 'not-recorded': [3, 2] });
    expect(nonZero(section(report, 'women.ethnicity'))).toEqual({ 'prefers-not-to-say': [1, 1], 'not-recorded': [3, 2] });
    expect(nonZero(section(report, 'women.nationality'))).toEqual({ uk: [1, 1], 'not-recorded': [3, 2] });
    const exploitation = section(report, 'women.exploitation');
    expect(nonZero(exploitation)).toEqual({
      'street-sex-work': [1, 1],
      trafficking: [1, 1],
      'not-recorded': [3, 2],
    });
    expect(exploitation.adds).toBe('atLeast');
    expect(nonZero(section(report, 'women.referralSource'))).toEqual({ 'not-recorded': [4, 3] });
  });

  it('tables months beside the same months last year, and sites by name', () => {
    const months = report.tables.find((t) => t.id === 'months')!;
    expect(months.rows.map((r) => r.key)).toEqual(Object.keys(report.figures.byMonth));
    const march = months.rows.at(-1)!;
    expect(march.label).toBe('Mar 2026');
    expect(months.columns.map((c) => c.figure)).toEqual(['visits', 'uniqueWomen', 'newWomen', 'anonymousVisits', 'outreachContacts']);
    // March 2026: c8, c9, c10, c11; March 2025: p3.
    expect(march.cells[0]).toEqual({ current: 4, previous: 1 });
    expect(months.rows[0]!.cells[0]).toEqual({ current: 1, previous: 0 }); // April: c1 at 00:30 BST on 1 April
    expect(months.totals[0]).toEqual({ current: 9, previous: 3 });
    const sites = report.tables.find((t) => t.id === 'sites')!;
    expect(sites.rows.map((r) => [r.label, r.cells.map((c) => c.current)])).toEqual([
      ['North Centre', [7, 3, 2]],
      ['South Centre', [2, 1, 1]],
    ]);
    expect(sites.totals[1]).toEqual({ current: 3, previous: 3 }); // women who visited: A, B, C
  });

  it('says the year in one line, and says "worked with" when some women were met only outside the drop-in', () => {
    expect(report.statement).toBe('In 2025/26 we welcomed 9 visits and worked with 4 women.');
    const lastYear = buildReport(history, CONFIG, { kind: 'financialYear', startYear: 2024 });
    expect(lastYear.statement).toBe('In 2024/25 we welcomed 3 visits from 3 women.');
  });

  it('keeps a daylight-saving day whole: 29 March 2026 has both anonymous check-ins either side of 01:00 GMT', () => {
    const day = buildReport(history, CONFIG, { kind: 'custom', from: '2026-03-29', to: '2026-03-29' });
    expect(day.figures.visits).toBe(2);
    const autumn = buildReport(history, CONFIG, { kind: 'custom', from: '2025-10-26', to: '2025-10-26' });
    expect(autumn.figures).toMatchObject({ visits: 1, uniqueWomen: 1, services: { meal: 1, shower: 1 } });
    const boundary = buildReport(history, CONFIG, { kind: 'custom', from: '2025-04-01', to: '2025-04-01' });
    expect(boundary.figures).toMatchObject({ visits: 1, uniqueWomen: 1 });
    expect(boundary.previousPeriod).toMatchObject({ from: '2024-04-01', to: '2024-04-01' });
  });

  it('carries the definitions of every figure it shows', () => {
    const defined = new Set(report.definitions.map((d) => d.figure));
    for (const s of report.sections) for (const r of s.rows) expect(defined).toContain(r.figure);
    for (const t of report.tables) {
      for (const c of t.columns) expect(defined).toContain(c.figure);
      if (t.figure) expect(defined).toContain(t.figure);
    }
    expect(report.tables.map((t) => t.figure)).toEqual(['byMonth', 'bySite', undefined, undefined, undefined, undefined, undefined, undefined]);
  });

  it('counts women as their merged and canonical selves in the breakdowns', () => {
    expect(history.women.has(A)).toBe(true);
    expect(history.women.get(A)?.details).toEqual({
      ageBand: '18-24',
      nationality: 'uk',
      exploitation: ['trafficking', 'street-sex-work'],
      housing: 'hostel',
    });
    expect(history.women.has(B) && history.women.has(C)).toBe(true);
  });
});

describe('statement', () => {
  const exact = (n: number) => ({ text: n.toLocaleString('en-GB'), one: n === 1, none: n === 0 });
  it.each([
    [1312, 604, true, 'In 2025/26 we welcomed 1,312 visits from 604 women.'],
    [1, 1, true, 'In 2025/26 we welcomed 1 visit from 1 woman.'],
    [2, 1, true, 'In 2025/26 we welcomed 2 visits from 1 woman.'],
    [1_000_000, 12_345, false, 'In 2025/26 we welcomed 1,000,000 visits and worked with 12,345 women.'],
    [7, 0, true, 'In 2025/26 we welcomed 7 visits.'],
    [0, 3, false, 'In 2025/26 we worked with 3 women.'],
    [0, 0, true, 'In 2025/26 we recorded no visits.'],
  ])('%d visits, %d women → %s', (visits, women, allVisited, text) => {
    expect(statement('2025/26', visits, women, allVisited, exact)).toBe(text);
  });

  it('is built from the figures, with thousands separators', () => {
    const events = Array.from({ length: 1312 }, (_, i) =>
      checkIn({ occurredAt: `2025-05-${String((i % 28) + 1).padStart(2, '0')}T10:00:00Z`, woman: i < 604 ? newId() : null }),
    );
    const r = buildReport(resolveHistory(events, CONFIG), CONFIG, { kind: 'financialYear', startYear: 2025 });
    expect(r.statement).toBe('In 2025/26 we welcomed 1,312 visits from 604 women.');
  });
});
