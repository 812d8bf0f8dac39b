/**
 * The page's side of a first opening of the reports: the request goes to the report worker
 * (reportWorker.ts), which reads, decrypts and resolves every stored event off the page's thread
 * while the page shows its progress; the report of the period the screen opens on comes back
 * first, then the resolved history, and once the page
 * says it has shown the report (`keep`) the worker keeps the resolution and ends. Where no Web
 * Worker can be started (tests in Node), the same function runs here.
 */
import { openReport, type OpenReportMessage, type OpenReportRequest, type ReportWorkerMessage, type ResolvedReport } from './openReport.ts';
import ReportWorker from './reportWorker.ts?worker';
import type { ExactReport } from '../../../domain/report.ts';

export interface ReportOpening {
  resolved: Promise<ResolvedReport>;
  /** Leave to keep the resolution: the page has what it needs to show the report. */
  keep: () => void;
  /** Settles once the worker is done: the resolution kept (or, where it may not be, not). */
  done: Promise<void>;
}

/**
 * `onProgress` hears how many chunk rows are open, of how many; `onCounted` the report of the
 * period the request opens on, as soon as the worker has counted it.
 */
export function openReportOffThread(
  request: OpenReportRequest,
  onProgress?: (opened: number, of: number) => void,
  onCounted?: (report: ExactReport) => void,
): ReportOpening {
  let resolve!: (report: ResolvedReport) => void;
  let finish!: () => void;
  let fail!: (e: Error) => void;
  const resolved = new Promise<ResolvedReport>((res, rej) => {
    resolve = res;
    fail = rej;
  });
  const done = new Promise<void>((res) => (finish = res));
  let stop = () => {};
  const hear = (message: OpenReportMessage) => {
    switch (message.kind) {
      case 'progress':
        onProgress?.(message.opened, message.of);
        break;
      case 'counted':
        onCounted?.(message.report);
        break;
      case 'resolved':
        resolve(message.report);
        break;
      case 'done':
        stop();
        finish();
        break;
      case 'failed':
        stop();
        fail(new Error(message.message));
        finish();
        break;
    }
  };
  let keep: () => void;
  if (typeof Worker === 'undefined') {
    let mayKeep!: () => void;
    void openReport(request, hear, new Promise<void>((res) => (mayKeep = res)));
    keep = mayKeep;
  } else {
    const worker = new ReportWorker({ name: 'reports' });
    stop = () => worker.terminate();
    worker.onmessage = (m: MessageEvent<OpenReportMessage>) => hear(m.data);
    worker.onerror = (e) => hear({ kind: 'failed', message: e.message || 'The reports could not be opened.' });
    const send = (message: ReportWorkerMessage) => worker.postMessage(message);
    send({ kind: 'open', request });
    keep = () => send({ kind: 'keep' });
  }
  return { resolved, keep, done };
}
