/**
 * The report worker: a module Web Worker that opens the reports (openReport.ts) off the page's
 * thread. It takes one request and answers with progress, the resolved history, then, once the
 * page has said it may keep, done.
 */
import { openReport, type OpenReportMessage, type ReportWorkerMessage } from './openReport.ts';

const scope = self as unknown as { onmessage: ((m: MessageEvent<ReportWorkerMessage>) => void) | null; postMessage: (m: OpenReportMessage) => void };

let keep!: () => void;
const mayKeep = new Promise<void>((resolve) => (keep = resolve));

scope.onmessage = (m) => {
  if (m.data.kind === 'keep') keep();
  else void openReport(m.data.request, (message) => scope.postMessage(message), mayKeep);
};
