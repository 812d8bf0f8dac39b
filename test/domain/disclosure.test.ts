import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { protect, publishReport, roundedTotal, SMALL, WITHHELD, type PublishedReport } from '../../src/domain/disclosure.ts';
import { buildReport, resolveHistory, type Adds } from '../../src/domain/report.ts';
import { FootfallEvent, NOT_KNOWN, PREFERS_NOT_TO_SAY } from '../../src/domain/events.ts';
import { CONFIG, HISTORY, registered } from './reportFixture.ts';
import { checkIn, contact, v7Id } from './fixtures.ts';

/**
 * What a reader who knows the rules can tell about each cell of a published group: the range of
 * values it could have. Written from the published text alone, independently of disclosure.ts.
 */
function feasibleRanges(cells: readonly string[], total: string, adds: Adds): ([number, number] | null)[] {
  const number = (text: string) => Number(text.replace(/,/g, ''));
  const [totalLo, totalHi] = total === SMALL ? [0, 4] : [Math.max(0, number(total) - 2), number(total) + 2];
  const anySmall = cells.includes(SMALL);
  const bound = (text: string): [number, number] =>
    text === SMALL ? [0, 4] : text === WITHHELD ? [anySmall ? 5 : 0, Infinity] : [number(text), number(text)];
  const bounds = cells.map(bound);
  return cells.map((text, j) => {
    if (text !== SMALL && text !== WITHHELD) return null;
    const others = bounds.filter((_, i) => i !== j);
    const othersLo = others.reduce((s, b) => s + b[0], 0);
    const othersHi = others.reduce((s, b) => s + b[1], 0);
    const [lo, hi] = bounds[j]!;
    // Every row is counted at least once in the total's cells: the cells make up at least the total.
    const min = Math.max(lo, totalLo - othersHi);
    // Each cell is at most the total; when each thing is in one row, the cells make up exactly the total.
    const max = Math.min(hi, totalHi, adds === 'sum' ? totalHi - othersLo : Infinity);
    return [min, max];
  });
}

/** Every problem a published group has: a small number shown, or a withheld cell that can be worked out. */
function problemsOf(cells: readonly string[], total: string, adds: Adds | 'none'): string[] {
  const problems: string[] = [];
  for (const text of [...cells, total]) {
    if (/^[\d,]+$/.test(text) && Number(text.replace(/,/g, '')) < 5) problems.push(`${text} is shown`);
  }
  if (adds === 'none') return problems;
  const withheld = cells.filter((c) => c === SMALL || c === WITHHELD).length;
  if (withheld === 1 && cells.length > 1) problems.push('exactly one cell is withheld');
  feasibleRanges(cells, total, adds).forEach((range, i) => {
    if (range && range[1] <= range[0]) problems.push(`cell ${i} (${cells[i]}) can only be ${range[0]}: ${cells.join(' ')} = ${total}`);
  });
  return problems;
}

/** Every group of a published report, read from its structure. */
function groupsOf(r: PublishedReport): { name: string; cells: string[]; total: string; adds: Adds | 'none' }[] {
  const groups = [];
  for (const s of r.sections) {
    for (const which of ['current', 'previous'] as const) {
      if (s.kind === 'breakdown' && s.total && s.adds) {
        groups.push({ name: `${s.id} ${which}`, cells: s.rows.map((row) => row[which]), total: s.total[which], adds: s.adds });
      } else {
        for (const row of s.rows) groups.push({ name: `${s.id} ${row.figure} ${which}`, cells: [], total: row[which], adds: 'none' as const });
      }
    }
  }
  for (const t of r.tables) {
    t.columns.forEach((column, c) => {
      for (const which of ['current', 'previous'] as const) {
        groups.push({
          name: `${t.id} ${column.figure} ${which}`,
          cells: t.rows.map((row) => row.cells[c]![which]),
          total: t.totals[c]![which],
          adds: column.adds,
        });
      }
    });
  }
  return groups;
}

describe('rounded totals', () => {
  it.each([
    [0, '<5'],
    [4, '<5'],
    [5, '5'],
    [7, '5'],
    [8, '10'],
    [1312, '1,310'],
    [1313, '1,315'],
  ])('%d is published as %s', (n, text) => expect(roundedTotal(n)).toBe(text));
});

