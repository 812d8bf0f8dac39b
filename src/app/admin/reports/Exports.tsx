/**
 * Exports of a report: the figures as CSV, the printable report, and the raw records as CSV in
 * the import format. Figures are published (disclosure control) unless the admin asks for the
 * exact ones for internal use. Every file is made on this device.
 */
import { useState } from 'react';
import { keyFromLabel } from '../../../domain/config.ts';
import type { PublishedReport } from '../../../domain/disclosure.ts';
import { figuresCsv } from '../../../domain/figuresCsv.ts';
import { recordsCsv } from '../../../domain/recordsCsv.ts';
import type { ExactReport, History } from '../../../domain/report.ts';
import { ErrorAlert, useAction } from '../../shared/useAction.tsx';
import { downloadText } from '../../shared/download.ts';
import { PartHeading, type ReportPart } from './ReportFigures.tsx';

export const EXPORTS_PART: ReportPart = { id: 'report-exports', title: 'Export' };

/** "footfall-figures-2025-26.csv" for the figures of 2025/26. */
function fileName(what: string, periodLabel: string, suffix = ''): string {
  return `footfall-${what}-${keyFromLabel(periodLabel)}${suffix}.csv`;
}

export function Exports({
  report,
  published,
  history,
  exact,
  onExactChange,
  onPrint,
}: {
  report: ExactReport;
  published: PublishedReport;
  /** Null while the records are still being opened (a report counted early shows first). */
  history: History | null;
  exact: boolean;
  onExactChange: (exact: boolean) => void;
  onPrint: () => void;
}) {
  const [records, setRecords] = useState<'period' | 'all'>('period');
  const [saved, setSaved] = useState('');
  const { run, error } = useAction();
  const label = report.period.label;

  function save(name: string, text: () => string) {
    void run(async () => {
      downloadText(name, text());
      setSaved(`${name} is in your downloads.`);
    });
  }

  return (
    <section aria-labelledby={EXPORTS_PART.id} className="card no-print">
      <PartHeading id={EXPORTS_PART.id} level={2}>
        {EXPORTS_PART.title}
      </PartHeading>
      <label className="check">
        <input autoComplete="off" type="checkbox" checked={exact} onChange={(e) => onExactChange(e.target.checked)} />
        Exact figures (internal use only)
      </label>
      <p className="hint">
        {exact
          ? 'Exact figures can single out a woman where numbers are small. Keep them inside the organisation.'
          : 'Published figures are safe to share: every figure rounded to the nearest 5, small numbers shown as <5, with the definitions and notes.'}
      </p>
      <div className="actions">
        <button type="button" onClick={() => save(fileName('figures', label, exact ? '-exact-internal' : ''), () => figuresCsv(exact ? report : published))}>
          Download figures (CSV)
        </button>
        <button type="button" onClick={onPrint}>
          Printable report
        </button>
      </div>
      <fieldset>
        <legend>Raw records</legend>
        <p className="hint">
          One row per visit, contact or session, in the format Footfall imports. Women appear by internal id only, never by name; even so, keep
          the file safe and delete it when done.
        </p>
        <div className="choices">
          <label className="choice">
            <input autoComplete="off" type="radio" name="records-scope" checked={records === 'period'} onChange={() => setRecords('period')} />
            Records in {label}
          </label>
          <label className="choice">
            <input autoComplete="off" type="radio" name="records-scope" checked={records === 'all'} onChange={() => setRecords('all')} />
            All records
          </label>
        </div>
        <div className="actions">
          <button
            type="button"
            disabled={!history}
            aria-describedby={history ? undefined : 'records-opening'}
            onClick={() =>
              history && save(fileName('records', records === 'all' ? 'all' : label), () => recordsCsv(history, records === 'all' ? null : report.period))
            }
          >
            Download raw records (CSV)
          </button>
        </div>
        {!history && (
          <p id="records-opening" className="hint">
            Ready in a moment: the records are still being opened.
          </p>
        )}
      </fieldset>
      <ErrorAlert message={error} />
      <p role="status" className="notice">
        {saved}
      </p>
    </section>
  );
}
