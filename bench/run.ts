/**
 * `npm run bench`: the performance targets (docs/architecture.md#performance-targets) this repository can measure so far, each beside a
 * baseline measured in the same run, as the median of several runs. Prints a table and writes
 * bench/RESULTS.md. Everything it serves and measures it builds into bench/.tmp (gitignored)
 * from the current sources, the app with the project's own vite.config.ts.
 */
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { buildApp, buildBrowserBundle, buildPeerBundle, buildReactHello } from './lib/build.ts';
import { openBenchPage } from './lib/browserPage.ts';
import { openPlainBenchPage } from './lib/plainBenchPage.ts';
import { startPouchPeer } from './lib/pouchPeer.ts';
import { filesSize, initialJs, type JsSize } from './lib/bundleSize.ts';
import { benchColdStart, type ColdSeries, type ColdStartResult } from './lib/coldStart.ts';
import { machine } from './lib/machine.ts';
import { knownAsNames, searchQueries } from './lib/names.ts';
import { benchSave, type SaveResult } from './lib/saveBench.ts';
import { runSearchBench, type SearchBenchResult } from './lib/searchBench.ts';
import { benchServer, type ServerBenchResult } from './lib/serverBench.ts';
import { SERVER, UPLOAD_STAGES } from './lib/serverConfig.ts';
import { benchUploadStages, uploadStageLines } from './lib/uploadStages.ts';
import { median, medianOfRuns, p50p95 } from './lib/stats.ts';
import { benchReport, type ChunkForm, type ReportResult } from './lib/reportBench.ts';
import { benchSync, SYNC_TARGET, type SyncResult } from './lib/syncBench.ts';
import { renderReport, memoryBounded, serverName, textTable, type Row } from './lib/report.ts';

const RUNS = 5;
const SAVE = { women: 10_000, visits: 100_000, batch: 2_000, runs: RUNS, perRun: 300, warmup: 30 };
const SEARCH = { women: 10_000, queries: 300 };
/** Cold starts on the empty device, then the soak: as many again with that many events waiting. */
const COLD = { rounds: 10, soakRounds: 100, waiting: 100_000 };
const FRAME_MS = 16;
const SYNC = { events: 10_000, runs: RUNS };
/** Three financial years of history; the report counts the middle one (and the one before, beside it). */
const REPORT = { events: 500_000, runs: RUNS, firstOpeningRuns: 3, startYear: 2024 };
/** The server figures, in order: store, requests in flight per device, endpoint processes, real-sized uploads. */
const SERVER_FIGURES = [
  ['sqlite', SERVER.inFlightPerDevice, 1, false],
  ['postgres', SERVER.inFlightPerDevice, 1, false],
  ['postgres', SERVER.inFlightPerDevice, 2, false],
  ['sqlite', SERVER.lowerInFlightPerDevice, 1, false],
  ['sqlite', SERVER.inFlightPerDevice, 1, true],
  ['postgres', SERVER.inFlightPerDevice, 1, true],
] as const;

/**
 * `npm run bench` runs every part and writes bench/RESULTS.md. `npm run bench -- save sync` runs
 * only the parts named, prints their figures and leaves bench/RESULTS.md as it is, since that file
 * records a whole run.
 */
const PARTS = ['size', 'search', 'save', 'sync', 'report', 'cold', 'server'] as const;
type Part = (typeof PARTS)[number];

function partsAsked(args: readonly string[]): ReadonlySet<Part> {
  const unknown = args.filter((a) => !(PARTS as readonly string[]).includes(a));
  if (unknown.length) throw new Error(`No bench part called ${unknown.join(', ')}: the parts are ${PARTS.join(', ')}.`);
  return new Set(args.length ? (args as Part[]) : PARTS);
}

const started = performance.now();
const log = (what: string) => console.log(`[bench ${((performance.now() - started) / 1000).toFixed(1)}s] ${what}`);

const ms = (x: number) => `${x.toFixed(x < 1 ? 3 : x < 10 ? 2 : 1)} ms`;
const kb = (b: number) => `${(b / 1000).toFixed(1)} kB`;
const ratio = (a: number, b: number) => (b > 0 ? a / b : Infinity);
const x = (r: number) => (Number.isFinite(r) ? `${r.toFixed(1)}x` : 'n/a');

