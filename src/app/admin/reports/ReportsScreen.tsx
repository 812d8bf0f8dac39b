/**
 * The admin's reports (docs/counting.md#the-report), on an admin device: the organisation key opened with her
 * passphrase, the archive fetched and decrypted here (and kept here, sealed), and every figure
 * counted here by the domain's counting module. The screen shows exact figures; publication mode
 * previews what may be published, and exports are published unless she asks otherwise.
 *
 * The page opens on one screen of what a trustee or funder asks first: the period, the sentence
 * for a letter, the headline figures beside last year's and the chart. Every table follows, each
 * reachable from a contents list.
 */
import { useMemo, useState } from 'react';
import { publishReport } from '../../../domain/disclosure.ts';
import { financialYearOf, type Period } from '../../../domain/periods.ts';
import { buildReport, firstRecordDate, type History } from '../../../domain/report.ts';
import { useFootfall, useSession } from '../../store.ts';
import { NOT_ADMIN_DEVICE_MESSAGE, NOT_ENROLLED_MESSAGE } from '../adminDevice.ts';
import { EXPORTS_PART, Exports } from './Exports.tsx';
import { forgetOrgKey, useOrgKey } from '../orgKey.ts';
import { currentFinancialYear, PeriodPicker } from './PeriodPicker.tsx';
import { PrintableReport } from './PrintableReport.tsx';
import { AllFigures, Definitions, DEFINITIONS_PART, Headlines, Notes, NOTES_PART, reportParts, type ReportPart } from './ReportFigures.tsx';
import { UnlockReports } from '../UnlockOrgKey.tsx';
import { useArchive, type ArchiveView } from '../archive/useArchive.ts';
import type { ArchiveSummary, OpeningProgress } from '../archive/archiveStore.ts';
import { SetAsideNotice } from './SetAsideNotice.tsx';
import { VisitsChart } from './VisitsChart.tsx';
import './reports.css';
import { useCore } from '../../shared/useCore.ts';

export function ReportsScreen() {
  const sync = useFootfall((s) => s.sync);
  const core = useCore();
  const key = useOrgKey(core);
  if (sync.enrolled && sync.deviceRole === 'admin' && key) return <OpenReports />;
  return (
    <>
      <h1>Reports</h1>
      {!sync.enrolled ? (
        <p className="warning">{NOT_ENROLLED_MESSAGE}</p>
      ) : sync.deviceRole !== 'admin' ? (
        <p className="warning">{NOT_ADMIN_DEVICE_MESSAGE}</p>
      ) : (
        <UnlockReports />
      )}
    </>
  );
}

function OpenReports() {
  const core = useCore();
  const { config, today } = useSession();
  const [period, setPeriod] = useState<Period>(() => currentFinancialYear(today, config.financialYearStartMonth));
  const archive = useArchive(config, period);
  // Resolved once per opening of the archive (useArchive); each period is then only counted. A
  // first opening counts the period it opens on off the page, and it shows before the history comes.
  const history = archive.history;
  const counted = archive.counted && archive.counted.config === config && samePeriod(archive.counted.period, period) ? archive.counted.report : null;
  const report = useMemo(() => counted ?? (history && buildReport(history, config, period)), [counted, history, config, period]);
  const published = useMemo(() => report && publishReport(report), [report]);
  const [publication, setPublication] = useState(false);
  const [exactExport, setExactExport] = useState(false);
  const [printing, setPrinting] = useState(false);
  const years = useMemo(() => yearsOf(history, today, config.financialYearStartMonth), [history, today, config.financialYearStartMonth]);

  if (printing && report && published) return <PrintableReport report={exactExport ? report : published} onClose={() => setPrinting(false)} />;

  const shown = publication ? published : report;
  return (
    <>
      <div className="reports-head">
        <h1>Reports</h1>
        <button type="button" className="quiet" onClick={() => forgetOrgKey(core)}>
          Close the organisation’s records
        </button>
      </div>
      <ArchiveStatus archive={archive} />
      {report && shown && published ? (
        <>
          <section aria-labelledby="glance-title" className="glance">
            <h2 id="glance-title" className="report-title">
              {report.period.label}
              <span className="muted">
                {' '}
                ({report.period.from} to {report.period.to}) at a glance, beside the same period last year ({report.previousPeriod.label})
              </span>
            </h2>
            <div className="report-controls">
              <PeriodPicker today={today} startMonth={config.financialYearStartMonth} years={years} onChange={setPeriod} />
              <label className="check switch">
                <input autoComplete="off" type="checkbox" role="switch" checked={publication} onChange={(e) => setPublication(e.target.checked)} aria-describedby="publication-hint" />
                Publication mode
              </label>
              <p id="publication-hint" className="hint">
                {publication
                  ? 'Showing the figures as published: each rounded to the nearest 5 (rows need not add up), under 5 as <5, some withheld as [c].'
                  : 'Showing exact figures, for the organisation only. Switch on to preview the published figures.'}
              </p>
            </div>
            <Statement key={shown.statement} text={shown.statement} />
            <div className="glance-body">
              <Headlines report={shown} />
              <VisitsChart report={shown} />
            </div>
          </section>
          <ReportContents parts={[...reportParts(shown), ...(publication ? [NOTES_PART] : []), DEFINITIONS_PART, EXPORTS_PART]} />
          <AllFigures report={shown} />
          {publication && <Notes notes={published.notes} />}
          <Definitions report={shown} />
          <Exports
            report={report}
            published={published}
            history={history}
            exact={exactExport}
            onExactChange={setExactExport}
            onPrint={() => setPrinting(true)}
          />
        </>
      ) : (
        !archive.error && <Opening progress={archive.opening} />
      )}
    </>
  );
}

