/**
 * Node side of the report figure (the page side is bench/browser/reportBench.ts): the archive is
 * filled once, then each run times opening it and counting one financial year, and the baseline
 * of reading and decrypting the same rows alone, alternating which goes first.
 */
import type { BenchPage } from './browserPage.ts';

export interface ReportRun {
  ms: number;
  loadMs: number;
  resolveMs: number;
  countMs: number;
  baselineMs: number;
}

export interface ReportResult {
  stored: { events: number; rows: number; ctBytes: number; ms: number };
  /** What the report counted for the year, the same every run. */
  counted: { events: number; visits: number; women: number };
  runs: ReportRun[];
}

export async function benchReport(bp: BenchPage, opts: { events: number; runs: number; startYear: number; log?: (what: string) => void }): Promise<ReportResult> {
  const stored = await bp.call('reportSetUp', 'footfall-bench-report', opts.events);
  opts.log?.(`report: ${stored.events.toLocaleString('en-GB')} events stored in ${stored.rows} sealed rows (${(stored.ctBytes / 1e6).toFixed(1)} MB) in ${(stored.ms / 1000).toFixed(1)} s`);
  const runs: ReportRun[] = [];
  let counted: ReportResult['counted'] | undefined;
  // One untimed pair first, so both sides run warm.
  for (let r = -1; r < opts.runs; r++) {
    const baselineFirst = r % 2 === 0;
    const base = baselineFirst ? await bp.call('reportBaseline') : undefined;
    const run = await bp.call('reportRun', opts.startYear);
    const baseline = base ?? (await bp.call('reportBaseline'));
    const now = { events: run.events, visits: run.visits, women: run.women };
    if (counted && JSON.stringify(counted) !== JSON.stringify(now)) throw new Error('the report counted different figures in two runs');
    counted = now;
    if (r < 0) continue;
    runs.push({ ms: run.ms, loadMs: run.loadMs, resolveMs: run.resolveMs, countMs: run.countMs, baselineMs: baseline.ms });
    opts.log?.(
      `report run ${r + 1}: ${run.ms.toFixed(0)} ms (open ${run.loadMs.toFixed(0)}, resolve ${run.resolveMs.toFixed(0)}, count ${run.countMs.toFixed(0)}); ` +
        `baseline ${baseline.ms.toFixed(0)} ms decrypting ${(baseline.bytes / 1e6).toFixed(1)} MB`,
    );
  }
  return { stored, counted: counted!, runs };
}
