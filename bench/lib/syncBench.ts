/**
 * Node side of the sync figure (the page side is bench/browser/syncBench.ts): per run, a fresh
 * device database with the waiting events, the baseline's IndexedDB read, the timed syncRound,
 * then the baseline's AES-GCM encryption and POST of as many bytes as the round uploaded; then the
 * same events saved as a device offline saves them, and the timed round back online; and,
 * after each of Footfall's runs, the PouchDB peer replicating the same records, plain then
 * encrypted, so both are measured under the same load.
 */
import type { BenchPage } from './browserPage.ts';
import type { PeerRun, PouchPeer } from './pouchPeer.ts';

/** The sync targets (docs/architecture.md#performance-targets): the round, and the PouchDB peer beside it. */
export const SYNC_TARGET = { roundMs: 1500, ofBaseline: 2, peerSlower: 5 };

export interface SyncRun {
  roundMs: number;
  uploadFetchMs: number;
  otherFetchMs: number;
  batches: number;
  uploadBytes: number;
  acknowledged: number;
  waitingBefore: number;
  waitingAfter: number;
  prefillMs: number;
  /** Ciphertext bytes of the waiting event rows. */
  ctBytes: number;
  baseline: { idbReadMs: number; rowsRead: number; aesGcmMs: number; postMs: number; totalMs: number };
  /**
   * The same events saved as a device with no network saves them, each save followed by the round
   * the scheduler starts, which cannot reach the server and seals only full batches (untimed); then
   * the timed round back online, which sends those and seals and sends the rest.
   */
  afterOffline: { roundMs: number; sealedAhead: number; batches: number; uploadFetchMs: number };
}

export interface SyncResult {
  runs: SyncRun[];
  /** The peer's runs, in the order they ran (none without a peer). */
  peer: PeerRun[];
  events: number;
}

export async function benchSync(bp: Pick<BenchPage, 'call'>, opts: { events: number; runs: number; peer?: PouchPeer; log?: (what: string) => void }): Promise<SyncResult> {
  await bp.call('syncSetUp');
  const runs: SyncRun[] = [];
  const peer: PeerRun[] = [];
  // One untimed round first, so both sides run warm (code compiled, connections open).
  for (let r = -1; r < opts.runs; r++) {
    const prefill = await bp.call('syncPrefill', `footfall-bench-sync-${r + 1}`, opts.events);
    if (prefill.waiting !== opts.events) throw new Error(`expected ${opts.events} waiting events, found ${prefill.waiting}`);
    const read = await bp.call('syncBaselineRead');
    if (read.rows !== opts.events) throw new Error(`the baseline read ${read.rows} event rows, not the ${opts.events} waiting`);
    const round = await bp.call('syncRun');
    if (round.acknowledged !== opts.events || round.waitingAfter !== 0) {
      throw new Error(`the round acknowledged ${round.acknowledged} of ${opts.events} events and left ${round.waitingAfter} waiting`);
    }
    const send = await bp.call('syncBaselineSend', round.uploadBytes);
    const offline = await bp.call('syncPrefill', `footfall-bench-sync-offline-${r + 1}`, opts.events, true);
    const back = await bp.call('syncRun');
    if (back.acknowledged !== opts.events || back.waitingAfter !== 0) {
      throw new Error(`the round back online acknowledged ${back.acknowledged} of ${opts.events} events and left ${back.waitingAfter} waiting`);
    }
    if (r < 0) continue;
    const run: SyncRun = {
      ...round,
      prefillMs: prefill.ms,
      ctBytes: prefill.ctBytes,
      baseline: { idbReadMs: read.ms, rowsRead: read.rows, aesGcmMs: send.aesGcmMs, postMs: send.postMs, totalMs: read.ms + send.aesGcmMs + send.postMs },
      afterOffline: { roundMs: back.roundMs, sealedAhead: offline.sealedAhead, batches: back.batches, uploadFetchMs: back.uploadFetchMs },
    };
    runs.push(run);
    opts.log?.(
      `sync run ${r + 1}: ${run.roundMs.toFixed(0)} ms for ${run.acknowledged} events in ${run.batches} uploads (${(run.uploadBytes / 1e6).toFixed(1)} MB; ` +
        `${run.uploadFetchMs.toFixed(0)} ms in upload requests); baseline ${run.baseline.totalMs.toFixed(0)} ms ` +
        `(IndexedDB read ${read.ms.toFixed(0)}, AES-GCM ${send.aesGcmMs.toFixed(0)}, POST ${send.postMs.toFixed(0)}); ` +
        `saved offline (${offline.sealedAhead} sealed ahead in full batches), the round back online ${back.roundMs.toFixed(0)} ms in ${back.batches} uploads`,
    );
    for (const mode of opts.peer ? (['plain', 'encrypted'] as const) : []) {
      const p = await opts.peer!.run(mode, opts.events);
      peer.push(p);
      opts.log?.(`sync run ${r + 1}: the PouchDB peer (${mode}) replicated ${p.docsWritten} records in ${p.ms.toFixed(0)} ms`);
    }
  }
  return { runs, peer, events: opts.events };
}