describe('protect', () => {
  it.each<[number[], number, Adds | 'none', string[]]>([
    [[10, 20], 30, 'sum', ['10', '20']],
    // 3 could be worked out as 103 − 100 give or take rounding: 100 is withheld too.
    [[100, 3], 103, 'sum', [WITHHELD, SMALL]],
    // 0 is small too; the smallest other cell is withheld with it.
    [[10, 12, 0, 20], 42, 'sum', [WITHHELD, '12', SMALL, '20']],
    // Two small cells alone still leave each with many values.
    [[0, 3, 50], 53, 'sum', [SMALL, SMALL, '50']],
    // 4 + 4 = 8, published as 10: each could only be 4, so the group is withheld whole.
    [[4, 4], 8, 'sum', [WITHHELD, WITHHELD]],
    [[4, 4], 8, 'atLeast', [WITHHELD, WITHHELD]],
    // Withholding 5 alone does not help (it is known to be at least 5): 6 is withheld as well.
    // (112 rounds to 110, so at most 112: with 100 and 7 shown, the 0 could only be 0.)
    [[0, 5, 7, 100], 112, 'sum', [SMALL, WITHHELD, WITHHELD, '100']],
    [[3, 10], 13, 'none', [SMALL, '10']],
    [[3], 3, 'sum', [SMALL]],
  ])('%j of %d (%s) → %j', (values, total, adds, expected) => {
    const published = protect(values, total, adds);
    expect(published).toEqual(expected);
    expect(problemsOf(published, roundedTotal(total), adds)).toEqual([]);
  });

  it('never shows a number under 5, and never lets a withheld cell be worked out (any group)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.integer({ min: 0, max: 6 }), fc.integer({ min: 0, max: 60 })), { minLength: 1, maxLength: 12 }),
        fc.constantFrom<Adds | 'none'>('sum', 'atLeast', 'none'),
        fc.integer({ min: 0, max: 20 }),
        (values, adds, overlap) => {
          const sum = values.reduce((a, b) => a + b, 0);
          // With 'atLeast', rows overlap: the total is less than the sum but at least the largest cell.
          const total = adds === 'sum' ? sum : Math.max(Math.max(...values), sum - overlap);
          expect(problemsOf(protect(values, total, adds), roundedTotal(total), adds)).toEqual([]);
        },
      ),
      { numRuns: 2000 },
    );
  });
});

describe('publishReport', () => {
  const exact = buildReport(resolveHistory(HISTORY, CONFIG), CONFIG, { kind: 'financialYear', startYear: 2025 });
  const published = publishReport(exact);

  it('rounds totals and says the statement in published figures', () => {
    const summary = published.sections.find((s) => s.id === 'summary')!;
    expect(summary.rows.map((r) => [r.figure, r.current, r.previous])).toEqual([
      ['visits', '10', '<5'],
      ['uniqueWomen', '<5', '<5'],
      ['newWomen', '<5', '<5'],
      ['anonymousVisits', '<5', '<5'],
    ]);
    expect(published.statement).toBe('In 2025/26 we welcomed 10 visits and worked with fewer than 5 women.');
  });

  it('states the period, that it counts service contacts not prevalence, and what the marks mean', () => {
    const notes = published.notes.join('\n');
    expect(notes).toContain('2025/26 (2025-04-01 to 2026-03-31)');
    expect(notes).toContain('2024/25');
    expect(notes).toMatch(/service contacts/);
    expect(notes).toMatch(/prevalence/);
    expect(notes).toContain('"<5" means fewer than 5');
    expect(notes).toContain(`"${WITHHELD}" marks a figure withheld`);
    expect(published.definitions.length).toBeGreaterThan(10);
  });

  it('keeps the exact figures out of what it publishes', () => {
    expect(published).not.toHaveProperty('figures');
    expect(published).not.toHaveProperty('previousFigures');
    expect(published).not.toHaveProperty('womenWhoVisited');
    expect(groupsOf(published).flatMap((g) => problemsOf(g.cells, g.total, g.adds))).toEqual([]);
  });

  it('passes every group of a report of random histories', () => {
    const women = Array.from({ length: 40 }, (_, i) => v7Id(1_000_000 + i));
    const answer = (keys: string[]) => fc.option(fc.constantFrom(...keys, NOT_KNOWN, PREFERS_NOT_TO_SAY), { nil: undefined });
    const details = fc.record(
      {
        ageBand: answer(['18-24', '25-34', '35-44']),
        housing: answer(['rough-sleeping', 'hostel']),
        exploitation: fc.option(fc.subarray(['trafficking', 'off-street', 'street-sex-work']), { nil: undefined }),
      },
      { requiredKeys: [] },
    );
    const record = fc.record({
      kind: fc.constantFrom('visit', 'visit', 'visit', 'outreach'),
      woman: fc.option(fc.integer({ min: 0, max: 39 }), { freq: 4 }),
      day: fc.integer({ min: 0, max: 729 }),
      site: fc.constantFrom('north', 'south'),
      area: fc.constantFrom('camden', 'westminster', 'hackney'),
    });
    fc.assert(
      fc.property(fc.array(details, { minLength: 40, maxLength: 40 }), fc.array(record, { maxLength: 300 }), (profiles, records) => {
        const events: FootfallEvent[] = profiles.map((d, i) =>
          registered(women[i]!, '2024-01-01T10:00:00Z', Object.fromEntries(Object.entries(d).filter(([, v]) => v !== undefined))),
        );
        records.forEach((r, i) => {
          const occurredAt = new Date(Date.UTC(2024, 3, 1 + r.day, 12)).toISOString();
          const woman = r.woman === null ? null : women[r.woman]!;
          const id = v7Id(2_000_000 + i);
          events.push(
            r.kind === 'visit'
              ? checkIn({ id, occurredAt, woman, site: r.site, services: ['meal'] })
              : contact({ id, occurredAt, woman, area: r.area }),
          );
        });
        const report = publishReport(buildReport(resolveHistory(events, CONFIG), CONFIG, { kind: 'financialYear', startYear: 2025 }));
        expect(groupsOf(report).flatMap((g) => problemsOf(g.cells, g.total, g.adds).map((p) => `${g.name}: ${p}`))).toEqual([]);
      }),
      { numRuns: 60 },
    );
  });
});
