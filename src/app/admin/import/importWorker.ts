/**
 * The import worker: a module Web Worker that reads a records file (parseRecordsCsv) off the
 * page's thread, so checking a file of tens of thousands of rows does not freeze the page
 * (docs/counting.md#import). It takes one request, answers once, and is ended by the page.
 */
import { parseRecordsCsv } from '../../../domain/recordsCsv.ts';
import type { ParseAnswer, ParseRequest } from './parseOffThread.ts';

const scope = self as unknown as { onmessage: ((m: MessageEvent<ParseRequest>) => void) | null; postMessage: (m: ParseAnswer) => void };

scope.onmessage = ({ data }) => {
  try {
    scope.postMessage({ ok: true, parse: parseRecordsCsv(data.text, data.ctx, data.mapping) });
  } catch (e) {
    scope.postMessage({ ok: false, message: e instanceof Error ? e.message : String(e) });
  }
};
