/**
 * Publication mode (docs/counting.md#publication-mode): statistical disclosure control, so that figures the centre
 * publishes can never single out a woman.
 *
 * - Totals are rounded to the nearest 5, and shown as "<5" when under 5.
 * - In a breakdown (and in the month and site tables), a cell under 5, including 0, is "<5".
 * - Secondary suppression: within each group of cells that add up to a published total, more
 *   cells are withheld ("[c]") until no withheld cell can be worked out from the published cells
 *   and the rounded total. A reader who knows these rules knows a "<5" cell is 0 to 4, a "[c]"
 *   cell is at least 5 and the true total is within 2 of the rounded one; every withheld cell must
 *   still have more than one possible value under those facts.
 */
import type { Adds, Cell, ExactReport, Report, ReportRow, ReportSection, ReportTable } from './report.ts';
import { statement, type StatementNumber } from './report.ts';

export const SMALL = '<5';
export const WITHHELD = '[c]';

export interface PublishedReport extends Report<string> {
  published: true;
  /** Printed with every published report and export. */
  notes: string[];
}

const format = (n: number) => n.toLocaleString('en-GB');

/** A total as published: "<5", or rounded to the nearest 5. */
export function roundedTotal(n: number): string {
  return n < 5 ? SMALL : format(Math.round(n / 5) * 5);
}

export function publishReport(report: ExactReport): PublishedReport {
  const statementNumber: StatementNumber = (n) => ({
    text: n < 5 ? 'fewer than 5' : format(Math.round(n / 5) * 5),
    one: false,
    none: false, // "none" would say more than "fewer than 5"
  });
  const allVisited = report.womenWhoVisited.current === report.figures.uniqueWomen;
  return {
    published: true,
    period: report.period,
    previousPeriod: report.previousPeriod,
    sections: report.sections.map(publishSection),
    tables: report.tables.map(publishTable),
    statement: statement(report.period.label, report.figures.visits, report.figures.uniqueWomen, allVisited, statementNumber),
    definitions: report.definitions,
    notes: [
      `Period: ${report.period.label} (${report.period.from} to ${report.period.to}), beside the same period a year earlier, ${report.previousPeriod.label} (${report.previousPeriod.from} to ${report.previousPeriod.to}).`,
      'These figures count service contacts: the visits, contacts and women the centre worked with. They do not measure how many women are affected (prevalence).',
      'Totals are rounded to the nearest 5. "<5" means fewer than 5, including none.',
      `"${WITHHELD}" marks a figure withheld so that a figure under 5 cannot be worked out from the others; it is not a small number itself.`,
      'Breakdowns of women are by what each woman\'s record says now; see the definitions.',
    ],
  };
}

function publishSection(section: ReportSection<number>): ReportSection<string> {
  const rounded = (r: ReportRow<number>): ReportRow<string> => ({
    ...r,
    current: roundedTotal(r.current),
    previous: roundedTotal(r.previous),
  });
  const { total, adds, rows, ...rest } = section;
  if (section.kind === 'totals' || !total || !adds) {
    return { ...rest, rows: rows.map(rounded), ...(total ? { total: rounded(total) } : {}) };
  }
  const current = protect(rows.map((r) => r.current), total.current, adds);
  const previous = protect(rows.map((r) => r.previous), total.previous, adds);
  return {
    ...rest,
    adds,
    total: rounded(total),
    rows: rows.map((r, i) => ({ ...r, current: current[i] as string, previous: previous[i] as string })),
  };
}

function publishTable(table: ReportTable<number>): ReportTable<string> {
  const byColumn = table.columns.map((column, c) => {
    const cells = (which: keyof Cell<number>) => table.rows.map((r) => r.cells[c]?.[which] ?? 0);
    const total = table.totals[c] ?? { current: 0, previous: 0 };
    return {
      current: protect(cells('current'), total.current, column.adds),
      previous: protect(cells('previous'), total.previous, column.adds),
    };
  });
  return {
    ...table,
    rows: table.rows.map((r, i) => ({
      ...r,
      cells: byColumn.map((column) => ({ current: column.current[i] as string, previous: column.previous[i] as string })),
    })),
    totals: table.totals.map((t) => ({ current: roundedTotal(t.current), previous: roundedTotal(t.previous) })),
  };
}

type Mark = 'shown' | 'small' | 'withheld';

/**
 * The published text of a group of cells whose total is published rounded. Cells under 5 are
 * "<5"; then, while any withheld cell could be worked out (or is the only one withheld), the
 * smallest shown cell is withheld too. Should even withholding every cell leave one exposed (a
 * few cells, each just under 5), the whole group is withheld and no cell says it is small.
 */
export function protect(values: readonly number[], total: number, adds: Adds | 'none'): string[] {
  const marks: Mark[] = values.map((v) => (v < 5 ? 'small' : 'shown'));
  if (adds !== 'none') {
    for (;;) {
      const withheld = marks.filter((m) => m !== 'shown').length;
      if (withheld === 0) break;
      const exposed = (withheld === 1 && values.length > 1) || anyDetermined(values, marks, total, adds);
      if (!exposed) break;
      let smallest = -1;
      marks.forEach((m, i) => {
        if (m === 'shown' && (smallest < 0 || (values[i] as number) < (values[smallest] as number))) smallest = i;
      });
      if (smallest < 0) {
        if (anyDetermined(values, marks, total, adds)) marks.fill('withheld');
        break;
      }
      marks[smallest] = 'withheld';
    }
  }
  return marks.map((m, i) => (m === 'shown' ? format(values[i] as number) : m === 'small' ? SMALL : WITHHELD));
}

/** Whether some withheld cell has only one value consistent with what is published. */
function anyDetermined(values: readonly number[], marks: readonly Mark[], total: number, adds: Adds): boolean {
  const [totalLo, totalHi] = total < 5 ? [0, 4] : [Math.round(total / 5) * 5 - 2, Math.round(total / 5) * 5 + 2];
  const anySmall = marks.includes('small');
  let shown = 0;
  const bounds: [number, number][] = [];
  marks.forEach((m, i) => {
    if (m === 'shown') shown += values[i] as number;
    else bounds.push(m === 'small' ? [0, 4] : [anySmall ? 5 : 0, Infinity]);
  });
  return bounds.some(([lo, hi], j) => {
    let othersLo = 0;
    let othersHi = 0;
    bounds.forEach((b, i) => {
      if (i !== j) [othersLo, othersHi] = [othersLo + b[0], othersHi + b[1]];
    });
    const min = Math.max(lo, totalLo - shown - othersHi);
    let max = Math.min(hi, totalHi);
    if (adds === 'sum') max = Math.min(max, totalHi - shown - othersLo);
    return max <= min;
  });
}
