/**
 * Node side of the report figure (the page side is bench/browser/reportBench.ts): the archive is
 * filled once (with its resolved history kept), then each run times opening the reports from the
 * kept resolution and counting one financial year, beside the baseline of reading and decrypting
 * the kept resolution's row alone, alternating which goes first. The first opening with no kept
 * resolution (every event resolved in the report worker) is timed too, in fewer runs, to the
 * report shown and until its resolution is kept, with the chunk rows in the previous form and in
 * the compact one in turn; then where its time goes, stage by stage, in both forms.
 */
import type { BenchPage } from './browserPage.ts';

export interface ReportRun {
  /** Opening from the kept resolution and counting: the figure. */
  ms: number;
  loadMs: number;
  countMs: number;
  baselineMs: number;
  /** Reading and decrypting the kept resolution's row alone. */
  resolvedReadMs: number;
}

/** How the chunk rows are written: `old` as the previous version did (`{ v: 1, events }`), `compact` as now (src/app/admin/archive/chunkCodec.ts). */
export type ChunkForm = 'old' | 'compact';
export const CHUNK_FORMS: readonly ChunkForm[] = ['old', 'compact'];

export interface ReportStored {
  events: number;
  rows: number;
  /** Ciphertext of the chunk rows, compact, and of the same events in the old form. */
  ctBytes: number;
  oldCtBytes: number;
  resolvedBytes: number;
  ms: number;
}

export interface FirstOpeningRun {
  /** The form the chunk rows were in when it began (an old-form opening rewrites them compact after keeping). */
  form: ChunkForm;
  /** To the report shown: read, decrypted, resolved and its period counted in the report worker. */
  ms: number;
  /** To the history on the page too (handed over and decoded after the report), for other periods and raw records. */
  loadMs: number;
  /** Keeping its resolution (and rewriting old-form rows), which the app awaits after the history has come. */
  keepMs: number;
}

/** Where a first opening's time goes, stage by stage, in ms (bench/browser/reportBench.ts reportProfile). */
export interface OpeningProfile {
  readMs: number;
  decryptMs: number;
  parseMs: number;
  unpackMs: number;
  gatherMs: number;
  resolveMs: number;
  encodeMs: number;
  handOverMs: number;
  decodeMs: number;
  countMs: number;
  keepSealMs: number;
  keepWriteMs: number;
}

/** Where an opening from the kept resolution spends its time, stage by stage, in ms (bench/browser/reportBench.ts reportKeptProfile). */
export interface KeptProfile {
  stateMs: number;
  readMs: number;
  decryptMs: number;
  parseMs: number;
  decodeMs: number;
  waitingMs: number;
  foldMs: number;
  countMs: number;
}

export const KEPT_STAGES: readonly [keyof KeptProfile, string][] = [
  ['stateMs', 'admin device checked, state row read'],
  ['readMs', 'kept row and chunk ids read from IndexedDB'],
  ['decryptMs', 'AES-GCM decryption'],
  ['parseMs', 'UTF-8 decoding and JSON.parse'],
  ['decodeMs', 'checked and decoded (openKept)'],
  ['waitingMs', 'this device\'s waiting events opened'],
  ['foldMs', 'waiting events bound and folded on (what is kept beside the resolution for it read first, when any wait)'],
  ['countMs', 'counted (buildReport)'],
];

/** The profile's stages in order, with what each is. */
export const PROFILE_STAGES: readonly [keyof OpeningProfile, string][] = [
  ['readMs', 'read the chunk rows from IndexedDB'],
  ['decryptMs', 'AES-GCM decryption'],
  ['parseMs', 'UTF-8 decoding and JSON.parse'],
  ['unpackMs', 'events unpacked from the row\'s form'],
  ['gatherMs', 'gathered by id, bound to the organisation\'s people'],
  ['resolveMs', 'resolved (records and women)'],
  ['encodeMs', 'encoded to the compact form'],
  ['handOverMs', 'handed over (structured clone)'],
  ['decodeMs', 'decoded on the page'],
  ['countMs', 'counted (buildReport)'],
  ['keepSealMs', 'keep: stringified and sealed'],
  ['keepWriteMs', 'keep: row written'],
];

export interface ReportResult {
  stored: ReportStored;
  /** What the report counted for the year, the same every run and both ways. */
  counted: { events: number; visits: number; women: number };
  /** Plain bytes of the chunk rows and of the kept resolution. */
  plainBytes: number;
  resolvedPlainBytes: number;
  runs: ReportRun[];
  firstOpenings: FirstOpeningRun[];
  /** Where an opening from the kept resolution spends its time, stage by stage. */
  keptProfiles: KeptProfile[];
  /** Openings from the kept resolution with events waiting on the admin's laptop (folded on), and how many waited. */
  waitingRuns: { ms: number; loadMs: number; countMs: number }[];
  waiting: number;
  /** Where a first opening's time goes, stage by stage, in each form, alternating. */
  profiles: { form: ChunkForm; profile: OpeningProfile }[];
}

