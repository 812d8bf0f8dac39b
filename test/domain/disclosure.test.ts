import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { protectGroups, publishReport, rounded, SMALL, WITHHELD, type Group, type PublishedReport } from '../../src/domain/disclosure.ts';
import { buildReport, resolveHistory, type Adds, type ExactReport, type Report } from '../../src/domain/report.ts';
import { FootfallEvent, NOT_KNOWN, PREFERS_NOT_TO_SAY } from '../../src/domain/events.ts';
import { CONFIG, HISTORY, registered } from './reportFixture.ts';
import { checkIn, contact, session, v7Id } from './fixtures.ts';

/**
 * A group as published, with the key of the figure its total is: groups with the same key share one
 * total; and, by cell, what a reader knows besides its text: that it is 0 (a month with nothing in
 * it: not come yet, not recorded then), or at least 1 (a row listed only because it counted
 * something, where the other period counted nothing).
 */
interface Published {
  name: string;
  cells: string[];
  total: string;
  adds: Adds | 'none';
  key: number;
  known?: ('zero' | 'some' | undefined)[];
}

const numeric = (text: string) => /^\d{1,3}(,\d{3})*$/.test(text);
const number = (text: string) => Number(text.replace(/,/g, ''));

/**
 * What a reader who knows the rules (docs/counting.md#publication-mode) can tell of each cell from
 * its group's published text alone, written from the rules, independently of disclosure.ts.
 */
function cellRanges(cells: readonly string[], known: Published['known'] = []): [number, number][] {
  const whole = cells.length > 0 && cells.every((c) => c === WITHHELD);
  return cells.map((text, i): [number, number] => {
    if (known[i] === 'zero') return [0, 0];
    const lo = known[i] === 'some' ? 1 : 0;
    // Withheld whole: any of them may be under 5.
    if (whole) return [lo, Infinity];
    if (text === SMALL) return [lo, 4];
    if (text !== WITHHELD) return [Math.max(5, number(text) - 2), number(text) + 2];
    // Withheld smallest first (rounded value, then position): it rounds to no more than a cell
    // shown after it, and to less than one shown before it.
    const caps = cells.flatMap((other, k) => (other === SMALL || other === WITHHELD ? [] : [number(other) - (k < i ? 5 : 0) + 2]));
    return [5, Math.min(Infinity, ...caps)];
  });
}

/** The totals a published total can stand for. */
function totalCandidates(text: string): number[] {
  const [lo, hi] = text === SMALL ? [0, 4] : [Math.max(5, number(text) - 2), number(text) + 2];
  return Array.from({ length: hi - lo + 1 }, (_, i) => lo + i);
}

/**
 * Whether the cells can have values in their ranges adding up as `adds` says to `total`, with
 * cell `j` (when given) equal to `x`. No cell is more than the total; a sum of whole numbers each
 * in a range takes every value between the sums of the ends.
 */
function fits(ranges: readonly [number, number][], adds: Adds, total: number, j = -1, x = 0): boolean {
  let lo = 0;
  let hi = 0;
  for (const [i, [a, b]] of ranges.entries()) {
    const [from, to] = i === j ? [x, x] : [a, Math.min(b, total)];
    if (from > to || from > total) return false;
    lo += from;
    hi += to;
  }
  return adds === 'sum' ? lo <= total && total <= hi : hi >= total;
}

/**
 * Every problem of a set of published groups: a figure that is not a rounded number or a mark, or
 * a figure a reader could work out exactly (a cell, or a total from the groups that share it),
 * found by trying every value.
 */