function saveRows(save: SaveResult): Row[] {
  const saveM = medianOfRuns(save.runs.map((r) => r.save));
  const rawM = medianOfRuns(save.runs.map((r) => r.raw));
  const figure = (p: string) => `Save a visit as the app awaits it, waiting count included (Chromium, ${(save.waitingBefore / 1000).toFixed(0)}k stored and waiting), ${p}`;
  return [
    {
      figure: figure('p50'),
      measured: ms(saveM.p50),
      baseline: `${ms(rawM.p50)} raw strict put`,
      ratio: x(ratio(saveM.p50, rawM.p50)),
      target: 'within 5x of baseline',
      met: ratio(saveM.p50, rawM.p50) <= 5,
    },
    {
      figure: figure('p95'),
      measured: ms(saveM.p95),
      baseline: `${ms(rawM.p95)} raw strict put`,
      ratio: x(ratio(saveM.p95, rawM.p95)),
      target: '< 16 ms and within 5x of baseline',
      met: saveM.p95 < FRAME_MS && ratio(saveM.p95, rawM.p95) <= 5,
    },
  ];
}

function searchRows(searchNode: SearchBenchResult, searchBrowser: SearchBenchResult): Row[] {
  const nodeS = medianOfRuns(searchNode.runs.map((r) => r.search));
  const nodeB = medianOfRuns(searchNode.runs.map((r) => r.baseline));
  const brS = medianOfRuns(searchBrowser.runs.map((r) => r.search));
  const brB = medianOfRuns(searchBrowser.runs.map((r) => r.baseline));
  return [
    {
      figure: 'Search 10,000 women (Node), p50 / p95 per query',
      measured: `${ms(nodeS.p50)} / ${ms(nodeS.p95)}`,
      baseline: `${ms(nodeB.p50)} / ${ms(nodeB.p95)} includes() scan`,
      ratio: `${x(ratio(nodeS.p50, nodeB.p50))} / ${x(ratio(nodeS.p95, nodeB.p95))}`,
      target: 'p95 within one frame (16 ms)',
      met: nodeS.p95 <= FRAME_MS,
    },
    {
      figure: 'Search 10,000 women (Chromium), p50 / p95 per query',
      measured: `${ms(brS.p50)} / ${ms(brS.p95)}`,
      baseline: `${ms(brB.p50)} / ${ms(brB.p95)} includes() scan`,
      ratio: `${x(ratio(brS.p50, brB.p50))} / ${x(ratio(brS.p95, brB.p95))}`,
      target: 'p95 within one frame (16 ms)',
      met: brS.p95 <= FRAME_MS,
    },
  ];
}

function coldRows(cold: ColdStartResult): Row[] {
  const row = (device: string, s: ColdSeries): Row => {
    const app = p50p95(s.app.map((a) => a.unlockVisible));
    const base = p50p95(s.baseline.map((b) => b.unlockVisible));
    const starts = s.app.length + s.failures.length;
    return {
      figure: `Offline cold start to the Unlock button, ${device}, p50 / p95 of ${starts} starts`,
      measured: `${ms(app.p50)} / ${ms(app.p95)}; ${s.failures.length} of ${starts} failed`,
      baseline: `${ms(base.p50)} / ${ms(base.p95)} data: page with one button`,
      ratio: `${x(ratio(app.p50, base.p50))} / ${x(ratio(app.p95, base.p95))}`,
      target: '< 500 ms (p50), none failed',
      met: app.p50 < 500 && s.failures.length === 0,
    };
  };
  return [row('empty device', cold.empty), row(`${cold.soak.waiting.toLocaleString('en-GB')} events waiting (the soak)`, cold.soak)];
}

