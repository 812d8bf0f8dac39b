/** The table printed to stdout and bench/RESULTS.md. */
import os from 'node:os';
import type { ColdStartResult } from './coldStart.ts';
import type { JsSize } from './bundleSize.ts';
import type { Machine } from './machine.ts';
import type { SaveResult } from './saveBench.ts';
import type { SearchBenchResult } from './searchBench.ts';
import type { ServerBenchResult } from './serverBench.ts';
import { median, medianOfRuns, percentile } from './stats.ts';
import { SYNC_TARGET, type SyncResult } from './syncBench.ts';
import { CHUNK_FORMS, KEPT_STAGES, PROFILE_STAGES, type ReportResult } from './reportBench.ts';

export interface Row {
  figure: string;
  measured: string;
  baseline: string;
  ratio: string;
  target: string;
  /** null: reported without a target. */
  met: boolean | null;
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
  sync: SyncResult;
  report: ReportResult;
  reportConfig: { events: number; startYear: number };
  server: ServerBenchResult[];
  appJs: JsSize;
  reactJs: JsSize;
  runs: number;
  elapsedS: number;
}

const HEAD = ['Figure', 'Measured', 'Baseline (same run)', 'Ratio', 'Target', 'Met'];
const cells = (r: Row) => [r.figure, r.measured, r.baseline, r.ratio, r.target, r.met === null ? '-' : r.met ? 'yes' : 'NO'];

/** How much higher the server's RSS may end its last runs than its first and still count as bounded. */
export const RSS_GROWTH_ALLOWED_MIB = 16;
/** And no run's peak may pass this. */
export const RSS_CEILING_MIB = 512;

/**
 * Memory bounded: never near the ceiling, and not growing run over run. Growing means each of the
 * last two runs ends more than a little above the higher of the first two: with real-sized
 * uploads (tens of megabytes in flight) the RSS a run ends on moves up and down by 20 to 60 MiB
 * from run to run (PostgreSQL, 5 runs: 257, 267, 238, 231, 292; 8 runs: 209, 243, 201, 246, 232,
 * 243, 230, 230), so comparing the last run alone with the ones before called that growth whenever
 * the last happened to end high, while memory that keeps growing ends both last runs higher.
 */
export function memoryBounded(r: ServerBenchResult): boolean {
  const ends = r.runs.map((k) => k.rssMiB);
  // Two runs at each end (one, when there are fewer than four).
  const k = Math.min(2, Math.floor(ends.length / 2));
  const grew = k > 0 && Math.min(...ends.slice(-k)) - Math.max(...ends.slice(0, k)) > RSS_GROWTH_ALLOWED_MIB;
  return !grew && Math.max(r.maxRssMiB, ...r.runs.map((k) => k.peakRssMiB)) <= RSS_CEILING_MIB;
}

