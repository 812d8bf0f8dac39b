/**
 * The printable report: statement, chart, tables, notes and footnoted definitions on one page
 * of its own. The print stylesheet hides everything else (navigation, controls), so the
 * browser's "Save as PDF" gives a clean document.
 */
import { useEffect, useRef } from 'react';
import type { PublishedReport } from '../../../domain/disclosure.ts';
import { reportNotes, type ExactReport } from '../../../domain/report.ts';
import { AllFigures, Definitions, Notes } from './ReportFigures.tsx';
import { VisitsChart } from './VisitsChart.tsx';
import { useSession } from '../../store.ts';

const PRINTED = new Intl.DateTimeFormat('en-GB', { dateStyle: 'long', timeStyle: 'short' });

export function PrintableReport({ report, onClose }: { report: ExactReport | PublishedReport; onClose: () => void }) {
  const { name } = useSession().config;
  const heading = useRef<HTMLHeadingElement>(null);
  const published = 'published' in report;

  useEffect(() => {
    heading.current?.focus();
    // After this view has been drawn, so the print dialog shows it.
    const timer = setTimeout(() => window.print(), 0);
    return () => clearTimeout(timer);
  }, []);

  return (
    <article className="printable print-report" aria-labelledby="print-title">
      <div className="actions no-print">
        <button type="button" onClick={() => window.print()}>
          Print or save as PDF
        </button>
        <button type="button" onClick={onClose}>
          Back to reports
        </button>
      </div>
      {name && <p className="org-name">{name}</p>}
      <h1 id="print-title" ref={heading} tabIndex={-1}>
        Footfall report: {report.period.label}
      </h1>
      <p>
        {report.period.label}: {report.period.from} to {report.period.to}, beside the same period last year ({report.previousPeriod.label}:{' '}
        {report.previousPeriod.from} to {report.previousPeriod.to}).
      </p>
      <p className="muted">Printed {PRINTED.format(new Date())}.</p>
      <p className={published ? 'badge' : 'warning'}>
        {published ? 'Published figures: safe to share.' : 'Exact figures for internal use only: not safe to publish.'}
      </p>
      <p className="statement">{report.statement}</p>
      <VisitsChart report={report} />
      <AllFigures report={report} />
      <Notes notes={published ? report.notes : reportNotes(report)} />
      <Definitions report={report} />
    </article>
  );
}