function syncRows(sync: SyncResult): Row[] {
  const round = median(sync.runs.map((r) => r.roundMs));
  const base = median(sync.runs.map((r) => r.baseline.totalMs));
  const peerRows = (['plain', 'encrypted'] as const).flatMap((mode): Row[] => {
    const runs = sync.peer.filter((p) => p.mode === mode);
    if (!runs.length) return [];
    const peer = median(runs.map((p) => p.ms));
    return [
      {
        figure: `PouchDB peer replicating the same ${sync.events.toLocaleString('en-GB')} records, ${mode} (Chromium, no automation), median`,
        measured: ms(peer),
        baseline: `${ms(round)} Footfall's round, same run`,
        ratio: `${x(ratio(peer, round))} slower than Footfall`,
        target: `Footfall at least ${SYNC_TARGET.peerSlower}x faster`,
        met: ratio(peer, round) >= SYNC_TARGET.peerSlower,
      },
    ];
  });
  return [
    {
      figure: `Sync ${sync.events.toLocaleString('en-GB')} waiting events (Chromium, no automation), median round`,
      measured: ms(round),
      baseline: `${ms(base)} IndexedDB read + AES-GCM + one POST of the same bytes`,
      ratio: x(ratio(round, base)),
      target: `< ${SYNC_TARGET.roundMs / 1000} s and within ${SYNC_TARGET.ofBaseline}x of baseline`,
      met: round < SYNC_TARGET.roundMs && ratio(round, base) <= SYNC_TARGET.ofBaseline,
    },
    ...peerRows,
  ];
}

function reportRows(report: ReportResult): Row[] {
  const reportMs = median(report.runs.map((r) => r.ms));
  const reportBase = median(report.runs.map((r) => r.baselineMs));
  const keptBase = median(report.runs.map((r) => r.resolvedReadMs));
  const firsts = (form: ChunkForm) => report.firstOpenings.filter((r) => r.form === form);
  const reportFirst = median(firsts('compact').map((r) => r.ms));
  const reportFirstOld = median(firsts('old').map((r) => r.ms));
  const reportKept = median(firsts('compact').map((r) => r.loadMs + r.keepMs));
  const reportWaiting = median(report.waitingRuns.map((r) => r.ms));
  const events = REPORT.events.toLocaleString('en-GB');
  return [
    {
      figure: `Financial-year report out of ${events} stored events, opened from the kept resolution (Chromium), median`,
      measured: ms(reportMs),
      baseline: `${ms(keptBase)} IndexedDB read + AES-GCM decryption of the kept row`,
      ratio: x(ratio(reportMs, keptBase)),
      target: '< 1 s',
      met: reportMs < 1000,
    },
    {
      figure: `The same report from the kept resolution with ${report.waiting} events waiting on the admin's laptop (a registration and two visits, folded on), median`,
      measured: ms(reportWaiting),
      baseline: `${ms(reportMs)} the same opening with nothing waiting`,
      ratio: x(ratio(reportWaiting, reportMs)),
      target: '< 1 s (waiting events never force a first opening)',
      met: reportWaiting < 1000,
    },
    {
      figure: `Report, first opening with no kept resolution (every event resolved, in a Web Worker), ${events} events in compact rows (Chromium), to the report shown, median`,
      measured: ms(reportFirst),
      baseline: `${ms(reportFirstOld)} the same opening of the same events in old-form rows, alternating`,
      ratio: x(ratio(reportFirst, reportFirstOld)),
      target: '< 3 s',
      met: reportFirst < 3000,
    },
    {
      figure: `Report, the same first opening until its resolution is kept too, as the app awaits it, median`,
      measured: ms(reportKept),
      baseline: `${ms(reportBase)} IndexedDB read + AES-GCM decryption of the compact event rows`,
      ratio: x(ratio(reportKept, reportBase)),
      target: 'none (the report shows before)',
      met: null,
    },
  ];
}

/** The server's median CPU time per request of one kind. */
const cpuUs = (r: ServerBenchResult, kind: 'upload' | 'health' | 'sink') => `${median(r.runs.map((k) => k[kind].cpuUsPerRequest ?? NaN)).toFixed(0)} µs`;

/** The target a server figure is held to: the main concurrency, one process, the smallest upload; null for the others. */
function serverTarget(r: ServerBenchResult): number | null {
  if (r.realSized || r.processes > 1 || r.inFlightPerDevice !== SERVER.inFlightPerDevice) return null;
  return r.backend === 'sqlite' ? 5000 : 3000;
}

