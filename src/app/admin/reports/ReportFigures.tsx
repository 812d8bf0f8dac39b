/**
 * The figures of a report as tables, with the same period last year beside every figure and the
 * definitions as numbered footnotes. The screen and the printable report render the same model,
 * exact (numbers) or published (display text), so they can never disagree. Every section and
 * table is drawn by the same code, so a new one in the model needs nothing here.
 */
import { Fragment, useId } from 'react';
import {
  NOT_RECORDED_THEN,
  previousPeriodNote,
  type Cell,
  type Definition,
  type Report,
  type ReportSection,
  type ReportTable,
} from '../../../domain/report.ts';

/** A report as the screen shows it: exact numbers, or published text. */
export type ShownReport = Report<number> | Report<string>;

export function shown(value: number | string): string {
  return typeof value === 'number' ? value.toLocaleString('en-GB') : value;
}

/** The figure a section's caption carries the footnote of: its rows' one figure, when they share one. */
function captionFigure(section: ReportSection<number | string>): string | undefined {
  const figures = new Set(section.rows.map((r) => r.figure));
  return figures.size === 1 ? [...figures][0] : undefined;
}

/** Every footnote mark of the report, in the order the tables show them. */
function marks(report: ShownReport): string[] {
  const figures: string[] = [];
  for (const section of report.sections) {
    const caption = captionFigure(section);
    figures.push(...(caption === undefined ? section.rows.map((r) => r.figure) : [caption]));
  }
  for (const table of report.tables) {
    if (table.figure !== undefined) figures.push(table.figure);
    figures.push(...table.columns.map((c) => c.figure));
  }
  return figures;
}

/**
 * The definitions numbered in the order their marks first appear, as footnotes are on paper; those
 * no figure is marked with (dates, corrections) follow in their own order.
 */
function numberedDefinitions(report: ShownReport): Definition[] {
  const order = new Map<string, number>();
  for (const figure of marks(report)) if (!order.has(figure)) order.set(figure, order.size);
  const rank = (d: Definition) => order.get(d.figure) ?? order.size;
  return [...report.definitions].sort((a, b) => rank(a) - rank(b)); // stable: the rest keep their order
}

/** Footnote numbers by the figure each definition explains. */
function footnotes(report: ShownReport): Map<string, number> {
  return new Map(numberedDefinitions(report).map((d, i) => [d.figure, i + 1]));
}

/**
 * A footnote mark: the number of its definition below, as on paper. Not a link, so the tables
 * have no tiny tap targets; a screen reader hears "see definition 2".
 */
function Footnote({ n }: { n: number | undefined }) {
  if (n === undefined) return null;
  return (
    <sup className="footnote-mark">
      <span className="visually-hidden">, see definition </span>
      {n}
    </sup>
  );
}

export function ReportFigures({ report }: { report: ShownReport }) {
  const notes = footnotes(report);
  const previousNote = previousPeriodNote(report.previousPeriod);
  return (
    <>
      {previousNote && <p className="previous-note">{previousNote}</p>}
      {report.sections.map((section) => (
        <SectionTable key={section.id} section={section} report={report} notes={notes} />
      ))}
      {report.tables.map((table) => (
        <GridTable key={table.id} table={table} report={report} notes={notes} />
      ))}
    </>
  );
}

/** A figure and the same figure last year; a year before the first record shows a dash, not 0. */
function PeriodCells({ cell, report }: { cell: Cell<number | string>; report: ShownReport }) {
  return (
    <>
      <td className="num">{shown(cell.current)}</td>
      <td className="num">
        {report.previousPeriod.recorded ? (
          shown(cell.previous)
        ) : (
          <>
            <span aria-hidden="true">—</span>
            <span className="visually-hidden">{NOT_RECORDED_THEN}</span>
          </>
        )}
      </td>
    </>
  );
}

function PeriodHeads({ report }: { report: ShownReport }) {
  return (
    <>
      <th scope="col" className="num">
        {report.period.label}
      </th>
      <th scope="col" className="num">
        Same period last year ({report.previousPeriod.label})
      </th>
    </>
  );
}