function problemsOf(groups: readonly Published[]): string[] {
  const problems: string[] = [];
  const roundedText = (text: string) => text === SMALL || (numeric(text) && number(text) >= 5 && number(text) % 5 === 0);
  for (const g of groups) {
    for (const text of g.cells) if (!roundedText(text) && text !== WITHHELD) problems.push(`${g.name}: cell ${text} is published`);
    if (!roundedText(g.total)) problems.push(`${g.name}: total ${g.total} is published`);
  }
  const related = groups.filter((g): g is Published & { adds: Adds } => g.adds !== 'none' && g.cells.length > 0);
  for (const key of new Set(related.map((g) => g.key))) {
    // Every cell of one of them known to be 0: the total was known to be 0, and so was every cell of every one.
    if (related.some((g) => g.key === key && g.cells.every((_, j) => g.known?.[j] === 'zero'))) continue;
    const sharing = related.filter((g) => g.key === key).map((g) => ({ ...g, ranges: cellRanges(g.cells, g.known) }));
    const totals = totalCandidates(sharing[0]!.total).filter((t) => sharing.every((g) => fits(g.ranges, g.adds, t)));
    if (totals.length < 2) problems.push(`${sharing.map((g) => g.name).join(', ')}: the total can only be ${totals.join(' or ')}`);
    for (const g of sharing) {
      g.ranges.forEach(([lo, hi], j) => {
        // Known to be 0 before anything was published: nothing to protect.
        if (g.known?.[j] === 'zero') return;
        const values: number[] = [];
        for (let x = lo; x <= Math.min(hi, Math.max(...totals)) && values.length < 2; x++) {
          if (totals.some((t) => fits(g.ranges, g.adds, t, j, x))) values.push(x);
        }
        if (values.length < 2) problems.push(`${g.name}: cell ${j} (${g.cells[j]}) can only be ${values.join('')}: ${g.cells.join(' ')} of ${g.total}`);
      });
    }
  }
  return problems;
}

/** Published groups, in a fixed order of the report's structure. */
function groupsOf<V>(r: Report<V>): { name: string; cells: V[]; total: V; adds: Adds | 'none' }[] {
  const groups = [];
  for (const which of ['current', 'previous'] as const) {
    for (const s of r.sections) {
      if (s.kind === 'breakdown' && s.total && s.adds) {
        groups.push({ name: `${s.id} ${which}`, cells: s.rows.map((row) => row[which]), total: s.total[which], adds: s.adds });
      }
    }
    for (const t of r.tables) {
      t.columns.forEach((column, c) => {
        groups.push({ name: `${t.id} ${column.figure} ${which}`, cells: t.rows.map((row) => row.cells[c]![which]), total: t.totals[c]![which], adds: column.adds });
      });
    }
  }
  return groups;
}

/**
 * The published groups of a report, each keyed by its exact total: the figures a reader could tell
 * are the same. The reader is taken to know more than the published text: every month with
 * nothing in it is 0, and a row listed only because it counted (listedWhenCounted) is at least 1
 * in the column that made it listed (a table's first) where the other period has 0.
 */
function publishedGroups(exact: ExactReport, published: PublishedReport): Published[] {
  const exactGroups = groupsOf(exact);
  const known: Published['known'][] = [];
  for (const which of ['current', 'previous'] as const) {
    const other = which === 'current' ? 'previous' : 'current';
    for (const s of exact.sections) {
      if (s.kind === 'breakdown' && s.total && s.adds) known.push(s.rows.map((r) => (r.listedWhenCounted && r[other] === 0 ? 'some' : undefined)));
    }
    for (const t of exact.tables) {
      t.columns.forEach((_, c) => {
        known.push(
          t.rows.map((r) => {
            const cell = r.cells[c]!;
            if (t.id === 'months') return cell[which] === 0 ? 'zero' : undefined;
            return c === 0 && r.listedWhenCounted && cell[other] === 0 ? 'some' : undefined;
          }),
        );
      });
    }
  }
  return groupsOf(published).map((g, i) => ({ ...g, key: exactGroups[i]!.total, known: known[i] }));
}

/** Every figure a published report prints. */
function everyFigure(r: PublishedReport): string[] {
  return [
    ...r.sections.flatMap((s) => [...s.rows, ...(s.total ? [s.total] : [])].flatMap((row) => [row.current, row.previous])),
    ...r.tables.flatMap((t) => [...t.rows.flatMap((row) => row.cells), ...t.totals].flatMap((cell) => [cell.current, cell.previous])),
  ];
}

const protect = (values: number[], total: number, adds: Adds | 'none') => protectGroups([{ values, total, adds }])[0]!;

describe('rounded', () => {
  it.each([
    [0, '<5'],
    [4, '<5'],
    [5, '5'],
    [7, '5'],
    [8, '10'],
    [1312, '1,310'],
    [1313, '1,315'],
    [1657, '1,655'],
  ])('%d is published as %s', (n, text) => expect(rounded(n)).toBe(text));
});

