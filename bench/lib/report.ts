/** The table printed to stdout and bench/RESULTS.md. */
import os from 'node:os';
import type { ColdStartResult } from './coldStart.ts';
import type { JsSize } from './bundleSize.ts';
import type { Machine } from './machine.ts';
import type { SaveResult } from './saveBench.ts';
import type { SearchBenchResult } from './searchBench.ts';
import { median, medianOfRuns } from './stats.ts';

export interface Row {
  figure: string;
  measured: string;
  baseline: string;
  ratio: string;
  target: string;
  met: boolean;
}

export interface ReportInput {
  machine: Machine;
  rows: Row[];
  save: SaveResult;
  saveConfig: { women: number; visits: number; batch: number; perRun: number; warmup: number };
  searchNode: SearchBenchResult;
  searchBrowser: SearchBenchResult;
  searchConfig: { women: number; queries: number };
  cold: ColdStartResult;
  appJs: JsSize;
  reactJs: JsSize;
  runs: number;
  elapsedS: number;
}

const HEAD = ['Figure', 'Measured', 'Baseline (same run)', 'Ratio', 'Target', 'Met'];
const cells = (r: Row) => [r.figure, r.measured, r.baseline, r.ratio, r.target, r.met ? 'yes' : 'NO'];

function textTable(rows: Row[]): string {
  const all = [HEAD, ...rows.map(cells)];
  const widths = HEAD.map((_, i) => Math.max(...all.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((c, i) => c.padEnd(widths[i]!)).join(' | ');
  return [line(HEAD), widths.map((w) => '-'.repeat(w)).join('-+-'), ...rows.map((r) => line(cells(r)))].join('\n');
}

function mdTable(head: string[], body: string[][]): string {
  return [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...body.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

const f = (x: number, d = 2) => x.toFixed(d);

export function renderReport(i: ReportInput): { table: string; markdown: string } {
  const m = i.machine;
  const searchRuns = (s: SearchBenchResult) =>
    mdTable(
      ['Run', 'search p50', 'search p95', 'search max', 'includes() p50', 'includes() p95', 'includes() max', 'index build'],
      s.runs.map((r, k) => [
        String(k + 1),
        f(r.search.p50, 3),
        f(r.search.p95, 3),
        f(r.searchMax, 3),
        f(r.baseline.p50, 3),
        f(r.baseline.p95, 3),
        f(r.baselineMax, 3),
        f(s.indexBuildMs[k]!, 1),
      ]),
    );
  const missed = i.rows.filter((r) => !r.met);
  const aloneSave = medianOfRuns(i.save.runs.map((r) => r.saveAlone));
  const aloneRaw = medianOfRuns(i.save.runs.map((r) => r.rawAlone));
  const sealM = medianOfRuns(i.save.seal);
  const worstSaveP95 = Math.max(...i.save.runs.flatMap((r) => [r.save.p95, r.saveAlone.p95]));

  const markdown = `# Footfall benchmark results

Written by \`npm run bench\` (bench/run.ts) on ${m.date}. Do not edit by hand: run it again.
Targets are DESIGN.md §8. Every figure is the median of ${i.runs} runs (cold start: of ${i.cold.app.length} cold starts),
each beside a baseline measured in the same run, on the same machine, in the same process or page.

## Machine

| | |
|---|---|
| CPU | ${m.cpu} |
| Cores | ${m.cores} |
| Memory | ${m.memory} |
| OS | ${m.os} |
| Node | ${m.node} |
| Chromium | ${m.chromium} (headless, via playwright-core) |
| Browser profiles (IndexedDB) | ${m.profileDisk} |
| Load average (1 min) at start / end | ${f(m.loadAtStart)} / ${f(os.loadavg()[0] ?? 0)} (other work on this machine shares its 2 cores and disk) |
| Whole bench took | ${f(i.elapsedS, 0)} s |

## Summary

${mdTable(HEAD, i.rows.map(cells))}

${missed.length ? `**Not met:** ${missed.map((r) => r.figure).join('; ')}.` : 'Every target measured here is met.'}

Not measured here yet (no code for them in the repository at the time of writing): sync upload,
the financial-year report, server throughput, accessibility, and check-in in 3 taps.

## 1. Saving a visit

In Chromium, on a page of the served app's origin (\`/api/health\`, so none of the app's own code
runs beside it), the real \`Vault.commit\` from src/app/vault.ts with the real \`FootfallDb\` (Dexie,
\`chromeTransactionDurability: 'strict'\`) and a real keyring, bundled from the sources with Vite
into bench/.tmp. One save is what \`actions.checkIn\` writes: one \`visit.checkedIn\` event validated
and sealed (AES-256-GCM), the visit row sealed and blind-tagged (HMAC), then one transaction adding
the event row and putting the visit row. Timed from the call to the transaction's completion.

Stored first, through the same \`Vault.commit\` in batches of ${i.saveConfig.batch}: ${i.saveConfig.women.toLocaleString('en-GB')} women and
${i.saveConfig.visits.toLocaleString('en-GB')} visits spread over two years, in ${f(i.save.prefillMs / 1000, 1)} s. Rows before timing: ${Object.entries(i.save.stored)
    .map(([k, v]) => `${k} ${v.toLocaleString('en-GB')}`)
    .join(', ')}; after: ${Object.entries(i.save.storedAfter)
    .map(([k, v]) => `${k} ${v.toLocaleString('en-GB')}`)
    .join(', ')}.
Then ${i.saveConfig.warmup} untimed saves, then ${i.runs} runs of ${i.saveConfig.perRun} saves.

Baseline, interleaved one for one with the saves (order alternating): a raw IndexedDB \`put\` in
its own \`readwrite\` transaction with \`durability: 'strict'\`, into a separate small database, of
a value with the same bytes as that save's sealed event row (a fresh id, a 12-byte IV and the
same ciphertext length, ${i.save.eventCtBytes} bytes on average; the visit row, about ${i.save.visitCtBytes} bytes of ciphertext,
is not in the baseline). As a cross-check on the interleaving, each run then also times
${i.saveConfig.perRun} raw puts alone and ${i.saveConfig.perRun} saves alone, in blocks.

${mdTable(
  ['Run', 'save p50', 'save p95', 'save max', 'raw put p50', 'raw put p95', 'raw put max', 'alone: save p50 / p95', 'alone: raw p50 / p95'],
  i.save.runs.map((r, k) => [
    String(k + 1),
    f(r.save.p50),
    f(r.save.p95),
    f(r.saveMax),
    f(r.raw.p50),
    f(r.raw.p95),
    f(r.rawMax),
    `${f(r.saveAlone.p50)} / ${f(r.saveAlone.p95)}`,
    `${f(r.rawAlone.p50)} / ${f(r.rawAlone.p95)}`,
  ]),
)}

All in ms. Chromium's \`performance.now()\` here moves in steps of about ${f(i.searchBrowser.clockStepMs, 3)} ms.
Medians over the runs, in blocks: save ${f(aloneSave.p50)} / ${f(aloneSave.p95)} ms, raw put ${f(aloneRaw.p50)} / ${f(aloneRaw.p95)} ms (p50 / p95),
a ratio of ${f(aloneSave.p50 / aloneRaw.p50, 1)}x / ${f(aloneSave.p95 / aloneRaw.p95, 1)}x.
Of a save, the validation and sealing alone (what Vault.commit does before its transaction, run
on its own ${i.saveConfig.perRun} times per run) take ${f(median(i.save.seal.map((r) => r.mean)), 3)} ms on average and ${f(sealM.p95)} ms at p95 (medians of the runs;
single ones are near the clock's step).
The worst single run's save p95 was ${f(worstSaveP95)} ms${worstSaveP95 >= 16 ? ' — over 16 ms in that run, though the median of the runs is what is judged' : ''}. The slowest
single saves (tens of ms, the raw puts have them too) are the disk's flushes and the database's
own housekeeping after the bulk load, not the sealing.

## 2. Searching 10,000 women

\`buildSearchIndex\` + \`searchByName\` (src/domain/search.ts, limit 20) over ${i.searchConfig.women.toLocaleString('en-GB')} generated known-as
names from many languages (accents, hyphens, apostrophes, initials, nicknames), for ${i.searchConfig.queries} queries
of what is typed at the desk: 1 to 4 letters of a name's start, partial words of two names
("ann ma"), pieces from inside a name, mostly without accents. Each query is timed once per run,
after one untimed warm-up pass. Baseline, per query, alternating order: a plain scan of the
lower-cased names with \`String.prototype.includes\` (no accent folding, no ranking, no sorting).

Node ${m.node}:

${searchRuns(i.searchNode)}

Chromium (the same code bundled, in the page; its clock moves in steps of about ${f(i.searchBrowser.clockStepMs, 3)} ms,
so figures below that are coarse):

${searchRuns(i.searchBrowser)}

All in ms.

## 3. Offline cold start to a usable screen

The app (built from the sources with the project's vite.config.ts into bench/.tmp/app, a private copy of
what dist/ holds) served by the real endpoint (src/server/app.ts); Chromium opened it online, a device was set up
(first admin, PIN) and the service worker installed and took control. Then the server was
stopped, and ${i.cold.app.length} times: Chromium closed and started again on the same profile, and the app's
URL opened, timed from navigation start until the lock screen's "Unlock" button was in the DOM
and visible, and the next animation frame had come (a MutationObserver and requestAnimationFrame
installed before the page's scripts). Every cold start ${i.cold.servedBySw ? 'was' : 'was NOT always'} controlled by the service worker
and reached the lock screen. Device set-up (including PBKDF2 with 600,000 iterations) took ${f(i.cold.setupMs / 1000, 1)} s.

Baseline, in its own cold start of the same browser before each app start: a \`data:\` page
holding only a button labelled "Unlock", timed the same way.

${mdTable(
  ['Cold start', 'app: Unlock visible', 'app: in DOM', 'app: first contentful paint', 'baseline: Unlock visible', 'baseline: FCP'],
  i.cold.app.map((a, k) => {
    const b = i.cold.baseline[k]!;
    return [String(k + 1), f(a.unlockVisible, 1), f(a.unlockInDom, 1), a.firstContentfulPaint === null ? '-' : f(a.firstContentfulPaint, 1), f(b.unlockVisible, 1), b.firstContentfulPaint === null ? '-' : f(b.firstContentfulPaint, 1)];
  }),
)}

Median: app ${f(median(i.cold.app.map((s) => s.unlockVisible)), 1)} ms, baseline ${f(median(i.cold.baseline.map((s) => s.unlockVisible)), 1)} ms. "Cold" is a new browser process
and a stopped service worker; the operating system's file cache is not dropped between starts.

## 4. Initial JavaScript

Every \`<script src>\` and \`<link rel="modulepreload">\` in the built index.html, plus what they import
statically (chunks loaded by dynamic \`import()\` later are not counted), gzipped with node:zlib.
Baseline: React + React DOM rendering one paragraph, built for production by the same Vite into
bench/.tmp. Target read strictly: 150 kB = 150,000 bytes, at the default gzip level.

${mdTable(
  ['File', 'raw', 'gzip (default)', 'gzip -9'],
  [
    ...i.appJs.files.map((x) => [x.path, String(x.raw), String(x.gzipDefault), String(x.gzip9)]),
    ['**app total**', String(i.appJs.raw), String(i.appJs.gzipDefault), String(i.appJs.gzip9)],
    ...i.reactJs.files.map((x) => [x.path, String(x.raw), String(x.gzipDefault), String(x.gzip9)]),
    ['**React-only total**', String(i.reactJs.raw), String(i.reactJs.gzipDefault), String(i.reactJs.gzip9)],
  ],
)}

All in bytes.
`;
  return { table: textTable(i.rows), markdown };
}
