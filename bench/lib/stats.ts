/** Order statistics used by every figure: nearest-rank percentiles and the median of runs. */

export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export interface RunPercentiles {
  p50: number;
  p95: number;
}

export function p50p95(values: readonly number[]): RunPercentiles {
  return { p50: percentile(values, 50), p95: percentile(values, 95) };
}

/** The median over runs of each run's p50 and p95. */
export function medianOfRuns(runs: readonly RunPercentiles[]): RunPercentiles {
  return { p50: median(runs.map((r) => r.p50)), p95: median(runs.map((r) => r.p95)) };
}
