/**
 * Reading a records file in the import worker (importWorker.ts), so the page stays responsive
 * while a large file is checked. Where no Web Worker can be started (tests in Node), it is read
 * here, as the reports are (src/app/admin/archive/reportOpening.ts).
 */
import { parseRecordsCsv, type ImportContext, type ImportParse, type TermMapping } from '../../../domain/recordsCsv.ts';
import ImportWorker from './importWorker.ts?worker';

export interface ParseRequest {
  text: string;
  ctx: ImportContext;
  mapping: TermMapping;
}

export type ParseAnswer = { ok: true; parse: ImportParse } | { ok: false; message: string };

export function parseOffThread(text: string, ctx: ImportContext, mapping: TermMapping): Promise<ImportParse> {
  if (typeof Worker === 'undefined') return Promise.resolve().then(() => parseRecordsCsv(text, ctx, mapping));
  return new Promise<ImportParse>((resolve, reject) => {
    const worker = new ImportWorker({ name: 'import' });
    worker.onmessage = ({ data }: MessageEvent<ParseAnswer>) => {
      worker.terminate();
      if (data.ok) resolve(data.parse);
      else reject(new Error(data.message));
    };
    worker.onerror = (e) => {
      worker.terminate();
      reject(new Error(e.message || 'The file could not be read.'));
    };
    const request: ParseRequest = { text, ctx, mapping };
    worker.postMessage(request);
  });
}