export function textTable(rows: Row[]): string {
  const all = [HEAD, ...rows.map(cells)];
  const widths = HEAD.map((_, i) => Math.max(...all.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((c, i) => c.padEnd(widths[i]!)).join(' | ');
  return [line(HEAD), widths.map((w) => '-'.repeat(w)).join('-+-'), ...rows.map((r) => line(cells(r)))].join('\n');
}

function mdTable(head: string[], body: string[][]): string {
  return [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...body.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

const f = (x: number, d = 2) => x.toFixed(d);

export function renderReport(i: ReportInput): { markdown: string } {
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
  const missed = i.rows.filter((r) => r.met === false);
  const aloneSave = medianOfRuns(i.save.runs.map((r) => r.saveAlone));
  const aloneRaw = medianOfRuns(i.save.runs.map((r) => r.rawAlone));
  const sealM = medianOfRuns(i.save.seal);
  const worstSaveP95 = Math.max(...i.save.runs.flatMap((r) => [r.save.p95, r.saveAlone.p95]));

  const markdown = `# Footfall benchmark results

Written by \`npm run bench\` (bench/run.ts) on ${m.date}. Do not edit by hand: run it again.
Targets are in docs/architecture.md#performance-targets. Every figure is the median of ${i.runs} runs (cold start: the p50 and p95 of each series of cold starts),
each beside a baseline measured in the same run, on the same machine, in the same process, page or server.

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

Not measured here: accessibility (axe in the end-to-end tests) and check-in in 3 taps (component and end-to-end tests).

## 1. Saving a visit

In Chromium, on a page of the served app's origin (\`/api/health\`, so none of the app's own code
runs beside it), the real \`Vault.commit\` from src/app/core/vault.ts with the real \`FootfallDb\` (Dexie,
\`chromeTransactionDurability: 'strict'\`) and a real keyring, bundled from the sources with Vite
into bench/.tmp. One save is what \`checkIn\` (src/app/frontDesk/visitActions.ts) writes, and all that
\`DeviceCore.save\` awaits: one \`visit.checkedIn\` event validated and sealed (AES-256-GCM), the
visit row sealed and blind-tagged (HMAC), then one transaction adding the event row, putting the
visit row and moving the kept count of waiting records, whose new value it returns for the status
line. Timed from the call to the transaction's completion, count in hand.

Stored first, through the same \`Vault.commit\` in batches of ${i.saveConfig.batch}: ${i.saveConfig.women.toLocaleString('en-GB')} women and
${i.saveConfig.visits.toLocaleString('en-GB')} visits spread over two years, in ${f(i.save.prefillMs / 1000, 1)} s. Rows before timing: ${Object.entries(i.save.stored)
    .map(([k, v]) => `${k} ${v.toLocaleString('en-GB')}`)
    .join(', ')}; after: ${Object.entries(i.save.storedAfter)
    .map(([k, v]) => `${k} ${v.toLocaleString('en-GB')}`)
    .join(', ')}.
None of them is synced, so all ${i.save.waitingBefore.toLocaleString('en-GB')} events were waiting (the kept count agreed with
the index before timing, and the count the last save returned, ${i.save.waitingAfter.returned.toLocaleString('en-GB')}, with the index after).
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
Counting the waiting records through the events' \`synced\` index instead, as the app did after each
save before the count was kept, took ${f(median(i.save.recount), 1)} ms (median of ${i.save.recount.length}; slowest ${f(Math.max(...i.save.recount), 1)} ms)
with ${i.save.waitingAfter.counted.toLocaleString('en-GB')} waiting.
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
(first admin, PIN), one visit saved and the service worker installed and took control. Then the server was
stopped for good, and each time: Chromium closed and started again on the same profile, and the app's
URL opened, timed from navigation start until the lock screen's "Unlock" button was in the DOM
and visible, and the next animation frame had come (test/e2e/offlineStart.ts: a MutationObserver and
requestAnimationFrame installed before the page's scripts). A start that was refused, not controlled by the
service worker or showed no Unlock button within 30 s counts as failed. First ${i.cold.empty.app.length + i.cold.empty.failures.length} starts of the
empty device; then ${i.cold.soak.waiting.toLocaleString('en-GB')} events were added to its outbox, waiting to upload (copies of the saved
visit, sealed, with the kept waiting count moved to match; added in ${f(i.cold.seedMs / 1000, 1)} s), and the soak:
${i.cold.soak.app.length + i.cold.soak.failures.length} starts more. Device set-up (including PBKDF2 with 600,000 iterations) took ${f(i.cold.setupMs / 1000, 1)} s.

Baseline, in its own cold start of the same browser before each app start: a \`data:\` page
holding only a button labelled "Unlock", timed the same way.

${mdTable(
  ['Starts', 'app: Unlock visible p50 / p95 / max', 'app: first contentful paint p50', 'baseline: Unlock visible p50 / p95', 'failed'],
  [
    ['empty device', i.cold.empty] as const,
    [`${i.cold.soak.waiting.toLocaleString('en-GB')} events waiting`, i.cold.soak] as const,
  ].map(([what, s]) => {
    const app = s.app.map((a) => a.unlockVisible);
    const base = s.baseline.map((b) => b.unlockVisible);
    const fcp = s.app.flatMap((a) => (a.firstContentfulPaint === null ? [] : [a.firstContentfulPaint]));
    return [what, `${f(percentile(app, 50), 1)} / ${f(percentile(app, 95), 1)} / ${f(Math.max(...app), 1)}`, f(percentile(fcp, 50), 1), `${f(percentile(base, 50), 1)} / ${f(percentile(base, 95), 1)}`, String(s.failures.length)];
  }),
)}

${[...i.cold.empty.failures.map((x) => ({ ...x, what: 'empty device' })), ...i.cold.soak.failures.map((x) => ({ ...x, what: 'soak' }))].map((x) => `- A failed start (${x.what}, start ${x.round}): ${x.reason}`).join('\n') || 'No start failed.'}
All in ms. "Cold" is a new browser process and a stopped service worker; the operating system's file cache is not dropped between starts.

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

${syncSection(i)}

${reportSection(i)}

${serverSection(i)}
`;
  return { markdown };
}

function syncSection(i: ReportInput): string {
  const runs = i.sync.runs;
  const n = i.sync.events.toLocaleString('en-GB');
  const mb = (b: number) => `${(b / 1e6).toFixed(2)} MB`;
  const round = median(runs.map((r) => r.roundMs));
  const base = median(runs.map((r) => r.baseline.totalMs));
  const upload = median(runs.map((r) => r.uploadFetchMs));
  const target = `under ${SYNC_TARGET.roundMs / 1000} s and within ${SYNC_TARGET.ofBaseline}x of the baseline`;
  const met = round < SYNC_TARGET.roundMs && round / base <= SYNC_TARGET.ofBaseline;
  const verdict = met
    ? `The target (${target}) is met.`
    : `**The target (${target}) is not met.** ${f(upload, 0)} ms of the round (median) is in the upload requests; the rest is on the device.`;
  const peer = (['plain', 'encrypted'] as const).map((mode) => ({ mode, ms: median(i.sync.peer.filter((p) => p.mode === mode).map((p) => p.ms)) }));
  const peerLines = peer.map((p) => `- PouchDB, ${p.mode}: median ${f(p.ms, 0)} ms, ${f(p.ms / round, 1)}x Footfall's round (target: at least ${SYNC_TARGET.peerSlower}x): ${p.ms / round >= SYNC_TARGET.peerSlower ? 'met' : '**not met**'}.`);
  return `## 5. Sync: ${n} waiting events sealed and uploaded, and the PouchDB peer

In a Chromium started on the bench page and nothing else (bench/lib/plainBenchPage.ts): no DevTools
protocol, no automation, so nothing watches the page's requests while it is timed; the page asks the
bench server for each step and posts what it measured. Against the real endpoint serving that page
(Fastify + SQLite in the bench's own Node process, HTTP on loopback): the real \`syncRound\`
(src/app/sync/engine.ts), which calls the real \`sealWaitingEvents\` (src/app/core/outbox.ts), with the real
\`SyncClient\`, \`FootfallDb\` (Dexie, strict durability) and keyring. The organisation is created on the server
through the API, with this device its admin. Each run gets a fresh device database holding ${n} waiting
events saved through \`Vault.commit\` (bench/lib/waitingEvents.ts: one in twenty a registration, the rest
check-ins; untimed), then one timed \`syncRound\`: fetch the team keys, read and open every event, fill batches
up to the 1 MiB part bound (src/app/core/batchFill.ts; activity sealed to the organisation's key, directory with the
team key), store each batch as soon as it is full and upload it (a signed PUT) while the next is sealed and the one
before is acknowledged (marked so and the waiting count moved, in one small transaction), and read the shared
directory. As the app's scheduler runs it, the round does not wait for the acknowledged rows to be deleted
(docs/sync.md#acknowledging): the bench waits for that sweep after the timing, then checks that the count the
round left equals the rows left. One untimed round first, then ${runs.length} timed rounds; every round acknowledged
all ${n} events and left none waiting.
Each run then also saves the same events as a device with no network saves them (each save of 1,000 followed by
the round the scheduler starts, which cannot reach the server and seals only full batches; untimed) and times the
round back online, which sends those batches and seals and sends the rest.

Baseline, the raw cost of the same bytes, in the same page and run: a plain IndexedDB \`getAll\` of the same
event rows from the same database (just before the round), one AES-GCM encryption of as many bytes as the
round uploaded, and one HTTP POST of that many bytes to the same server (\`/bench/sink\`, a route the bench
adds, which reads the whole body), each timed on its own and added up.

${mdTable(
  ['Run', 'syncRound', 'in upload requests', 'in other requests', 'uploads', 'uploaded', 'baseline: IDB read', 'AES-GCM', 'POST', 'baseline total', 'ratio'],
  runs.map((r, k) => [
    String(k + 1),
    f(r.roundMs, 0),
    f(r.uploadFetchMs, 0),
    f(r.otherFetchMs, 0),
    String(r.batches),
    mb(r.uploadBytes),
    f(r.baseline.idbReadMs, 0),
    f(r.baseline.aesGcmMs, 0),
    f(r.baseline.postMs, 0),
    f(r.baseline.totalMs, 0),
    `${f(r.roundMs / r.baseline.totalMs, 1)}x`,
  ]),
)}

All in ms. Median: round ${f(round, 0)} ms, baseline ${f(base, 0)} ms, a ratio of ${f(round / base, 1)}x. Saved offline first
(${runs[0]?.afterOffline.sealedAhead ?? 0} events sealed ahead in full batches), the round back online took
${runs.map((r) => f(r.afterOffline.roundMs, 0)).join(', ')} ms (median ${f(median(runs.map((r) => r.afterOffline.roundMs)), 0)}). The waiting event rows held
${mb(runs[0]?.ctBytes ?? 0)} of ciphertext; the uploads are a little larger because each part is padded to its size bucket.
${verdict}

The peer (bench/lib/pouchPeer.ts, bench/browser/pouchPeer.ts): after each of Footfall's runs, PouchDB 9 with its
IndexedDB adapter, in a fresh plain Chromium, holding the same ${n} records (stored first, untimed), replicates
them to a PouchDB server on this machine (express-pouchdb, in memory: favouring the peer), plain, then with
each record AES-256-GCM encrypted before it was stored. Timed: \`replicate.to\` alone.

${mdTable(
  ['Run', 'PouchDB plain', 'PouchDB encrypted'],
  runs.map((_, k) => [String(k + 1), f(i.sync.peer.filter((p) => p.mode === 'plain')[k]?.ms ?? NaN, 0), f(i.sync.peer.filter((p) => p.mode === 'encrypted')[k]?.ms ?? NaN, 0)]),
)}

${peerLines.join('\n')}
`;
}

function reportSection(i: ReportInput): string {
  const r = i.report;
  const y = i.reportConfig.startYear;
  const fy = (start: number) => `${start}/${String((start + 1) % 100).padStart(2, '0')}`;
  const total = median(r.runs.map((k) => k.ms));
  const base = median(r.runs.map((k) => k.baselineMs));
  const first = median(r.firstOpenings.filter((k) => k.form === 'compact').map((k) => k.ms));
  const firstOld = median(r.firstOpenings.filter((k) => k.form === 'old').map((k) => k.ms));
  const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;
  return `## 6. A financial year's report out of ${r.stored.events.toLocaleString('en-GB')} stored events

In Chromium, on the same page as §1 (bench/browser/reportBench.ts, bundled): an admin device's reports archive
holding ${r.stored.events.toLocaleString('en-GB')} events over three financial years (2023/24 to 2025/26: registrations, check-ins with
services, services added later, outreach contacts, casework sessions, corrections, voids and merges), stored
through the app's own \`replaceArchive\` (src/app/admin/archive/archiveStore.ts) as ${r.stored.rows} rows sealed with AES-256-GCM under
the device keyring (${mb(r.stored.ctBytes)} of ciphertext). As after every refresh that brings something new, \`replaceArchive\`
also resolved every event once and kept the result beside them, sealed in one row in the compact columnar form of
src/domain/historyCodec.ts (${mb(r.stored.resolvedBytes)}; ${mb(r.resolvedPlainBytes)} of plain JSON against ${mb(r.plainBytes)} for the events). All of it was stored in
${f(r.stored.ms / 1000, 1)} s, untimed.

Each run times what the Reports screen does when it opens: \`loadReportHistory\` (read the state and the kept
resolution from IndexedDB, check it was resolved from exactly the rows stored now, in the organisation's time zone,
with nothing of this device's waiting to upload; decrypt, parse and decode it), then \`buildReport\`
(src/domain/report.ts) for ${fy(y)}, which also counts ${fy(y - 1)} beside it. Every run counted the same:
${r.counted.visits.toLocaleString('en-GB')} visits from ${r.counted.women.toLocaleString('en-GB')} women in the year.

Baseline, in the same page and run (alternating which goes first): a plain read of the ${r.stored.rows} chunk rows of events and
their AES-GCM decryption alone, what opening the reports cost before any of it is parsed or counted. Beside it, the
kept resolution's row read and decrypted alone.

${mdTable(
  ['Run', 'report', 'open (kept resolution)', 'count', 'baseline (read + decrypt the events)', 'ratio', 'read + decrypt the kept resolution'],
  r.runs.map((k, n) => [String(n + 1), f(k.ms, 0), f(k.loadMs, 0), f(k.countMs, 0), f(k.baselineMs, 0), `${f(k.ms / k.baselineMs, 1)}x`, f(k.resolvedReadMs, 0)]),
)}

All in ms. Median: report ${f(total, 0)} ms, baseline ${f(base, 0)} ms. ${total < 1000 ? 'The target (under 1 s) is met.' : '**The target (under 1 s) is not met.**'}

Where an opening from the kept resolution spends its time: each stage run alone on the page in turn, median of ${r.keptProfiles.length} profiles:

${mdTable(
  ['stage', 'ms'],
  KEPT_STAGES.map(([key, what]) => [what, f(median(r.keptProfiles.map((p) => p[key])), 0)]),
)}

With events waiting on the admin's laptop: a woman registered there and checked in, and an anonymous visit, saved
through the app's own actions and not uploaded (${r.waiting} events). The same \`loadReportHistory\` then also reads the
basis kept beside the resolution, binds the waiting events to the organisation's people and devices and folds them on
(src/domain/waitingFold.ts) instead of resolving every event again, then \`buildReport\`; run last, after the figures
above and below, since it leaves the events waiting. Runs: ${r.waitingRuns.map((k) => f(k.ms, 0)).join(', ')} ms (median ${f(median(r.waitingRuns.map((k) => k.ms)), 0)},
against ${f(total, 0)} with nothing waiting).

The first opening when no resolution is kept (on a device that has never opened the reports), which is also what a
refresh that brings something new spends: \`loadReportHistory\` with the kept row gone, as the Reports screen calls
it (the report worker reads, decrypts and resolves every chunk, counts the screen's period with \`buildReport\` and
sends that report first, which is when it is shown; then it hands over the history, which the page decodes, for
other periods and the raw records); then the worker seals and keeps its resolution, which the app awaits too. Each run alternates the chunk rows'
form: \`old\` is the same events as the previous version wrote them (\`{ v: 1, events }\`, ${mb(r.stored.oldCtBytes)} of
ciphertext; that opening also rewrites them compact after keeping, as the app does), \`compact\` as written now
(src/app/admin/archive/chunkCodec.ts, ${mb(r.stored.ctBytes)}).

${mdTable(
  ['Run', 'rows', 'first opening, to the report shown', 'the history on the page too', 'then kept (and old rows rewritten)'],
  r.firstOpenings.map((k, n) => [String(Math.floor(n / 2) + 1), k.form, f(k.ms, 0), f(k.loadMs, 0), f(k.keepMs, 0)]),
)}

All in ms. Median first opening: ${f(first, 0)} ms from compact rows, ${f(firstOld, 0)} ms from old-form rows.

Where a first opening's time goes: each stage run alone on the page in turn (in the report worker reading,
decrypting and parsing overlap, and the keep step follows the report), median of ${r.profiles.length / 2} profiles of each form:

${mdTable(
  ['stage', ...CHUNK_FORMS],
  PROFILE_STAGES.map(([key, what]) => [what, ...CHUNK_FORMS.map((form) => f(median(r.profiles.filter((p) => p.form === form).map((p) => p.profile[key])), 0))]),
)}
`;
}

/** The store a server figure ran on, and how many endpoint processes shared it when more than one. */
export function serverName(r: ServerBenchResult): string {
  const store = r.backend === 'sqlite' ? 'SQLite' : 'PostgreSQL';
  const name = r.processes > 1 ? `${store}, ${r.processes} endpoint processes` : store;
  return r.realSized ? `${name}, real-sized uploads` : name;
}

function serverSection(i: ReportInput): string {
  const s = i.server[0]!;
  const parts = i.server.map((r) => {
    const name = serverName(r);
    const where = r.backend === 'sqlite' ? `journal mode read back from the file: ${r.journalMode}; synchronous = NORMAL, the log flushed to disk by the endpoint before each answer` : `a fresh schema, ${r.schema}, dropped afterwards`;
    const up = median(r.runs.map((k) => k.upload.perSecond));
    const p99 = median(r.runs.map((k) => k.upload.p99));
    const table = mdTable(
      ['Run', 'uploads/s', 'upload p50', 'upload p99', 'upload max', 'upload CPU µs', 'of it on the event loop', 'client CPU µs', 'PostgreSQL CPU µs', 'health/s', 'health p50', 'health p99', 'sink/s', 'sink CPU µs', 'server RSS at end', 'server RSS peak', 'JS heap'],
      r.runs.map((k, n) => [
        String(n + 1),
        f(k.upload.perSecond, 0),
        f(k.upload.p50),
        f(k.upload.p99),
        f(k.upload.max, 1),
        f(k.upload.cpuUsPerRequest ?? NaN, 0),
        f(k.upload.loopCpuUsPerRequest ?? NaN, 0),
        f(k.upload.clientCpuUsPerRequest, 0),
        k.upload.databaseCpuUsPerRequest === undefined ? '-' : f(k.upload.databaseCpuUsPerRequest, 0),
        f(k.health.perSecond, 0),
        f(k.health.p50),
        f(k.health.p99),
        f(k.sink.perSecond, 0),
        f(k.sink.cpuUsPerRequest ?? NaN, 0),
        f(k.rssMiB, 0),
        f(k.peakRssMiB, 0),
        f(k.heapMiB, 0),
      ]),
    );
    return `### ${name}, ${r.devices} devices x ${r.inFlightPerDevice} in flight, bodies of ${r.bodyBytes.toLocaleString('en-GB')} B (${where})

${table}

Latencies in ms, memory in MiB; CPU in µs per upload: the endpoint's (summed over its processes), the part of it on
the event loop (the rest, the signature checks, SQLite's log flushes and checkpoints, runs on other threads and so can
use the other core), the load generator's own, which shares the same two cores, and on PostgreSQL the database's own
(its backends serving the endpoint, read from /proc; on the same two cores too)${r.processes > 1 ? ` (RSS and heap summed over the ${r.processes} processes)` : ''}. Median: ${f(up, 0)} uploads/s, p99 ${f(p99)} ms. Server RSS after start-up and warm-up
${f(r.idleRssMiB, 0)} MiB; the kernel's high-water mark (VmHWM) for ${r.processes > 1 ? 'the largest server process' : 'the server process'} over its whole life ${f(r.maxRssMiB, 0)} MiB.
Memory ${memoryBounded(r) ? 'stayed bounded' : '**grew**'}: end-of-run RSS run by run ${r.runs.map((k) => f(k.rssMiB, 0)).join(', ')} MiB
(growing would be each of the last two runs ending more than ${RSS_GROWTH_ALLOWED_MIB} MiB above the higher of the first two; ceiling ${RSS_CEILING_MIB} MiB). The machine's load average (1 min) was ${f(r.load[0])} when this
figure started and ${f(r.load[1])} when it ended.`;
  });
  return `## 6. Server: signed batch uploads per second

The real endpoint (src/server/app.ts, built by \`buildServer\` as in production) in a Node process of its own
(bench/lib/serverProcess.ts), on SQLite and then on PostgreSQL (postgres://postgres@127.0.0.1:5432/test, on this
same machine, so it shares the two cores too), and then on PostgreSQL with two endpoint processes on the one
database, as behind a load balancer, the generator sending each request to the next process in turn (on two
cores, a second process adds no core of its own: the figure shows what sharing the database costs, not what a
second machine would add). The load generator is a fresh Node process of its own
(bench/lib/loadProcess.ts; the bench process only orchestrates): ${s.devices} devices, each with its own P-256 signing key
and enrolled through the storage API before timing, each keeping ${s.inFlightPerDevice} requests in flight on its own keep-alive
connections (node:http), ${s.devices * s.inFlightPerDevice} in flight in all; SQLite is then measured again at ${i.server.find((r) => r.inFlightPerDevice !== s.inFlightPerDevice)?.inFlightPerDevice ?? s.inFlightPerDevice} per device, and both stores last with real-sized uploads of about 721 KB (a device's largest bucket). The target is a
capacity (the rate sustained with p99 under 50 ms), so the main figure keeps enough requests in flight to keep
the endpoint busy; the second SQLite figure shows the rate at lower concurrency. Every request is a real upload:
\`PUT /api/orgs/:org/batches/:id\` with a fresh random batch id and a body of ${s.bodyBytes} bytes, a real sealed batch
with both parts padded to the smallest bucket (1 KiB), which is the smallest upload the app sends (so a little
over the "about 2 KB" asked for), signed with the app's own \`signRequest\`. Requests are built and signed before
each run starts (uploads carry no freshness check, so this is what a device with a queue of batches sends),
so signing does not compete with the server for the cores while it is timed. Every upload had to answer 201
(stored) and every health check 200. The per-device rate limit (20,000 a minute by default) is raised for
the benchmark: the limiter still runs on every request but does not stop the devices.

Each run: ${s.perRun.toLocaleString('en-GB')} uploads and, alternating which goes first, the baseline: ${s.perRun.toLocaleString('en-GB')} \`GET /api/health\` over the
same connections at the same concurrency (the same server's emptiest route: routing, security headers, a JSON
reply). ${s.runs.length} runs after ${s.warmup.toLocaleString('en-GB')} untimed uploads and health checks, so ${(s.perRun * s.runs.length).toLocaleString('en-GB')} of each per figure. Latency is from
issuing a request to the last byte of its answer; the server's RSS is sampled every 20 ms.

${parts.join('\n\n')}

Beside each figure, the same bodies PUT to a bare Fastify JSON sink in the same server process (parsed, answered 201,
nothing checked or stored), and the server's CPU time per request of each kind. Where an upload's time goes,
stage by stage, is printed by the bench (bench/lib/uploadStages.ts: reading the body, validation, the body's SHA-256,
signature check, "same batch again" hash, and the store, on SQLite taken apart into the batch row, its audit row, the
savepoint and the commit), each beside what a change to it replaced: WebCrypto verification (now node:crypto with
the device's key kept), the upload serialised and hashed again (now the body's own hash, taken once, when the body
is canonical), a second savepoint per upload (now the group's one), SQLite commits with synchronous = FULL on the event loop (now synchronous = NORMAL and
the endpoint's own flush of the log on the thread pool before answering, docs/sync.md#durability-of-the-sqlite-store),
PostgreSQL uploads one statement and commit each (now the uploads waiting together in one statement). A
device's last-seen time is written only once a minute old, so uploads no longer queue on its row. The figures
move with other work on this machine (the health baseline shows how much).`;
}
