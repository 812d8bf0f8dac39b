/**
 * The figures of a report as tidy CSV (docs/counting.md#figures-csv): one row per figure, each with its period,
 * the same period last year and its definition, so a row means something on its own when pasted
 * into a funder's spreadsheet. Every section and table of the report is written the same way, so
 * a new one needs nothing here. A table's totals row is written too (category `total`), and the
 * definitions no figure carries (dates, corrections) as rows of their own. The statement and the
 * notes come last, as rows of their own.
 */
import Papa from 'papaparse';
import { NOT_RECORDED_THEN, previousKnown, previousPeriodNote, reportNotes, type Cell, type Definition, type Report, type TableRow } from './report.ts';
import type { PublishedReport } from './disclosure.ts';

export const FIGURES_COLUMNS = [
  'period',
  'period_start',
  'period_end',
  'section',
  'figure',
  'category',
  'label',
  'value',
  'previous_period',
  'previous_value',
  'definition',
] as const;
type FiguresRow = Record<(typeof FIGURES_COLUMNS)[number], string>;

/** A report the admin sees unrounded is marked as such, so an exact export is not published by mistake. */
const EXACT_NOTE = 'Exact figures for internal use: not safe to publish. Export in publication mode to share them.';

/**
 * Values are numbers without thousands separators, so spreadsheets read them as numbers; a
 * published report's withheld cells keep their marks ("<5", "[c]"), and the figures of a same
 * period last year before the first record, or of its months before it, say they were not recorded then.
 */
export function figuresCsv(report: Report<number> | PublishedReport): string {
  const definitionOf = definitionLookup(report.definitions);
  const { period, previousPeriod } = report;
  const rows: FiguresRow[] = [];
  const add = (r: Pick<FiguresRow, 'section' | 'figure' | 'category' | 'label' | 'definition'> & { cell: Cell<number | string> | null; row?: TableRow<unknown> }) =>
    rows.push({
      period: period.label,
      period_start: period.from,
      period_end: period.to,
      section: r.section,
      figure: r.figure,
      category: r.category,
      label: r.label,
      value: r.cell === null ? '' : valueText(r.cell.current),
      previous_period: r.cell === null ? '' : previousPeriod.label,
      previous_value: r.cell === null ? '' : previousKnown(previousPeriod, r.row) ? valueText(r.cell.previous) : NOT_RECORDED_THEN,
      definition: r.definition,
    });

  for (const section of report.sections) {
    for (const row of section.rows) {
      add({ section: section.title, figure: row.figure, category: row.category ?? '', label: row.label, cell: row, definition: definitionOf(row.figure) });
    }
  }
  for (const table of report.tables) {
    const tableDefinition = table.figure === undefined ? '' : definitionOf(table.figure);
    table.columns.forEach((column, c) => {
      for (const row of table.rows) {
        const cell = row.cells[c];
        if (!cell) continue;
        add({
          section: table.title,
          figure: column.figure,
          category: row.key,
          label: `${column.label}, ${row.label}`,
          cell,
          row,
          definition: `${definitionOf(column.figure)} ${tableDefinition}`.trim(),
        });
      }
      const total = table.totals[c];
      if (total) add({ section: table.title, figure: column.figure, category: 'total', label: `${column.label}, ${table.totalLabel}`, cell: total, definition: definitionOf(column.figure) });
    });
  }
  // The rules every figure follows (local dates, corrections), which no figure's row carries.
  const carried = new Set([...rows.map((r) => r.figure), ...report.tables.flatMap((t) => (t.figure ? [t.figure] : []))]);
  for (const d of report.definitions) {
    if (!carried.has(d.figure)) add({ section: 'Definitions', figure: d.figure, category: '', label: d.term, cell: null, definition: d.text });
  }
  const text = (section: string, figure: string, label: string) => add({ section, figure, category: '', label, cell: null, definition: '' });
  text('Statement', 'statement', report.statement);
  const notes = 'notes' in report ? report.notes : [EXACT_NOTE, ...reportNotes(report)];
  const previousNote = previousPeriodNote(previousPeriod);
  for (const note of previousNote === null ? notes : [...notes, previousNote]) text('Notes', 'note', note);

  // Spreadsheets would run a label beginning "=" as a formula; escapeFormulae quotes it.
  return Papa.unparse({ fields: [...FIGURES_COLUMNS], data: rows.map((r) => FIGURES_COLUMNS.map((c) => r[c])) }, { escapeFormulae: true });
}

function valueText(value: number | string): string {
  return typeof value === 'number' ? String(value) : /^[\d,]+$/.test(value) ? value.replace(/,/g, '') : value;
}

function definitionLookup(definitions: readonly Definition[]): (figure: string) => string {
  const byFigure = new Map(definitions.map((d) => [d.figure, d.text]));
  return (figure) => byFigure.get(figure) ?? '';
}
