/**
 * Compaction: the admin's device replaces every stored batch that identifies an erased woman
 * with new batches holding everything else it held, sealed exactly as the outbox seals, and the
 * server removes the old ones for good (their ids kept, so a device re-sending one stores
 * nothing). The activity part is sealed to the organisation's newest key, as the outbox seals; only the directory
 * part is read for names, but both are re-sealed, since a batch is replaced whole.
 */
import { COMPACTION_MAX_SUPERSEDED, type CompactionRequest } from '../../../domain/protocol.ts';
import type { DeviceCore } from '../../core/core.ts';
import { ClientError } from '../../problems.ts';
import { fillBatches, packEvent, partBound, type PackedEvent } from '../../core/batchFill.ts';
import { recipientOf } from '../../core/orgKeys.ts';
import { allSent, reserveSeqs } from '../../core/outbox.ts';
import { isDirectoryEvent, sealPackedParts, signerOf } from '../../core/batchSealing.ts';
import type { SyncClient } from '../../sync/client.ts';
import { syncRound } from '../../sync/engine.ts';
import { adminDevice } from '../adminDevice.ts';
import { archiveKeys } from '../archive/archiveReader.ts';
import { replaceArchive } from '../archive/archiveStore.ts';
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

/**
 * Removes from the server every stored record that identifies an erased woman. Safe to run
 * again: with nothing left to remove it changes nothing. This device's own waiting records are
 * uploaded first, so none of them can bring a name back afterwards.
 */
export async function compactErasures(
  core: DeviceCore,
  client: SyncClient,
  reason: CompactionRequest['reason'],
  onStep?: (step: CompactionStep) => void,
): Promise<CompactionResult> {
  const { enrolment, credentials } = await adminDevice(core);
  const keys = core.orgKeys;
  if (!keys) throw new ClientError('org_records_locked');
  onStep?.('uploading');
  await uploadWaiting(core, client);
  onStep?.('reading');
  const snapshot = await readSnapshot(client, credentials, archiveKeys(core, enrolment, keys));
  const plan = planCompaction(snapshot.batches);
  const result = { removed: plan.removed, replaced: plan.rewrite.length, unreadable: snapshot.unreadable.length };
  if (!plan.rewrite.length) return result;

  onStep?.('sealing');
  const team = core.newestTeamKey();
  const signer = signerOf(enrolment, core.identity.deviceId, core.deviceKeys().signing);
  // Read again: the round above may have learnt of a newer organisation key.
  const recipient = await recipientOf((await adminDevice(core)).enrolment);
  for (const group of groups(plan.rewrite)) {
    const chunks = fillBatches(group.keep, partBound(signer !== null), isDirectoryEvent);
    const firstSeq = await reserveSeqs(core.keyring, chunks.length);
    const batches = await Promise.all(
      chunks.map(async (events, i) => ({ batchId: crypto.randomUUID(), seq: firstSeq + i, ...(await sealPackedParts(events, recipient, team, signer)) })),
    );
    // Each request replaces batches only with new ones holding what they held: if a later one
    // fails, nothing is lost, and running the compaction again finishes the work.
    const outcome = await client.compact(credentials, { batches, supersedes: group.supersedes, reason });
    if (outcome.kind !== 'ok') throw new ClientError('compaction_refused', { message: outcome.message });
  }
  onStep?.('replacing');
  await replaceArchive(core, plan.kept);
  return result;
}

/** This device's waiting records go up first; if they cannot, nothing is compacted. */
async function uploadWaiting(core: DeviceCore, client: SyncClient): Promise<void> {
  const round = await syncRound(client, core);
  if (round.stopped || !(await allSent())) throw new ClientError('own_records_first', { reason: round.stopped?.message ?? null });
}

/**
 * The JSON of kept events one request re-seals at most. Sealed, signed (a third larger) and padded
 * (at most twice), then written as base64url, it stays well inside the endpoint's upload limit.
 */
const REQUEST_JSON_BYTES = 1536 * 1024;

/**
 * Replaced batches in requests within the server's limits. A request's new batches hold exactly
 * what its replaced batches keep, so each request stands on its own.
 */
function groups(rewrite: CompactionPlan['rewrite']): { supersedes: string[]; keep: PackedEvent[] }[] {
  const out: { supersedes: string[]; keep: PackedEvent[] }[] = [];
  let current = { supersedes: [] as string[], keep: [] as PackedEvent[] };
  let bytes = 0;
  for (const batch of rewrite) {
    const keep = batch.keep.map(packEvent);
    const size = keep.reduce((sum, p) => sum + p.bytes.byteLength, 0);
    const full = current.supersedes.length >= COMPACTION_MAX_SUPERSEDED || bytes + size > REQUEST_JSON_BYTES;
    if (current.supersedes.length && full) {
      out.push(current);
      current = { supersedes: [], keep: [] };
      bytes = 0;
    }
    current.supersedes.push(batch.batchId);
    current.keep.push(...keep);
    bytes += size;
  }
  if (current.supersedes.length) out.push(current);
  return out;
}