function serverRow(r: ServerBenchResult): Row {
  const target = serverTarget(r);
  const up = { rate: median(r.runs.map((k) => k.upload.perSecond)), p50: median(r.runs.map((k) => k.upload.p50)), p99: median(r.runs.map((k) => k.upload.p99)) };
  const hp = { rate: median(r.runs.map((k) => k.health.perSecond)), p99: median(r.runs.map((k) => k.health.p99)) };
  const peak = Math.max(...r.runs.map((k) => k.peakRssMiB));
  const bounded = memoryBounded(r);
  return {
    figure: `Server: signed batch uploads of ${kb(r.bodyBytes)}, ${serverName(r)} (${r.devices} devices x ${r.inFlightPerDevice} in flight, HTTP)`,
    measured: `${up.rate.toFixed(0)}/s, p50 ${ms(up.p50)}, p99 ${ms(up.p99)}, ${cpuUs(r, 'upload')} CPU each; peak RSS ${peak.toFixed(0)} MiB${bounded ? '' : ' (growing)'}`,
    baseline: `${hp.rate.toFixed(0)}/s, p99 ${ms(hp.p99)} GET /api/health; ${median(r.runs.map((k) => k.sink.perSecond)).toFixed(0)}/s, ${cpuUs(r, 'sink')} CPU each, the same bodies to a bare Fastify JSON sink`,
    ratio: `${(up.rate / hp.rate).toFixed(2)}x the rate`,
    target: target ? `>= ${target.toLocaleString('en-GB')}/s, p99 < 50 ms, memory bounded` : r.processes > 1 ? 'none (beside one process above)' : 'none (beside the target figures above)',
    met: target ? up.rate >= target && up.p99 < 50 && bounded : null,
  };
}

function sizeRow(appJs: JsSize, reactJs: JsSize): Row {
  return {
    figure: 'Initial JavaScript, gzipped (default level / level 9)',
    measured: `${kb(appJs.gzipDefault)} / ${kb(appJs.gzip9)}`,
    baseline: `${kb(reactJs.gzipDefault)} / ${kb(reactJs.gzip9)} React + React DOM alone`,
    ratio: x(ratio(appJs.gzipDefault, reactJs.gzipDefault)),
    target: '<= 150 kB (150,000 bytes)',
    met: appJs.gzipDefault <= 150_000,
  };
}

