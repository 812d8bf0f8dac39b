/**
 * Publication mode (docs/counting.md#publication-mode): statistical disclosure control, so that
 * figures the centre publishes can never single out a woman, and no arithmetic on them gives an
 * exact figure back.
 *
 * - Every figure is rounded to the nearest 5 on its own, totals, breakdown rows and table cells
 *   alike, and shown as "<5" when under 5. The rows of a breakdown then add up to a multiple of 5
 *   that says nothing exact: 1,657 visits show as 1,655, and their months add up to some other
 *   multiple of 5 near it.
 * - Secondary suppression: where the published figures would still pin a figure to one value (a
 *   "<5" cell, a rounded cell or a total), more cells are withheld ("[c]"), smallest first; see
 *   protectGroups for what the reader is assumed to know.
 */
import type { Adds, Cell, ExactReport, Report } from './report.ts';
import { reportNotes, statement, type StatementNumber } from './report.ts';

export const SMALL = '<5';
export const WITHHELD = '[c]';

export interface PublishedReport extends Report<string> {
  published: true;
  /** Printed with every published report and export. */
  notes: string[];
}

const format = (n: number) => n.toLocaleString('en-GB');
/** Counts are whole numbers, so n / 5 is never halfway between two and rounding has no ties to break. */
const nearestFive = (n: number) => Math.round(n / 5) * 5;

/** Any figure as published on its own: "<5", or rounded to the nearest 5. */
export function rounded(n: number): string {
  return n < 5 ? SMALL : format(nearestFive(n));
}

/** The method, printed on every export: all a reader needs to know to read the figures, and all that protectGroups assumes she knows. */
const METHOD_NOTES: readonly string[] = [
  'Every figure is rounded to the nearest 5 on its own, so it is within 2 of the true figure: totals, and each figure in a breakdown or table. The figures in a breakdown or table need not add up to the total shown, and adding them up does not give the exact total.',
  '"<5" means fewer than 5, including none.',
  `"${WITHHELD}" marks a figure of 5 or more withheld because, together with the other figures and the totals, it would let a figure be worked out exactly. The smallest figures in a breakdown or table column are withheld first. Where withholding all its figures of 5 or more is not enough, every figure in it is shown as "${WITHHELD}", and then any of them may be fewer than 5.`,
];

export function publishReport(report: ExactReport): PublishedReport {
  const statementNumber: StatementNumber = (n) => ({
    text: n < 5 ? 'fewer than 5' : format(nearestFive(n)),
    one: false,
    none: false, // "none" would say more than "fewer than 5"
  });
  const allVisited = report.womenWhoVisited.current === report.figures.uniqueWomen;

  // Every group of cells is protected together: groups that share a total share what a reader
  // can work out about it (the months and the sites both add up to the visits).
  const groups: Group[] = [];
  /** Adds the groups of both periods; gives where each is in `groups`. */
  const register = (cells: readonly Cell<number>[], total: Cell<number>, adds: Adds | 'none', knownOf: (which: Period) => (Known | undefined)[]): Cell<number> => ({
    current: groups.push({ values: cells.map((c) => c.current), total: total.current, adds, known: knownOf('current') }) - 1,
    previous: groups.push({ values: cells.map((c) => c.previous), total: total.previous, adds, known: knownOf('previous') }) - 1,
  });
  /** A row listed only because it counted something is known not to be 0 in both periods: not 0 in one where the other is. */
  const some = (cell: Cell<number>, listed: boolean | undefined, which: Period): Known | undefined =>
    listed && cell[which === 'current' ? 'previous' : 'current'] === 0 ? 'some' : undefined;
  const sectionGroups = report.sections.map((s) =>
    s.kind === 'breakdown' && s.total && s.adds ? register(s.rows, s.total, s.adds, (which) => s.rows.map((r) => some(r, r.listedWhenCounted, which))) : null,
  );
  const tableGroups = report.tables.map((t) =>
    t.columns.map((column, c) => {
      const cells = t.rows.map((r) => r.cells[c] ?? NO_CELL);
      // A month with nothing in it may be one not recorded yet, not come yet or not recorded then:
      // the reader is taken to know that it is 0. Only the first column says why a row is listed.
      const knownOf = (which: Period) =>
        t.id === 'months' ? cells.map((cell) => (cell[which] === 0 ? ('zero' as const) : undefined)) : cells.map((cell, i) => some(cell, c === 0 && t.rows[i]!.listedWhenCounted, which));
      return register(cells, t.totals[c] ?? NO_CELL, column.adds, knownOf);
    }),
  );
  const texts = protectGroups(groups);
  const protectedCell = (group: Cell<number>, row: number): Cell<string> => ({
    current: texts[group.current]![row]!,
    previous: texts[group.previous]![row]!,
  });
  const roundedCell = (cell: Cell<number>): Cell<string> => ({ current: rounded(cell.current), previous: rounded(cell.previous) });

  return {
    published: true,
    period: report.period,
    previousPeriod: report.previousPeriod,
    sections: report.sections.map(({ rows, total, ...section }, s) => {
      const group = sectionGroups[s];
      return {
        ...section,
        rows: rows.map((row, i) => ({ ...row, ...(group ? protectedCell(group, i) : roundedCell(row)) })),
        ...(total ? { total: { ...total, ...roundedCell(total) } } : {}),
      };
    }),
    tables: report.tables.map((table, t) => ({
      ...table,
      rows: table.rows.map((row, i) => ({ ...row, cells: tableGroups[t]!.map((group) => protectedCell(group, i)) })),
      totals: table.totals.map(roundedCell),
    })),
    statement: statement(report.period.label, report.figures.visits, report.figures.uniqueWomen, allVisited, statementNumber),
    definitions: report.definitions,
    notes: reportNotes(report, METHOD_NOTES),
  };
}

