/**
 * The figures of a report as tables, with the same period last year beside every figure and the
 * definitions as numbered footnotes. The screen and the printable report render the same model,
 * exact (numbers) or published (display text), so they can never disagree.
 */
import { Fragment, useId } from 'react';
import type { Report, ReportSection, ReportTable } from '../../../domain/report.ts';

/** A report as the screen shows it: exact numbers, or published text. */
export type ShownReport = Report<number> | Report<string>;

export function shown(value: number | string): string {
  return typeof value === 'number' ? value.toLocaleString('en-GB') : value;
}

/** Footnote numbers by the figure each definition explains. */
function footnotes(report: ShownReport): Map<string, number> {
  return new Map(report.definitions.map((d, i) => [d.figure, i + 1]));
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
  return (
    <>
      {report.sections.map((section) => (
        <SectionTable key={section.id} section={section} report={report} notes={notes} />
      ))}
      {report.tables.map((table) => (
        <GridTable key={table.id} table={table} report={report} notes={notes} />
      ))}
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
  const figures = new Set(section.rows.map((r) => r.figure));
  // One footnote on the caption when every row is the same figure; otherwise one per row.
  const captionNote = figures.size === 1 ? notes.get([...figures][0]!) : undefined;
  // Three columns fit a small phone, so this table wraps rather than scrolls.
  return (
    <div className="table-wrap">
      <table className="figures-table">
        <caption>
          {section.title}
          <Footnote n={captionNote} />
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
                {captionNote === undefined && <Footnote n={notes.get(row.figure)} />}
              </th>
              <td className="num">{shown(row.current)}</td>
              <td className="num">{shown(row.previous)}</td>
            </tr>
          ))}
        </tbody>
        {section.total && (
          <tfoot>
            <tr>
              <th scope="row">{section.total.label} (total)</th>
              <td className="num">{shown(section.total.current)}</td>
              <td className="num">{shown(section.total.previous)}</td>
            </tr>
          </tfoot>
        )}
      </table>
    </div>
  );
}

function GridTable({ table, report, notes }: { table: ReportTable<number | string>; report: ShownReport; notes: Map<string, number> }) {
  const captionId = useId();
  const note = notes.get(table.id === 'months' ? 'byMonth' : 'bySite');
  return (
    <div className="table-scroll" role="region" aria-labelledby={captionId} tabIndex={0}>
      <table className="figures-table grid">
        <caption id={captionId}>
          {table.title}, {report.period.label} beside the same {table.id === 'months' ? 'months' : 'period'} last year
          <Footnote n={note} />
        </caption>
        <thead>
          <tr>
            <td />
            {table.columns.map((c) => (
              <th key={c.figure} scope="colgroup" colSpan={2}>
                {c.label}
              </th>
            ))}
          </tr>
          <tr>
            <th scope="col">{table.id === 'months' ? 'Month' : 'Site'}</th>
            {table.columns.map((c) => (
              <Fragment key={c.figure}>
                <th scope="col" className="num">
                  {report.period.label}
                </th>
                <th scope="col" className="num">
                  Last year
                </th>
              </Fragment>
            ))}
          </tr>
        </thead>
        <tbody>
          {table.rows.map((row) => (
            <tr key={row.key}>
              <th scope="row">{row.label}</th>
              {row.cells.map((cell, i) => (
                <Fragment key={table.columns[i]!.figure}>
                  <td className="num">{shown(cell.current)}</td>
                  <td className="num">{shown(cell.previous)}</td>
                </Fragment>
              ))}
            </tr>
          ))}
        </tbody>
        <tfoot>
          <tr>
            <th scope="row">Whole period</th>
            {table.totals.map((cell, i) => (
              <Fragment key={table.columns[i]!.figure}>
                <td className="num">{shown(cell.current)}</td>
                <td className="num">{shown(cell.previous)}</td>
              </Fragment>
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
        {report.definitions.map((d) => (
          <li key={d.figure}>
            <strong>{d.term}.</strong> {d.text}
          </li>
        ))}
      </ol>
    </section>
  );
}
