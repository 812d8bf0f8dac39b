/**
 * The admin's data care: merging two records of the same woman, erasing a woman, and the
 * retention rule. Each is confirmed on screen first, logged in the server's audit log (by action
 * only), and needs this device to be the organisation's admin device.
 */
import type { EventOf } from '../../../domain/events.ts';
import { foldName } from '../../../domain/search.ts';
import type { DeviceCore } from '../../core/core.ts';
import { ClientError, PROBLEMS } from '../../problems.ts';
import { recordDirectoryEvents } from '../../directory/directoryActions.ts';
import { certifiedAdminDevice } from '../adminDevice.ts';
import { loadHistoryEvents, refreshArchive } from '../archive/archiveStore.ts';
import type { SyncClient } from '../../sync/client.ts';
import { reportAudit } from './audit.ts';
import { compactErasures, type CompactionResult, type CompactionStep } from './compaction.ts';
import { womenPastRetention } from './erasure.ts';

/**
 * Folds `duplicateId` into `keepId`: from now on both are counted as one woman under `keepId`,
 * on every device. The audit log is told first, so no merge goes unlogged.
 */
export async function mergeWomen(core: DeviceCore, client: SyncClient, duplicateId: string, keepId: string): Promise<void> {
  await certifiedAdminDevice(core);
  const { women } = core.session;
  const duplicate = women.get(duplicateId);
  const keep = women.get(keepId);
  if (!duplicate || !keep || duplicate.mergedInto || keep.mergedInto) throw new ClientError('records_changed');
  if (duplicateId === keepId) throw new ClientError('merge_same');
  await reportAudit(core, client, 'records.merged');
  const event: EventOf<'woman.merged'> = { ...core.stamp(), type: 'woman.merged', womanId: duplicateId, intoId: keepId };
  await recordDirectoryEvents(core, [event]);
}

/**
 * Erases a woman: her entry goes from the directory on every device, and every stored record
 * that names her is replaced on the server by one that does not. Her visits, contacts and
 * sessions stay and keep counting, under an id nothing links to her any more. The admin confirms
 * by typing her known-as name.
 */
export async function eraseWoman(core: DeviceCore, client: SyncClient, womanId: string, typedName: string, onStep?: (step: CompactionStep) => void): Promise<CompactionResult> {
  await certifiedAdminDevice(core);
  const woman = core.session.women.get(womanId);
  if (!woman) throw new ClientError('woman_gone');
  if (foldName(typedName) !== foldName(woman.knownAs)) throw new ClientError('confirm_name', { knownAs: woman.knownAs });
  requireOrgKey(core);
  await reportAudit(core, client, 'woman.erased');
  const event: EventOf<'woman.erased'> = { ...core.stamp(), type: 'woman.erased', womanId };
  await recordDirectoryEvents(core, [event]);
  return compactErasures(core, client, 'erasure', onStep).catch((error: unknown) => {
    throw new ClientError('erased_not_compacted', { who: `${woman.knownAs} is`, what: 'her name is', reason: reasonOf(error) });
  });
}

/** Why the server's copies were not cleared: the erasure itself stands. */
function reasonOf(error: unknown): string {
  return error instanceof Error ? error.message : PROBLEMS.copies_not_cleared();
}

/** Finishes erasures whose compaction was cut short: re-run at any time, it removes what is left. */
export function finishErasures(core: DeviceCore, client: SyncClient, onStep?: (step: CompactionStep) => void): Promise<CompactionResult> {
  return compactErasures(core, client, 'erasure', onStep).catch((error: unknown) => {
    throw new ClientError('compaction_unfinished', { reason: reasonOf(error) });
  });
}

export interface RetentionPreview {
  years: number;
  /** Canonical ids of the women the rule applies to now. */
  women: string[];
}

/** Who the retention rule applies to today, from the archive refreshed now. */
export async function previewRetention(core: DeviceCore, client: SyncClient): Promise<RetentionPreview> {
  await certifiedAdminDevice(core);
  const years = core.session.config.retentionYears;
  if (years === null) throw new ClientError('no_retention_rule');
  requireOrgKey(core);
  await refreshArchive(core, undefined, { client });
  const events = await loadHistoryEvents(core);
  return { years, women: womenPastRetention(events, core.session.config, years, new Date()) };
}

/**
 * Applies the rule to the women of a preview the admin confirmed: each is erased as by
 * eraseWoman, all in one compaction.
 */
export async function applyRetention(core: DeviceCore, client: SyncClient, preview: RetentionPreview, onStep?: (step: CompactionStep) => void): Promise<CompactionResult> {
  await certifiedAdminDevice(core);
  requireOrgKey(core);
  if (!preview.women.length) throw new ClientError('retention_nobody');
  if (core.session.config.retentionYears !== preview.years) throw new ClientError('retention_changed');
  await reportAudit(core, client, 'retention.applied');
  await recordDirectoryEvents(core, preview.women.map((womanId): EventOf<'woman.erased'> => ({ ...core.stamp(), type: 'woman.erased', womanId })));
  return compactErasures(core, client, 'retention', onStep).catch((error: unknown) => {
    throw new ClientError('erased_not_compacted', { who: 'They are', what: 'their names are', reason: reasonOf(error) });
  });
}

/** Checked before anything is done, so a locked key never leaves an erasure half-way. */
function requireOrgKey(core: DeviceCore): void {
  if (!core.orgKeys) throw new ClientError('org_records_locked');
}