/**
 * While the records on this device are opened. A first opening reads and resolves every stored
 * record off the page's thread, so the page stays responsive and shows how far it has got.
 */
function Opening({ progress }: { progress: OpeningProgress | null }) {
  const percent = progress && progress.of > 0 ? Math.round((100 * progress.opened) / progress.of) : null;
  return (
    <div className="opening">
      <p role="status" className="muted" id="opening-label">
        {percent === null
          ? 'Opening the records on this device…'
          : percent < 100
            ? `Opening the records on this device for the first time: ${percent}% read…`
            : 'Every record read; resolving them for the report…'}
      </p>
      {percent !== null && <progress role="progressbar" aria-labelledby="opening-label" aria-valuemin={0} aria-valuemax={100} aria-valuenow={percent} max={100} value={percent} />}
    </div>
  );
}

/**
 * A link to the heading of every part below the first screen. Plain in-page links, which work
 * with any keyboard or reader; each heading takes focus (PartHeading), so the keyboard follows.
 */
function ReportContents({ parts }: { parts: ReportPart[] }) {
  return (
    <nav aria-labelledby="contents-title" className="contents">
      <h2 id="contents-title">Report sections</h2>
      <ul>
        {parts.map((part) => (
          <li key={part.id}>
            <a href={`#${part.id}`}>{part.title}</a>
          </li>
        ))}
      </ul>
    </nav>
  );
}

const count = (n: number, one: string, many = `${one}s`) => `${n.toLocaleString('en-GB')} ${n === 1 ? one : many}`;

/** What the copy on this device holds, and the records saved here that are in no batch yet but counted (docs/sync.md#the-invariant). */
function copyOnDevice(summary: ArchiveSummary, waiting: number): string {
  const asOf = summary.refreshedAt ? `, up to date as of ${new Date(summary.refreshedAt).toLocaleString('en-GB', { dateStyle: 'medium', timeStyle: 'short' })}` : '';
  const stored = `${count(summary.events, 'record')} from ${count(summary.batches, 'batch', 'batches')} on this device${asOf}.`;
  if (waiting === 0) return stored;
  return `${stored} ${waiting === 1 ? 'One more, saved here and waiting to upload, is' : `${waiting.toLocaleString('en-GB')} more, saved here and waiting to upload, are`} counted too.`;
}

/** What the copy on this device holds, the refresh under way, and what could not be read. */
function ArchiveStatus({ archive }: { archive: ArchiveView }) {
  const { progress, summary, error, unreadableRows, events, waiting } = archive;
  return (
    <section aria-label="Records on this device" className="archive-status no-print">
      <p role="status">
        {progress
          ? `Fetching and decrypting: fetched ${count(progress.batches, 'batch', 'batches')}, ${count(progress.events, 'record')}…`
          : summary && events !== null
            ? copyOnDevice(summary, waiting)
            : ''}
      </p>
      {error && (
        <p role="alert" className="warning">
          {error} {events !== null ? 'The report shows the records already on this device.' : ''}
        </p>
      )}
      {summary && summary.unreadable > 0 && (
        <p className="warning">
          {summary.unreadable === 1 ? 'One batch' : count(summary.unreadable, 'batch', 'batches')} on the server could not be opened and{' '}
          {summary.unreadable === 1 ? 'is' : 'are'} not counted. They may be damaged or not from an enrolled device; nothing in them was guessed at.
        </p>
      )}
      {summary && <SetAsideNotice setAside={summary.setAside} />}
      {unreadableRows > 0 && (
        <p className="warning">
          {unreadableRows === 1 ? 'One stored part' : count(unreadableRows, 'stored part')} of the copy on this device could not be read. Use
          “Fetch everything again” to rebuild it from the server.
        </p>
      )}
      <div className="row-actions">
        <button type="button" onClick={() => void archive.refresh()} disabled={progress !== null}>
          Refresh
        </button>
        <button type="button" onClick={() => void archive.refresh({ fromStart: true })} disabled={progress !== null}>
          Fetch everything again
        </button>
      </div>
    </section>
  );
}

function Statement({ text }: { text: string }) {
  const [copied, setCopied] = useState('');
  async function copy() {
    try {
      await navigator.clipboard.writeText(text);
      setCopied('Copied. Paste it into your letter.');
    } catch {
      setCopied('This browser did not allow copying. Select the sentence and copy it yourself.');
    }
  }
  return (
    <section aria-labelledby="statement-title" className="statement-card">
      <div>
        <h3 id="statement-title">For a letter</h3>
        <p className="statement">{text}</p>
      </div>
      <button type="button" onClick={() => void copy()}>
        Copy
      </button>
      <p role="status" className="muted">
        {copied}
      </p>
    </section>
  );
}

/** Whether two periods are the same. */
function samePeriod(a: Period, b: Period): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/**
 * The years the period picker offers: from the first record's (financial) year, or last year, to
 * this year; last year and this until the history has come (a report counted early shows first).
 */
function yearsOf(history: History | null, today: string, startMonth: number): number[] {
  const thisYear = Number(today.slice(0, 4));
  const firstDate = history && firstRecordDate(history);
  const first = Math.min(thisYear - 1, firstDate ? financialYearOf(firstDate, startMonth) : Infinity);
  return Array.from({ length: thisYear - first + 1 }, (_, i) => first + i);
}