function SectionTable({ section, report, notes }: { section: ReportSection<number | string>; report: ShownReport; notes: Map<string, number> }) {
  const caption = captionFigure(section);
  // Three columns fit a small phone, so this table wraps rather than scrolls.
  return (
    <div className="table-wrap">
      <table className="figures-table">
        <caption>
          {section.title}
          <Footnote n={caption === undefined ? undefined : notes.get(caption)} />
          {section.adds === 'atLeast' && <span className="caption-hint"> A woman can be counted in more than one row.</span>}
        </caption>
        <thead>
          <tr>
            <th scope="col">Figure</th>
            <PeriodHeads report={report} />
          </tr>
        </thead>
        <tbody>
          {section.rows.length === 0 && (
            <tr>
              <td colSpan={3}>{section.empty ?? 'Nothing of this kind is set up in Settings.'}</td>
            </tr>
          )}
          {section.rows.map((row) => (
            <tr key={`${row.figure}:${row.category ?? ''}`}>
              <th scope="row">
                {row.label}
                {caption === undefined && <Footnote n={notes.get(row.figure)} />}
              </th>
              <PeriodCells cell={row} report={report} />
            </tr>
          ))}
        </tbody>
        {section.total && (
          <tfoot>
            <tr>
              <th scope="row">{section.total.label} (total)</th>
              <PeriodCells cell={section.total} report={report} />
            </tr>
          </tfoot>
        )}
      </table>
    </div>
  );
}

function GridTable({ table, report, notes }: { table: ReportTable<number | string>; report: ShownReport; notes: Map<string, number> }) {
  const captionId = useId();
  const previousHead = report.previousPeriod.recorded ? 'Last year' : `Last year (${NOT_RECORDED_THEN})`;
  return (
    <div className="table-scroll" role="region" aria-labelledby={captionId} tabIndex={0}>
      <table className="figures-table grid">
        <caption id={captionId}>
          {table.title}, {report.period.label} beside the same period last year
          <Footnote n={table.figure === undefined ? undefined : notes.get(table.figure)} />
          {table.columns.some((c) => c.adds === 'atLeast') && <span className="caption-hint"> Rows can add up to more than the total.</span>}
        </caption>
        <thead>
          <tr>
            <td />
            {table.columns.map((c) => (
              <th key={c.figure} scope="colgroup" colSpan={2}>
                {c.label}
                <Footnote n={notes.get(c.figure)} />
              </th>
            ))}
          </tr>
          <tr>
            <th scope="col">{table.rowHeading}</th>
            {table.columns.map((c) => (
              <Fragment key={c.figure}>
                <th scope="col" className="num">
                  {report.period.label}
                </th>
                <th scope="col" className="num">
                  {previousHead}
                </th>
              </Fragment>
            ))}
          </tr>
        </thead>
        <tbody>
          {table.rows.length === 0 && (
            <tr>
              <td colSpan={1 + 2 * table.columns.length}>{table.empty ?? 'Nothing of this kind is set up in Settings.'}</td>
            </tr>
          )}
          {table.rows.map((row) => (
            <tr key={row.key}>
              <th scope="row">{row.label}</th>
              {row.cells.map((cell, i) => (
                <PeriodCells key={table.columns[i]!.figure} cell={cell} report={report} />
              ))}
            </tr>
          ))}
        </tbody>
        <tfoot>
          <tr>
            <th scope="row">{table.totalLabel}</th>
            {table.totals.map((cell, i) => (
              <PeriodCells key={table.columns[i]!.figure} cell={cell} report={report} />
            ))}
          </tr>
        </tfoot>
      </table>
    </div>
  );
}

/** The definitions, numbered as the footnote marks refer to them. */
export function Definitions({ report }: { report: ShownReport }) {
  const titleId = useId();
  return (
    <section aria-labelledby={titleId} className="definitions">
      <h2 id={titleId}>Definitions</h2>
      <ol>
        {numberedDefinitions(report).map((d) => (
          <li key={d.figure}>
            <strong>{d.term}.</strong> {d.text}
          </li>
        ))}
      </ol>
    </section>
  );
}