export async function benchReport(
  bp: BenchPage,
  opts: { events: number; runs: number; firstOpeningRuns: number; startYear: number; log?: (what: string) => void },
): Promise<ReportResult> {
  const stored = await bp.call('reportSetUp', 'footfall-bench-report', opts.events);
  opts.log?.(
    `report: ${stored.events.toLocaleString('en-GB')} events stored in ${stored.rows} sealed rows (${(stored.ctBytes / 1e6).toFixed(1)} MB; ${(stored.oldCtBytes / 1e6).toFixed(1)} MB in the old form), ` +
      `their resolution kept in one (${(stored.resolvedBytes / 1e6).toFixed(1)} MB), in ${(stored.ms / 1000).toFixed(1)} s`,
  );
  const runs: ReportRun[] = [];
  let counted: ReportResult['counted'] | undefined;
  let plainBytes = 0;
  let resolvedPlainBytes = 0;
  const check = (now: ReportResult['counted']) => {
    if (counted && JSON.stringify(counted) !== JSON.stringify(now)) throw new Error('the report counted different figures in two runs');
    counted = now;
  };
  // One untimed pair first, so both sides run warm.
  for (let r = -1; r < opts.runs; r++) {
    const baselineFirst = r % 2 === 0;
    const base = baselineFirst ? await bp.call('reportBaseline') : undefined;
    const run = await bp.call('reportRun', opts.startYear);
    const baseline = base ?? (await bp.call('reportBaseline'));
    check({ events: run.events, visits: run.visits, women: run.women });
    plainBytes = baseline.bytes;
    resolvedPlainBytes = baseline.resolvedBytes;
    if (r < 0) continue;
    runs.push({ ms: run.ms, loadMs: run.loadMs, countMs: run.countMs, baselineMs: baseline.ms, resolvedReadMs: baseline.resolvedMs });
    opts.log?.(
      `report run ${r + 1}: ${run.ms.toFixed(0)} ms (open ${run.loadMs.toFixed(0)}, count ${run.countMs.toFixed(0)}); ` +
        `baseline ${baseline.ms.toFixed(0)} ms decrypting ${(baseline.bytes / 1e6).toFixed(1)} MB; the kept resolution alone ${baseline.resolvedMs.toFixed(0)} ms`,
    );
  }
  const keptProfiles: KeptProfile[] = [];
  for (let r = 0; r < opts.firstOpeningRuns; r++) {
    const profile = await bp.call('reportKeptProfile', opts.startYear);
    keptProfiles.push(profile);
    opts.log?.(`report kept profile ${r + 1}: ${KEPT_STAGES.map(([k]) => `${k.replace(/Ms$/, '')} ${profile[k].toFixed(0)}`).join(', ')} ms`);
  }
  const firstOpenings: FirstOpeningRun[] = [];
  // Old form and compact in turn, so both meet the same load.
  for (let r = 0; r < opts.firstOpeningRuns; r++) {
    for (const form of CHUNK_FORMS) {
      const first = await bp.call('reportFirstOpening', opts.startYear, form);
      check({ events: first.events, visits: first.visits, women: first.women });
      firstOpenings.push({ form, ms: first.ms, loadMs: first.loadMs, keepMs: first.keepMs });
      opts.log?.(
        `report first opening ${r + 1}, ${form} rows: ${first.ms.toFixed(0)} ms to the report shown (counted in the worker; the history on the page at ${first.loadMs.toFixed(0)}); ` +
          `kept ${first.keepMs.toFixed(0)} ms later`,
      );
    }
  }
  const profiles: ReportResult['profiles'] = [];
  for (let r = 0; r < opts.firstOpeningRuns; r++) {
    for (const form of CHUNK_FORMS) {
      const profile = await bp.call('reportProfile', opts.startYear, form);
      profiles.push({ form, profile });
      opts.log?.(`report profile ${r + 1}, ${form} rows: ${PROFILE_STAGES.map(([k]) => `${k.replace(/Ms$/, '')} ${profile[k].toFixed(0)}`).join(', ')} ms`);
    }
  }
  // Last: it leaves events waiting on the admin's device, which every opening after it would count.
  const waitingRuns: ReportResult['waitingRuns'] = [];
  let waiting = 0;
  for (let r = -1; r < opts.runs; r++) {
    const run = await bp.call('reportRunWaiting', opts.startYear);
    if (run.events !== counted!.events + run.waiting) throw new Error(`the opening with events waiting holds ${run.events} events, not ${counted!.events} and the ${run.waiting} waiting`);
    waiting = run.waiting;
    if (r < 0) continue;
    waitingRuns.push({ ms: run.ms, loadMs: run.loadMs, countMs: run.countMs });
    opts.log?.(`report with ${run.waiting} events waiting run ${r + 1}: ${run.ms.toFixed(0)} ms (open ${run.loadMs.toFixed(0)}, count ${run.countMs.toFixed(0)})`);
  }
  return { stored, counted: counted!, plainBytes, resolvedPlainBytes, runs, keptProfiles, waitingRuns, waiting, firstOpenings, profiles };
}
