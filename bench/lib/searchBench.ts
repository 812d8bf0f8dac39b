/**
 * The search figure, run the same way in Node and (bundled) in Chromium: the real
 * buildSearchIndex + searchByName over 10,000 names, each query beside a plain
 * lower-cased `includes` scan of the same names.
 */
import { buildSearchIndex, searchByName } from '../../src/domain/search.ts';
import { p50p95, type RunPercentiles } from './stats.ts';

export interface SearchBenchResult {
  runs: { search: RunPercentiles; baseline: RunPercentiles; searchMax: number; baselineMax: number }[];
  indexBuildMs: number[];
  /** Smallest non-zero step of the clock seen, so coarse browser timers are visible in the report. */
  clockStepMs: number;
  /** Total results, so the work cannot be optimised away and runs can be compared. */
  checksum: number;
}

export function runSearchBench(names: readonly string[], queries: readonly string[], runCount: number, now: () => number): SearchBenchResult {
  const women = names.map((knownAs, i) => ({ id: `w${i}`, knownAs }));
  const lower = names.map((n) => n.toLowerCase());
  const baseline = (query: string): number => {
    const q = query.toLowerCase();
    let found = 0;
    for (let i = 0; i < lower.length; i++) if (lower[i]!.includes(q)) found++;
    return found;
  };

  let checksum = 0;
  // Warm-up: one untimed pass, so both sides are measured JIT-compiled.
  let index = buildSearchIndex(women);
  for (const q of queries) checksum += searchByName(index, q).length + baseline(q);

  const runs: SearchBenchResult['runs'] = [];
  const indexBuildMs: number[] = [];
  for (let run = 0; run < runCount; run++) {
    const t0 = now();
    index = buildSearchIndex(women);
    indexBuildMs.push(now() - t0);
    const searchTimes: number[] = [];
    const baselineTimes: number[] = [];
    for (let i = 0; i < queries.length; i++) {
      const q = queries[i]!;
      // Alternate which goes first, so neither always runs on a cache the other warmed.
      const order = i % 2 === 0 ? [0, 1] : [1, 0];
      for (const which of order) {
        const s = now();
        checksum += which === 0 ? searchByName(index, q).length : baseline(q);
        (which === 0 ? searchTimes : baselineTimes).push(now() - s);
      }
    }
    runs.push({
      search: p50p95(searchTimes),
      baseline: p50p95(baselineTimes),
      searchMax: Math.max(...searchTimes),
      baselineMax: Math.max(...baselineTimes),
    });
  }

  // The smallest step of the clock over a few ticks (browsers coarsen performance.now()).
  let clockStepMs = Infinity;
  for (let k = 0; k < 20; k++) {
    const start = now();
    let t = start;
    while (t === start) t = now();
    clockStepMs = Math.min(clockStepMs, t - start);
  }
  return { runs, indexBuildMs, clockStepMs, checksum };
}