describe('protectGroups', () => {
  it.each<[number[], number, Adds | 'none', string[]]>([
    [[10, 20], 30, 'sum', ['10', '20']],
    // Rounding alone hides the 3: 100 could be 98 to 102 and the total 103 to 107.
    [[100, 3], 103, 'sum', ['100', SMALL]],
    [[98, 0], 98, 'sum', ['100', SMALL]],
    [[7, 0], 7, 'sum', ['5', SMALL]],
    // Four cells of at least 8 make at least 32, the most "30" can be: every cell and the total
    // would be exact. Withholding the first 10 (at most 12, no more than the 10s after it) leaves
    // the small cell 0 to 3.
    [[8, 8, 8, 8, 0], 32, 'sum', [WITHHELD, '10', '10', '10', SMALL]],
    [[8, 8, 8, 8], 32, 'sum', [WITHHELD, '10', '10', '10']],
    // The smallest shown cell goes first: the first 10, not the 15.
    [[13, 8, 8, 8, 0], 37, 'sum', ['15', WITHHELD, '10', '10', SMALL]],
    // A "5" is at least 5, and so is a "[c]": withholding the 5 leaves the 0 pinned, so a 10 goes too.
    [[5, 8, 8, 8, 8, 0], 37, 'sum', [WITHHELD, WITHHELD, '10', '10', '10', SMALL]],
    // 7 + 7 + 4 = 18, the least "20" can be: the 4 is pinned. A "[c]" before a "5" is at most 7
    // (withheld smallest first), no help, so both are withheld.
    [[7, 7, 4], 18, 'sum', [WITHHELD, WITHHELD, SMALL]],
    // A "[c]" after a "10" rounds to less than 10: at most 7, no help either.
    [[12, 7, 4], 23, 'sum', [WITHHELD, WITHHELD, SMALL]],
    // Women in two months each: the months add up to more than the total, nothing is pinned.
    [[10, 10, 0], 12, 'atLeast', ['10', '10', SMALL]],
    // 4 + 4 = 8, published as 10: each could only be 4, so the group is withheld whole.
    [[4, 4], 8, 'sum', [WITHHELD, WITHHELD]],
    [[4, 4], 8, 'atLeast', [WITHHELD, WITHHELD]],
    [[3, 10], 13, 'none', [SMALL, '10']],
    [[3], 3, 'sum', [SMALL]],
    [[12, 0, 1657], 1669, 'sum', ['10', SMALL, '1,655']],
  ])('%j of %d (%s) → %j', (values, total, adds, expected) => {
    const published = protect(values, total, adds);
    expect(published).toEqual(expected);
    expect(problemsOf([{ name: 'group', cells: published, total: rounded(total), adds, key: total }])).toEqual([]);
  });

  it('protects groups that share a total together', () => {
    // Alone, each is safe. Together, 8 + 8 (at least 16) and 12 + 4 (at most 12 + 4) pin the
    // total to 16 and the 4 to 4.
    const groups: Group[] = [
      { values: [8, 8], total: 16, adds: 'sum' },
      { values: [12, 4], total: 16, adds: 'sum' },
    ];
    expect(groups.map((g) => protect([...g.values], g.total, g.adds))).toEqual([
      ['10', '10'],
      ['10', SMALL],
    ]);
    const published = protectGroups(groups);
    expect(published).toEqual([
      [WITHHELD, '10'],
      [WITHHELD, SMALL],
    ]);
    expect(problemsOf(published.map((cells, i) => ({ name: `group ${i}`, cells, total: '15', adds: 'sum', key: 16 })))).toEqual([]);
  });

  const cellsOf = (total: number, adds: Adds) =>
    fc
      .array(fc.integer({ min: 0, max: total }), { minLength: 0, maxLength: 7 })
      .chain((cuts) => {
        const points = [0, ...cuts.sort((a, b) => a - b), total];
        const parts = points.slice(1).map((p, i) => p - points[i]!);
        // With `atLeast`, something counted in one row can be in others too, up to the total.
        return adds === 'sum' ? fc.constant(parts) : fc.tuple(...parts.map((p) => fc.integer({ min: p, max: total })));
      });

  it('never publishes a number under 5 or off the 5s, and leaves every figure more than one value (groups sharing a total)', () => {
    const group = (total: number) =>
      fc.constantFrom<Adds | 'none'>('sum', 'sum', 'atLeast', 'none').chain((adds) =>
        cellsOf(total, adds === 'none' ? 'sum' : adds).map((values): Group => ({ values, total, adds })),
      );
    const sharing = fc.oneof(fc.integer({ min: 0, max: 30 }), fc.integer({ min: 0, max: 200 })).chain((total) => fc.array(group(total), { minLength: 1, maxLength: 4 }));
    fc.assert(
      fc.property(fc.array(sharing, { minLength: 1, maxLength: 3 }), (sets) => {
        const groups = sets.flat();
        const published = protectGroups(groups);
        const problems = problemsOf(
          groups.map((g, i) => ({ name: `${JSON.stringify(g)}`, cells: published[i]!, total: rounded(g.total), adds: g.adds, key: g.total })),
        );
        expect(problems).toEqual([]);
        // The text depends on the figures alone, not on the order the groups come in.
        expect(protectGroups([...groups].reverse())).toEqual([...published].reverse());
      }),
      { numRuns: 3000 },
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

  it('states the period, that it counts service contacts not prevalence, and the method', () => {
    const notes = published.notes.join('\n');
    expect(notes).toContain('2025/26 (2025-04-01 to 2026-03-31)');
    expect(notes).toContain('2024/25');
    expect(notes).toMatch(/service contacts/);
    expect(notes).toMatch(/prevalence/);
    expect(notes).toContain('Every figure is rounded to the nearest 5 on its own');
    expect(notes).toContain('adding them up does not give the exact total');
    expect(notes).toContain('"<5" means fewer than 5, including none.');
    expect(notes).toContain(`"${WITHHELD}" marks a figure of 5 or more withheld`);
    expect(notes).toContain('The smallest figures in a breakdown or table column are withheld first.');
    expect(published.definitions.length).toBeGreaterThan(10);
  });

  it('keeps the exact figures out of what it publishes', () => {
    expect(published).not.toHaveProperty('figures');
    expect(published).not.toHaveProperty('previousFigures');
    expect(published).not.toHaveProperty('womenWhoVisited');
    expect(problemsOf(publishedGroups(exact, published))).toEqual([]);
  });

  it('rounds the months, so they no longer add up to the exact total (1,657 visits)', () => {
    // 40 women visit once each in April; the rest of the 1,657 visits are anonymous. Every month
    // but one is 2 more than a multiple of 5, so the published months add up to 1,635.
    const perMonth = [132, 142, 137, 127, 147, 132, 137, 142, 127, 137, 155, 142];
    expect(perMonth.reduce((a, b) => a + b)).toBe(1657);
    const women = Array.from({ length: 40 }, (_, i) => v7Id(3_000_000 + i));
    const events: FootfallEvent[] = women.map((w) => registered(w, '2025-01-01T10:00:00Z'));
    let n = 0;
    perMonth.forEach((count, m) => {
      for (let i = 0; i < count; i++) {
        const occurredAt = new Date(Date.UTC(2025, 3 + m, 1 + (i % 28), 9, 0, i)).toISOString();
        const woman = m === 0 && i < women.length ? women[i]! : null;
        events.push(checkIn({ id: v7Id(4_000_000 + n++), occurredAt, woman, site: i % 2 ? 'north' : 'south', services: ['meal'] }));
      }
    });
    const exact = buildReport(resolveHistory(events, CONFIG), CONFIG, { kind: 'financialYear', startYear: 2025 });
    const months = exact.tables.find((t) => t.id === 'months')!;
    const visits = months.columns.findIndex((c) => c.figure === 'visits');
    expect(months.rows.map((r) => r.cells[visits]!.current)).toEqual(perMonth);

    const published = publishReport(exact);
    const shown = published.tables.find((t) => t.id === 'months')!;
    const texts = shown.rows.map((r) => r.cells[visits]!.current);
    expect(texts).toEqual(['130', '140', '135', '125', '145', '130', '135', '140', '125', '135', '155', '140']);
    expect(shown.totals[visits]!.current).toBe('1,655');
    expect(texts.map(number).reduce((a, b) => a + b)).toBe(1635);
    expect(published.sections.find((s) => s.id === 'summary')!.rows.find((r) => r.figure === 'visits')!.current).toBe('1,655');
    expect(published.statement).toBe('In 2025/26 we welcomed 1,655 visits from 40 women.');
    for (const text of everyFigure(published)) expect(text === SMALL || text === WITHHELD || number(text) % 5 === 0).toBe(true);
    expect(problemsOf(publishedGroups(exact, published))).toEqual([]);
  });

  it('takes a month with nothing in it as known to be 0: a last year recorded from January gives no month away', () => {
    // Anonymous visits only: last year recorded from 1 January 2025 (4 that month, 12 in each of
    // February and March); this year 12 a month from April to July, nothing since.
    const events: FootfallEvent[] = [];
    const visits = (month: string, n: number) => {
      for (let i = 0; i < n; i++) events.push(checkIn({ occurredAt: `${month}-${String(i + 1).padStart(2, '0')}T12:00:00Z` }));
    };
    visits('2025-01', 4);
    visits('2025-02', 12);
    visits('2025-03', 12);
    for (const month of ['2025-04', '2025-05', '2025-06', '2025-07']) visits(month, 12);
    const exact = buildReport(resolveHistory(events, CONFIG), CONFIG, { kind: 'financialYear', startYear: 2025 });
    const published = publishReport(exact);
    expect(problemsOf(publishedGroups(exact, published))).toEqual([]);
    // Before, January showed "<5" and February and March "10" beside a total of "30": with the
    // months before January not recorded, the total could only be 28, and January only 4.
    const months = published.tables.find((t) => t.id === 'months')!;
    const anonymous = months.columns.findIndex((c) => c.figure === 'anonymousVisits');
    expect(months.rows.map((r) => r.cells[anonymous]!.previous).filter((text) => text !== SMALL)).not.toEqual(['10', '10']);
  });

  it('takes a row listed only because it counted as at least 1: a first year of outreach gives no area away', () => {
    // The first year: one contact each in four areas, 8 in a fifth. Areas are listed only when
    // counted, so each "<5" is at least 1, and the total at least 4 + 8.
    const events: FootfallEvent[] = [];
    const areas = CONFIG.areas.slice(0, 5).map((a) => a.key);
    areas.slice(0, 4).forEach((area, i) => events.push(contact({ occurredAt: `2025-05-0${i + 1}T12:00:00Z`, area })));
    for (let i = 0; i < 8; i++) events.push(contact({ occurredAt: `2025-06-${String(i + 1).padStart(2, '0')}T12:00:00Z`, area: areas[4]! }));
    const exact = buildReport(resolveHistory(events, CONFIG), CONFIG, { kind: 'financialYear', startYear: 2025 });
    const areaRows = exact.tables.find((t) => t.id === 'areas')!.rows;
    expect(areaRows.map((r) => r.listedWhenCounted)).toEqual([true, true, true, true, true]);
    const published = publishReport(exact);
    expect(problemsOf(publishedGroups(exact, published))).toEqual([]);
    expect(published.tables.find((t) => t.id === 'areas')!.rows.map((r) => r.cells[0]!.current)).not.toEqual([SMALL, SMALL, SMALL, SMALL, '10']);
  });

  it('publishes every group of a report of random histories safely', () => {
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
      kind: fc.constantFrom('visit', 'visit', 'visit', 'outreach', 'casework'),
      woman: fc.option(fc.integer({ min: 0, max: 39 }), { freq: 4 }),
      day: fc.integer({ min: 0, max: 729 }),
      site: fc.constantFrom('north', 'south'),
      area: fc.constantFrom('camden', 'westminster', 'hackney'),
      place: fc.constantFrom('street', 'hostel'),
      needs: fc.subarray(['food', 'health', 'housing']),
      topics: fc.subarray(['housing', 'benefits', 'safety'], { minLength: 1 }),
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
          if (r.kind === 'visit') events.push(checkIn({ id, occurredAt, woman, site: r.site, services: ['meal'] }));
          else if (r.kind === 'outreach') events.push(contact({ id, occurredAt, woman, area: r.area, place: r.place, needs: r.needs }));
          else if (woman !== null) events.push(session({ id, occurredAt, woman, topics: r.topics }));
        });
        const exact = buildReport(resolveHistory(events, CONFIG), CONFIG, { kind: 'financialYear', startYear: 2025 });
        const report = publishReport(exact);
        expect(problemsOf(publishedGroups(exact, report))).toEqual([]);
        for (const text of everyFigure(report)) expect([SMALL, WITHHELD].includes(text) || (numeric(text) && number(text) % 5 === 0)).toBe(true);
      }),
      { numRuns: 60 },
    );
  });
});
