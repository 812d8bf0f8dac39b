/**
 * Saving a visit, in Chromium on the app's origin: the real Vault.commit (seal the check-in
 * event and the visit row with AES-GCM, blind-tag the day, then one Dexie transaction with
 * strict durability) with 100,000 visits already stored, beside a raw IndexedDB put of an
 * event-row-sized value in its own strict transaction, interleaved in the same page.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { BenchPage } from './browserPage.ts';
import { p50p95, type RunPercentiles } from './stats.ts';

export interface SaveRun {
  /** Saves and raw puts interleaved one for one: the headline figure and its baseline. */
  save: RunPercentiles;
  raw: RunPercentiles;
  saveMax: number;
  rawMax: number;
  /** The same counts again, each kind alone in a block, as a cross-check on interleaving. */
  saveAlone: RunPercentiles;
  rawAlone: RunPercentiles;
}

export interface SaveResult {
  runs: SaveRun[];
  prefillMs: number;
  stored: Record<string, number>;
  storedAfter: Record<string, number>;
  /** Mean ciphertext bytes of the sealed event rows saved (and so of the raw puts' values). */
  eventCtBytes: number;
  visitCtBytes: number;
  /** Per run: only the validation and sealing Vault.commit does before its transaction. */
  seal: (RunPercentiles & { mean: number })[];
}

export async function benchSave(bp: BenchPage, opts: { women: number; visits: number; batch: number; runs: number; perRun: number; warmup: number }): Promise<SaveResult> {
  const { ms: prefillMs } = await bp.call('prefill', opts.women, opts.visits, opts.batch);
  const stored = await bp.call('counts');
  // Let the browser finish writing the bulk load behind the scenes before timing single saves.
  await sleep(3000);
  await bp.call('saveRun', opts.warmup);
  const runs: SaveRun[] = [];
  const ctBytes: number[] = [];
  const seal: SaveResult['seal'] = [];
  for (let i = 0; i < opts.runs; i++) {
    const r = await bp.call('saveRun', opts.perRun, 'interleaved');
    const rawAlone = await bp.call('saveRun', opts.perRun, 'raw');
    const saveAlone = await bp.call('saveRun', opts.perRun, 'save');
    ctBytes.push(...r.eventCtBytes);
    const sealed = await bp.call('sealRun', opts.perRun);
    seal.push({ ...p50p95(sealed.times), mean: sealed.meanMs });
    runs.push({
      save: p50p95(r.save),
      raw: p50p95(r.raw),
      saveMax: Math.max(...r.save),
      rawMax: Math.max(...r.raw),
      saveAlone: p50p95(saveAlone.save),
      rawAlone: p50p95(rawAlone.raw),
    });
  }
  const sizes = await bp.call('sampleRowSizes');
  const eventCtBytes = Math.round(ctBytes.reduce((a, b) => a + b, 0) / ctBytes.length);
  return { runs, prefillMs, stored, storedAfter: await bp.call('counts'), eventCtBytes, visitCtBytes: sizes.visitCt, seal };
}
