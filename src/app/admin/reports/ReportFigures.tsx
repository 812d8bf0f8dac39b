/**
 * The figures of a report as tables, with the same period last year beside every figure and the
 * definitions as numbered footnotes. The screen and the printable report render the same model,
 * exact (numbers) or published (display text), so they can never disagree. Every section and
 * table is drawn by the same code, so a new one in the model needs nothing here.
 *
 * Each section and table has a heading of its own with an id made from its id in the model
 * (docs/counting.md#the-report), so the screen's contents list links to it and a screen reader
 * can move from table to table by heading; its caption, read with the table, is not shown twice.
 */
import { Fragment, useId, type ReactNode } from 'react';
import {
  NOT_RECORDED_THEN,
  previousKnown,
  previousPeriodNote,
  type Cell,
  type Definition,
  type Report,
  type ReportFigure,
  type ReportSection,
  type ReportTable,
  type SectionId,
  type TableId,
} from '../../../domain/report.ts';

/** A report as the screen shows it: exact numbers, or published text. */
export type ShownReport = Report<number> | Report<string>;

export function shown(value: number | string): string {
  return typeof value === 'number' ? value.toLocaleString('en-GB') : value;
}

/** A part of the report the contents list links to: its heading's id and its title. */
export interface ReportPart {
  id: string;
  title: string;
}

export const NOTES_PART: ReportPart = { id: 'report-notes', title: 'Notes' };
export const DEFINITIONS_PART: ReportPart = { id: 'report-definitions', title: 'Definitions' };

/** The heading id of a section or table: stable across periods and modes, as its id in the model is. */
function partId(id: SectionId | TableId): string {
  return `report-${id.replace('.', '-')}`;
}

/** The sections and tables in the order ReportFigures draws them. */
export function reportParts(report: ShownReport): ReportPart[] {
  return [...report.sections, ...report.tables].map((part) => ({ id: partId(part.id), title: part.title }));
}

/**
 * The heading of a part of the report: a block of the page (2), or a section or table within
 * the figures (3). It takes focus (tabIndex -1) so that following a link of the contents list
 * moves the keyboard there too, not only the view.
 */
export function PartHeading({ id, level, children }: { id: string; level: 2 | 3; children: ReactNode }) {
  const Heading = level === 2 ? 'h2' : 'h3';
  return (
    <Heading id={id} tabIndex={-1} className="part-title">
      {children}
    </Heading>
  );
}

/** The figure a section's heading carries the footnote of: its rows' one figure, when they share one. */
function headingFigure(section: ReportSection<number | string>): string | undefined {
  const figures = new Set(section.rows.map((r) => r.figure));
  return figures.size === 1 ? [...figures][0] : undefined;
}

