/**
 * Compaction: the admin's device replaces every stored batch that identifies an erased woman
 * with new batches holding everything else it held, sealed exactly as the outbox seals, and the
 * server removes the old ones for good (their ids kept, so a device re-sending one stores
 * nothing). The activity part is sealed to the organisation's key as always; only the directory
 * part is read for names, but both are re-sealed, since a batch is replaced whole.
 */
import type { FootfallEvent } from '../../../domain/events.ts';
import { COMPACTION_MAX_BATCHES, COMPACTION_MAX_SUPERSEDED, type CompactionRequest } from '../../../domain/protocol.ts';
import { applyDirectory } from '../../session.ts';
import { adminDevice } from '../adminDevice.ts';
import { replaceArchive } from '../archive/archiveStore.ts';
import { orgKey } from '../orgKey.ts';
import { requireSession } from '../../store.ts';
import type { SyncClient } from '../../sync/client.ts';
import { newestTeamKey, syncRound } from '../../sync/engine.ts';
import { receiveTeamKeys } from '../../sync/organisation.ts';
import { BATCH_MAX_EVENTS, reserveSeqs, sealBatchParts } from '../../core/outbox.ts';
import { planCompaction, type CompactionPlan } from './erasure.ts';
import { readSnapshot } from './snapshot.ts';

export interface CompactionResult {
  /** Identifying events removed from the server. */
  removed: number;
  /** Stored batches replaced. */
  replaced: number;
  /** Batches that could not be opened, left as they are. */
  unreadable: number;
}

export type CompactionStep = 'uploading' | 'reading' | 'sealing' | 'replacing';

export const KEY_LOCKED = 'Open the organisation’s records with the passphrase first: erasing re-seals them.';

/**
 * Removes from the server every stored record that identifies an erased woman. Safe to run
 * again: with nothing left to remove it changes nothing. This device's own waiting records are
 * uploaded first, so none of them can bring a name back afterwards.
 */
export async function compactErasures(client: SyncClient, reason: CompactionRequest['reason'], onStep?: (step: CompactionStep) => void): Promise<CompactionResult> {
  const { enrolment, credentials } = await adminDevice();
  const key = orgKey();
  if (!key) throw new Error(KEY_LOCKED);
  onStep?.('uploading');
  await uploadWaiting(client);
  onStep?.('reading');
  const { teamKeys, vault } = requireSession();
  const snapshot = await readSnapshot(client, credentials, key, teamKeys);
  const plan = planCompaction(snapshot.batches);
  const result = { removed: plan.removed, replaced: plan.rewrite.length, unreadable: snapshot.unreadable.length };
  if (!plan.rewrite.length) return result;

  onStep?.('sealing');
  const team = newestTeamKey(teamKeys);
  for (const group of groups(plan.rewrite)) {
    const chunks = chunksOf(group.flatMap((b) => b.keep));
    const firstSeq = await reserveSeqs(vault.db, chunks.length);
    const batches = await Promise.all(
      chunks.map(async (events, i) => ({ batchId: crypto.randomUUID(), seq: firstSeq + i, ...(await sealBatchParts(events, enrolment.orgPublicKey, team)) })),
    );
    // Each request replaces batches only with new ones holding what they held: if a later one
    // fails, nothing is lost, and running the compaction again finishes the work.
    const outcome = await client.compact(credentials, { batches, supersedes: group.map((b) => b.batchId), reason });
    if (outcome.kind !== 'ok') throw new Error(`The server could not replace the stored records (${outcome.message.replace(/\.$/, '')}). Nothing has been lost.`);
  }
  onStep?.('replacing');
  await replaceArchive(plan.kept);
  return result;
}

/** This device's waiting records go up first; if they cannot, nothing is compacted. */
async function uploadWaiting(client: SyncClient): Promise<void> {
  const { vault } = requireSession();
  const { credentials } = await adminDevice();
  const round = await syncRound(vault.db, client, credentials.deviceId, {
    keyring: vault.keyring,
    teamKeys: () => requireSession().teamKeys,
    receiveTeamKeys: () => receiveTeamKeys(client),
    applyDirectory,
  });
  const waiting = (await vault.db.events.count()) + (await vault.db.batches.count());
  if (round.stopped || waiting > 0) {
    const why = round.stopped ? ` (${round.stopped.message.replace(/\.$/, '')})` : '';
    throw new Error(`This device’s own records must reach the server first, and could not${why}.`);
  }
}

/**
 * Replaced batches in requests within the server's limits. A request's new batches hold exactly
 * what its replaced batches keep, so each request stands on its own.
 */
function groups(rewrite: Rewrite): Rewrite[] {
  const out: Rewrite[] = [];
  let current: Rewrite = [];
  let events = 0;
  for (const batch of rewrite) {
    if (current.length && (events + batch.keep.length > COMPACTION_MAX_BATCHES * BATCH_MAX_EVENTS || current.length >= COMPACTION_MAX_SUPERSEDED)) {
      out.push(current);
      current = [];
      events = 0;
    }
    current.push(batch);
    events += batch.keep.length;
  }
  if (current.length) out.push(current);
  return out;
}

type Rewrite = CompactionPlan['rewrite'];

/** Events in new batches of the outbox's size (none when nothing is kept). */
function chunksOf(events: readonly FootfallEvent[]): FootfallEvent[][] {
  const chunks: FootfallEvent[][] = [];
  for (let i = 0; i < events.length; i += BATCH_MAX_EVENTS) chunks.push(events.slice(i, i + BATCH_MAX_EVENTS));
  return chunks;
}