async function main(): Promise<void> {
  const parts = partsAsked(process.argv.slice(2));
  const whole = parts.size === PARTS.length;
  const m = machine();
  log(`${m.cpu}, ${m.cores} cores, ${m.memory}; Node ${m.node}; ${m.chromium}`);
  if (!whole) log(`only: ${[...parts].join(', ')} (bench/RESULTS.md is left as it is)`);

  const inBrowser = (['search', 'save', 'sync', 'report'] as const).some((p) => parts.has(p));
  log('building what the parts need into bench/.tmp');
  const appDir = await buildApp();
  const bundle = inBrowser ? await buildBrowserBundle() : null;

  // 4. Initial JavaScript.
  let size: { appJs: JsSize; reactJs: JsSize } | undefined;
  if (parts.has('size')) {
    size = { appJs: initialJs(appDir), reactJs: filesSize(await buildReactHello()) };
    log(`initial JS ${size.appJs.gzipDefault} B gzipped (React alone ${size.reactJs.gzipDefault} B)`);
  }

  // 2. Search, in Node.
  let searchNode: SearchBenchResult | undefined;
  let searchBrowser: SearchBenchResult | undefined;
  if (parts.has('search')) {
    const names = knownAsNames(SEARCH.women);
    const queries = searchQueries(names, SEARCH.queries);
    log(`search: ${SEARCH.women} names, ${SEARCH.queries} queries x ${RUNS} runs, in Node`);
    searchNode = runSearchBench(names, queries, RUNS, () => performance.now());
  }

  // 1 and 2 in Chromium, on the app's origin.
  let save: SaveResult | undefined;
  let sync: SyncResult | undefined;
  let reportBenchResult: ReportResult | undefined;
  if (bundle && (['search', 'save', 'report'] as const).some((p) => parts.has(p))) {
    log('opening Chromium on the app origin');
    const bp = await openBenchPage(appDir, bundle);
    try {
      await bp.call('setUp', 'footfall-bench');
      if (searchNode) {
        log('search in Chromium');
        searchBrowser = await bp.call('search', SEARCH.women, SEARCH.queries, RUNS);
        if (searchBrowser.checksum !== searchNode.checksum) throw new Error('search found different results in Node and Chromium');
      }
      if (parts.has('save')) {
        log(`saving: storing ${SAVE.women} women and ${SAVE.visits} visits through Vault.commit first`);
        save = await benchSave(bp, SAVE);
        log(`stored in ${(save.prefillMs / 1000).toFixed(1)} s: ${JSON.stringify(save.stored)}; timed ${RUNS} x ${SAVE.perRun} saves`);
        const alone = medianOfRuns(save.runs.map((r) => r.saveAlone));
        log(`saves alone ${ms(alone.p50)} / ${ms(alone.p95)} (p50 / p95); the last returned ${save.waitingAfter.returned} waiting, as the index counts`);
        log(`the recount by the index a save awaited before: ${save.recount.map(ms).join(', ')}`);
      }
      if (parts.has('report')) {
        log(`report: ${REPORT.events} stored events, the ${REPORT.startYear}/${(REPORT.startYear + 1) % 100} financial year opened and counted, in Chromium`);
        reportBenchResult = await benchReport(bp, { ...REPORT, log });
      }
    } finally {
      await bp.dispose();
    }
  }

  // Sync, in a Chromium with no automation attached, the PouchDB peer's runs between Footfall's.
  if (bundle && parts.has('sync')) {
    log(`sync: ${SYNC.events} waiting events sealed and uploaded by syncRound, 1 untimed + ${SYNC.runs} timed rounds, each followed by the PouchDB peer (plain, then encrypted), in plain Chromium`);
    const peer = await startPouchPeer(await buildPeerBundle());
    const plain = await openPlainBenchPage(appDir, bundle);
    try {
      sync = await benchSync(plain, { ...SYNC, peer, log });
    } finally {
      await plain.dispose();
      await peer.stop();
    }
  }

  // 3. Cold start, offline.
  let cold: ColdStartResult | undefined;
  if (parts.has('cold')) {
    log(`cold start: set up a device, stop the server, ${COLD.rounds} cold starts; then ${COLD.waiting} events waiting and ${COLD.soakRounds} more`);
    cold = await benchColdStart(appDir, { ...COLD, log });
  }

  // 5. Server throughput, SQLite then PostgreSQL, the endpoint in a process of its own; then
  // PostgreSQL with two endpoint processes on the one database, as behind a load balancer.
  const server: ServerBenchResult[] = [];
  if (parts.has('server')) {
    for (const stages of UPLOAD_STAGES) for (const line of uploadStageLines(await benchUploadStages({ ...stages, databaseUrl: SERVER.databaseUrl }))) log(line);
    for (const [backend, inFlightPerDevice, processes, realSized] of SERVER_FIGURES) {
      const o = { ...SERVER, ...(realSized ? SERVER.realSized : {}) };
      log(`server (${backend}, ${processes} process${processes > 1 ? 'es' : ''}${realSized ? ', real-sized uploads' : ''}): ${SERVER.devices} devices x ${inFlightPerDevice} in flight, ${o.runs} runs of ${o.perRun} signed uploads and as many GET /api/health and sink uploads`);
      server.push(await benchServer({ ...o, inFlightPerDevice, backend, processes, appDir, log }));
    }
  }

  // The figures, in the order of the summary.
  const rows: Row[] = [
    ...(save ? saveRows(save) : []),
    ...(searchNode && searchBrowser ? searchRows(searchNode, searchBrowser) : []),
    ...(cold ? coldRows(cold) : []),
    ...(sync ? syncRows(sync) : []),
    ...(reportBenchResult ? reportRows(reportBenchResult) : []),
    ...server.map(serverRow),
    ...(size ? [sizeRow(size.appJs, size.reactJs)] : []),
  ];

  console.log('');
  console.log(textTable(rows));
  console.log('');
  if (whole && save && searchNode && searchBrowser && cold && sync && reportBenchResult && size) {
    const report = renderReport({ machine: m, rows, save, saveConfig: SAVE, searchNode, searchBrowser, searchConfig: SEARCH, cold, sync, report: reportBenchResult, reportConfig: REPORT, server, appJs: size.appJs, reactJs: size.reactJs, runs: RUNS, elapsedS: (performance.now() - started) / 1000 });
    writeFileSync(resolve('bench/RESULTS.md'), report.markdown);
    log('wrote bench/RESULTS.md');
  }
  const missed = rows.filter((r) => r.met === false);
  if (missed.length) console.log(`Not met: ${missed.map((r) => r.figure).join('; ')}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