/** Every footnote mark of the report, in the order the tables show them. */
function marks(report: ShownReport): string[] {
  const figures: string[] = [];
  for (const section of report.sections) {
    const heading = headingFigure(section);
    figures.push(...(heading === undefined ? section.rows.map((r) => r.figure) : [heading]));
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

/** The figures under a heading of their own, on the screen and on paper alike. */
export function AllFigures({ report }: { report: ShownReport }) {
  return (
    <section aria-labelledby="report-figures">
      <PartHeading id="report-figures" level={2}>
        All figures
      </PartHeading>
      <ReportFigures report={report} />
    </section>
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

/** The figures a reader wants first, in this order, from whichever section holds each. */
const HEADLINES: readonly ReportFigure[] = ['visits', 'uniqueWomen', 'newWomen', 'anonymousVisits', 'outreachContacts', 'womenSupported'];

/**
 * The headline figures, each beside the same period last year. They are the report's own rows
 * (Summary, Outreach, Advice and casework), so they always match the tables below, exact or
 * published. A year before the first record says so in words, as there is room for them here.
 */
export function Headlines({ report }: { report: ShownReport }) {
  const rows = HEADLINES.flatMap((figure) => {
    for (const section of report.sections) {
      const row = section.rows.find((r) => r.figure === figure && r.category === undefined);
      if (row) return [row];
    }
    return [];
  });
  return (
    <dl className="figures headlines" aria-label="Headline figures">
      {rows.map((row) => (
        <div key={row.figure} className="figure">
          <dt>{row.label}</dt>
          <dd>{shown(row.current)}</dd>
          <dd className="last-year">
            {lastYearLabel(report)}: {report.previousPeriod.recorded ? shown(row.previous) : NOT_RECORDED_THEN}
          </dd>
        </div>
      ))}
    </dl>
  );
}

/** "Last year", or, when it was recorded in part, from when: a headline's figure then is not the whole year's. */
function lastYearLabel(report: ShownReport): string {
  const from = report.previousPeriod.recordedFrom;
  return from === null ? 'Last year' : `Last year, from ${from}`;
}

/** A figure and the same figure last year; a year or month before the first record shows a dash, not 0. */
function PeriodCells({ cell, known }: { cell: Cell<number | string>; known: boolean }) {
  return (
    <>
      <td className="num">{shown(cell.current)}</td>
      <td className="num">
        {known ? (
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
  const heading = headingFigure(section);
  const id = partId(section.id);
  const hintId = useId();
  const hint = section.adds === 'atLeast';
  // Three columns fit a small phone, so this table wraps rather than scrolls.
  return (
    <>
      <PartHeading id={id} level={3}>
        {section.title}
        <Footnote n={heading === undefined ? undefined : notes.get(heading)} />
      </PartHeading>
      {hint && (
        <p id={hintId} className="part-hint">
          A woman can be counted in more than one row.
        </p>
      )}
      <div className="table-wrap">
        <table className="figures-table" aria-describedby={hint ? hintId : undefined}>
          <caption>{section.title}</caption>
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
                  {heading === undefined && <Footnote n={notes.get(row.figure)} />}
                </th>
                <PeriodCells cell={row} known={previousKnown(report.previousPeriod)} />
              </tr>
            ))}
          </tbody>
          {section.total && (
            <tfoot>
              <tr>
                <th scope="row">{section.total.label} (total)</th>
                <PeriodCells cell={section.total} known={previousKnown(report.previousPeriod)} />
              </tr>
            </tfoot>
          )}
        </table>
      </div>
    </>
  );
}

function GridTable({ table, report, notes }: { table: ReportTable<number | string>; report: ShownReport; notes: Map<string, number> }) {
  const id = partId(table.id);
  const captionId = useId();
  const hintId = useId();
  const hint = table.columns.some((c) => c.adds === 'atLeast');
  const previousHead = report.previousPeriod.recorded ? 'Last year' : `Last year (${NOT_RECORDED_THEN})`;
  return (
    <>
      <PartHeading id={id} level={3}>
        {table.title}
        <Footnote n={table.figure === undefined ? undefined : notes.get(table.figure)} />
      </PartHeading>
      {hint && (
        <p id={hintId} className="part-hint">
          Rows can add up to more than the total.
        </p>
      )}
      <div className="table-scroll" role="region" aria-labelledby={captionId} tabIndex={0}>
        <table className="figures-table grid" aria-describedby={hint ? hintId : undefined}>
          <caption id={captionId}>
            {table.title}, {report.period.label} beside the same period last year
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
                  <PeriodCells key={table.columns[i]!.figure} cell={cell} known={previousKnown(report.previousPeriod, row)} />
                ))}
              </tr>
            ))}
          </tbody>
          <tfoot>
            <tr>
              <th scope="row">{table.totalLabel}</th>
              {table.totals.map((cell, i) => (
                <PeriodCells key={table.columns[i]!.figure} cell={cell} known={previousKnown(report.previousPeriod)} />
              ))}
            </tr>
          </tfoot>
        </table>
      </div>
    </>
  );
}

/** The notes of published figures: the method of disclosure control, and what the figures count. */
export function Notes({ notes }: { notes: readonly string[] }) {
  return (
    <section aria-labelledby={NOTES_PART.id} className="notes">
      <PartHeading id={NOTES_PART.id} level={2}>
        {NOTES_PART.title}
      </PartHeading>
      <ul>
        {notes.map((note) => (
          <li key={note}>{note}</li>
        ))}
      </ul>
    </section>
  );
}

/** The definitions, numbered as the footnote marks refer to them. */
export function Definitions({ report }: { report: ShownReport }) {
  return (
    <section aria-labelledby={DEFINITIONS_PART.id} className="definitions">
      <PartHeading id={DEFINITIONS_PART.id} level={2}>
        {DEFINITIONS_PART.title}
      </PartHeading>
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
