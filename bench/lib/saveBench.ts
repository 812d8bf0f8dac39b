/**
 * Saving a visit as the app awaits it, in Chromium on the app's origin: the real Vault.commit
 * (seal the check-in event and the visit row with AES-GCM, blind-tag the day, then one Dexie
 * transaction with strict durability that also moves the kept waiting count and returns it) with
 * 110,000 events stored and all of them waiting, beside a raw IndexedDB put of an event-row-sized
 * value in its own strict transaction, interleaved in the same page. Beside it, untimed in the
 * figure: how long the recount the app did after each save before the count was kept takes.
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
  /** Events waiting before timing, and after: the count the last save returned, and the index's. */
  waitingBefore: number;
  waitingAfter: { returned: number; counted: number };
  /** ms of each recount of the waiting entries by the index (what a save awaited before). */
  recount: number[];
}

const RECOUNTS = 5;

export async function benchSave(bp: BenchPage, opts: { women: number; visits: number; batch: number; runs: number; perRun: number; warmup: number }): Promise<SaveResult> {
  const { ms: prefillMs } = await bp.call('prefill', opts.women, opts.visits, opts.batch);
  const stored = await bp.call('counts');
  const before = await bp.call('waiting');
  if (before.kept !== before.counted) throw new Error(`the kept waiting count is ${before.kept}, the events say ${before.counted}`);
  // Let the browser finish writing the bulk load behind the scenes before timing single saves.
  await sleep(3000);
  await bp.call('saveRun', opts.warmup);
  const runs: SaveRun[] = [];
  let returned: number | null = null;
  const ctBytes: number[] = [];
  const seal: SaveResult['seal'] = [];
  for (let i = 0; i < opts.runs; i++) {
    const r = await bp.call('saveRun', opts.perRun, 'interleaved');
    const rawAlone = await bp.call('saveRun', opts.perRun, 'raw');
    const saveAlone = await bp.call('saveRun', opts.perRun, 'save');
    returned = saveAlone.waiting;
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
  const after = await bp.call('waiting');
  // Every save returned the count its own transaction left: the last one must be the real count.
  if (returned !== after.counted || after.kept !== after.counted) throw new Error(`the last save returned ${returned} waiting, the events say ${after.counted}`);
  const recount = await bp.call('recountRun', RECOUNTS);
  return {
    runs,
    prefillMs,
    stored,
    storedAfter: await bp.call('counts'),
    eventCtBytes,
    visitCtBytes: sizes.visitCt,
    seal,
    waitingBefore: before.counted,
    waitingAfter: { returned, counted: after.counted },
    recount,
  };
}
