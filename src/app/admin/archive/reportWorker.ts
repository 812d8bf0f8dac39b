/**
 * The report worker: a module Web Worker that opens the reports (openReport.ts) off the page's
 * thread. It takes one request and answers with progress, the resolved history, then done.
 */
import { openReport, type OpenReportMessage, type OpenReportRequest } from './openReport.ts';

const scope = self as unknown as { onmessage: ((m: MessageEvent<OpenReportRequest>) => void) | null; postMessage: (m: OpenReportMessage) => void };

scope.onmessage = (m) => void openReport(m.data, (message) => scope.postMessage(message));