/** A row without a cell for a column counts nothing in it. */
const NO_CELL: Cell<number> = { current: 0, previous: 0 };

type Period = keyof Cell<number>;

/**
 * What a reader knows of a cell besides its published text: `zero`, that it is 0 (a month with
 * nothing recorded in it, as one not come yet); `some`, that it is at least 1 (a row listed only
 * because it counted something, where the other period counted nothing).
 */
export type Known = 'zero' | 'some';

/**
 * Cells and the total they make up: each counted thing in exactly one cell (`sum`) or in at least
 * one (`atLeast`), every cell at most the total; `none` when the cells do not make up the total.
 * `known`, by cell, what the reader knows of it besides its text.
 */
export interface Group {
  values: readonly number[];
  total: number;
  adds: Adds | 'none';
  known?: readonly (Known | undefined)[];
}

type Mark = 'shown' | 'small' | 'withheld';
/** The whole numbers lo..hi that a figure could be, as far as a reader can tell; hi may be Infinity. */
interface Range {
  lo: number;
  hi: number;
}

/**
 * The published text of each group's cells: rounded to the nearest 5, "<5" under 5, and "[c]"
 * where withheld.
 *
 * The reader is assumed to know the rules, so from the published text alone she knows that:
 * - a rounded figure r (a cell or a total) is r-2 to r+2, and at least 5;
 * - "<5" is 0 to 4, or 1 to 4 for a cell known to be some (Known), and a cell known to be 0 is 0
 *   whatever its text: learning that it is 0 tells her nothing new, so it is never what makes a
 *   group withhold;
 * - "[c]" is at least 5 (it would have been shown) and, being withheld smallest first (by rounded
 *   value, then by position), at most r+2 for each cell r shown after it and r-3 for each shown
 *   before it; when every cell of a group is "[c]" she knows nothing of any of them;
 * - the cells make up the total as the group's `adds` says, and none is more than the total (so
 *   when every cell of a group is known to be 0, so is its total, and every cell of a group with
 *   that total: those are left as they are);
 * - groups with the same total may be the same figure (the months and the sites both split the
 *   visits): a total is what every group with that total allows. Groups are linked by their exact
 *   totals, which links every group a reader could link and, by coincidence, perhaps more, which
 *   only withholds more.
 * Each cell, and each total, must still have more than one possible value. While some cell has
 * only one, its group withholds its smallest shown cell, or, with none left, is withheld whole.
 * Withholding only widens what each cell could be, so this ends, and the result depends on
 * nothing but the figures.
 *
 * Given those facts, every range here is exact, not an estimate: the sum of figures each within a
 * range of whole numbers takes every whole number between the sums of the ends.
 */
export function protectGroups(groups: readonly Group[]): string[][] {
  const marks: Mark[][] = groups.map((g) => g.values.map((v) => (v < 5 ? 'small' : 'shown')));
  // `none` relates nothing. A group with no rows is left out: it could only say that its total is
  // 0, and then every cell of that total is known to be 0 whatever is withheld.
  const linked = groups.flatMap((g, i) => (g.adds !== 'none' && g.values.length > 0 ? [{ ...g, adds: g.adds, marks: marks[i]! }] : []));
  // A total some group of it shows to be 0 cell by known cell (a year with nothing in any month)
  // was known to be 0 before anything was published: so is every cell of it, and there is
  // nothing in those groups to protect.
  const knownNone = new Set(linked.filter((g) => g.values.every((_, j) => g.known?.[j] === 'zero')).map((g) => g.total));
  const related = linked.filter((g) => !knownNone.has(g.total));
  for (;;) {
    const known = related.map((g) => {
      const cells = readerRanges(g.values, g.marks, g.known ?? []);
      return { cells, total: totalRange(cells, g.adds) };
    });
    const totals = new Map<number, Range>();
    related.forEach((g, i) => {
      const own = known[i]!.total;
      const range = totals.get(g.total) ?? publishedRange(g.total);
      totals.set(g.total, { lo: Math.max(range.lo, own.lo), hi: Math.min(range.hi, own.hi) });
    });
    // A total pinned to one value pins every cell of the groups that pin it (all at the ends of
    // their ranges), so looking at the cells finds those groups too.
    const exposed = related.filter((g, i) => {
      const { cells } = known[i]!;
      return cells.some((_, j) => g.known?.[j] !== 'zero' && single(possible(cells, j, totals.get(g.total)!, g.adds)));
    });
    const changed = exposed.map((g) => withholdMore(g.values, g.marks));
    if (!changed.includes(true)) break;
  }
  return groups.map((g, i) =>
    g.values.map((v, j) => {
      const mark = marks[i]![j]!;
      return mark === 'small' ? SMALL : mark === 'withheld' ? WITHHELD : format(nearestFive(v));
    }),
  );
}

/** One value left (or none, which true figures never give: withholding more is the safe answer). */
const single = (range: Range) => range.hi <= range.lo;

/** What a rounded total tells the reader on its own. */
function publishedRange(total: number): Range {
  if (total < 5) return { lo: 0, hi: 4 };
  const r = nearestFive(total);
  return { lo: Math.max(5, r - 2), hi: r + 2 };
}

/** What the reader can tell of each cell from the published text of its group and what she knows of it (see protectGroups). */
function readerRanges(values: readonly number[], marks: readonly Mark[], known: readonly (Known | undefined)[]): Range[] {
  const lo = (i: number) => (known[i] === 'some' ? 1 : 0);
  const whole = marks.every((m) => m === 'withheld');
  return marks.map((mark, i) => {
    if (known[i] === 'zero') return { lo: 0, hi: 0 };
    if (whole) return { lo: lo(i), hi: Infinity };
    if (mark === 'small') return { lo: lo(i), hi: 4 };
    if (mark === 'shown') return publishedRange(values[i]!);
    let hi = Infinity;
    marks.forEach((m, k) => {
      if (m === 'shown') hi = Math.min(hi, nearestFive(values[k]!) - (k < i ? 5 : 0) + 2);
    });
    return { lo: 5, hi };
  });
}

/** The totals that the cells' ranges allow. */
function totalRange(cells: readonly Range[], adds: Adds): Range {
  const hi = cells.reduce((s, c) => s + c.hi, 0);
  // Each cell is at most the total; with `sum`, the cells are the total.
  const lo = adds === 'sum' ? cells.reduce((s, c) => s + c.lo, 0) : Math.max(...cells.map((c) => c.lo));
  return { lo, hi };
}

/** The values cell j could have, given the others' ranges and the total's. */
function possible(cells: readonly Range[], j: number, total: Range, adds: Adds): Range {
  let othersLo = 0;
  let othersHi = 0;
  cells.forEach((c, i) => {
    if (i !== j) [othersLo, othersHi] = [othersLo + c.lo, othersHi + c.hi];
  });
  const cell = cells[j]!;
  // The cells make up at least the total; with `sum`, no more than it either.
  return {
    lo: Math.max(cell.lo, total.lo - othersHi),
    hi: Math.min(cell.hi, total.hi - (adds === 'sum' ? othersLo : 0)),
  };
}

/** Withholds the smallest shown cell, or failing that the whole group; false when nothing is left to withhold. */
function withholdMore(values: readonly number[], marks: Mark[]): boolean {
  let next = -1;
  marks.forEach((m, i) => {
    if (m === 'shown' && (next < 0 || nearestFive(values[i]!) < nearestFive(values[next]!))) next = i;
  });
  if (next >= 0) {
    marks[next] = 'withheld';
    return true;
  }
  if (!marks.includes('small')) return false;
  marks.fill('withheld');
  return true;
}
