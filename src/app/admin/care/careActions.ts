/**
 * The admin's data care: merging two records of the same woman, erasing a woman, and the
 * retention rule. Each is confirmed on screen first, logged in the server's audit log (by action
 * only), and needs this device to be the organisation's admin device.
 */
import type { EventOf } from '../../../domain/events.ts';
import { foldName } from '../../../domain/search.ts';
import { recordDirectoryEvents, stamp } from '../../session.ts';
import { adminDevice } from '../adminDevice.ts';
import { loadHistoryEvents, refreshArchive } from '../archive/archiveStore.ts';
import { orgKey } from '../orgKey.ts';
import { requireSession } from '../../store.ts';
import type { SyncClient } from '../../sync/client.ts';
import { reportAudit } from './audit.ts';
import { compactErasures, KEY_LOCKED, type CompactionResult, type CompactionStep } from './compaction.ts';
import { womenPastRetention } from './erasure.ts';

/**
 * Folds `duplicateId` into `keepId`: from now on both are counted as one woman under `keepId`,
 * on every device. The audit log is told first, so no merge goes unlogged.
 */
export async function mergeWomen(client: SyncClient, duplicateId: string, keepId: string): Promise<void> {
  await adminDevice();
  const { women } = requireSession();
  const duplicate = women.get(duplicateId);
  const keep = women.get(keepId);
  if (!duplicate || !keep || duplicate.mergedInto || keep.mergedInto) throw new Error('One of these records has changed meanwhile. Search for them again.');
  if (duplicateId === keepId) throw new Error('Choose two different records to merge.');
  await reportAudit(client, 'records.merged');
  const event: EventOf<'woman.merged'> = { ...stamp(requireSession()), type: 'woman.merged', womanId: duplicateId, intoId: keepId };
  await recordDirectoryEvents([event]);
}

/**
 * Erases a woman: her entry goes from the directory on every device, and every stored record
 * that names her is replaced on the server by one that does not. Her visits, contacts and
 * sessions stay and keep counting, under an id nothing links to her any more. The admin confirms
 * by typing her known-as name.
 */
export async function eraseWoman(client: SyncClient, womanId: string, typedName: string, onStep?: (step: CompactionStep) => void): Promise<CompactionResult> {
  await adminDevice();
  const woman = requireSession().women.get(womanId);
  if (!woman) throw new Error('She is no longer in the directory. Search for her again.');
  if (foldName(typedName) !== foldName(woman.knownAs)) throw new Error(`Type her known-as name, ${woman.knownAs}, exactly as shown, to confirm.`);
  requireOrgKey();
  await reportAudit(client, 'woman.erased');
  const event: EventOf<'woman.erased'> = { ...stamp(requireSession()), type: 'woman.erased', womanId };
  await recordDirectoryEvents([event]);
  return compactErasures(client, 'erasure', onStep).catch((error: unknown) => {
    throw new Error(`${woman.knownAs} is erased from the directory here, and on every other device as it syncs, but ${stillOnServer(error, 'her name is')}`);
  });
}

/** Why the server's copies were not cleared, and what to do: the erasure itself stands. */
function stillOnServer(error: unknown, what: string): string {
  const reason = error instanceof Error ? error.message : 'The server’s copies could not be cleared.';
  return `${what} still in the server’s sealed copies. ${reason} When the connection is back, use “Finish erasing on the server”.`;
}

/** Finishes erasures whose compaction was cut short: re-run at any time, it removes what is left. */
export function finishErasures(client: SyncClient, onStep?: (step: CompactionStep) => void): Promise<CompactionResult> {
  return compactErasures(client, 'erasure', onStep).catch((error: unknown) => {
    throw new Error(`${error instanceof Error ? error.message : 'The server’s copies could not be cleared.'} Try again when the connection is back.`);
  });
}

export interface RetentionPreview {
  years: number;
  /** Canonical ids of the women the rule applies to now. */
  women: string[];
}

/** Who the retention rule applies to today, from the archive refreshed now. */
export async function previewRetention(client: SyncClient): Promise<RetentionPreview> {
  await adminDevice();
  const years = requireSession().config.retentionYears;
  if (years === null) throw new Error('No retention rule is set. Set the number of years in the retention rule first.');
  requireOrgKey();
  await refreshArchive(undefined, { client });
  const events = await loadHistoryEvents();
  return { years, women: womenPastRetention(events, requireSession().config, years, new Date()) };
}

/**
 * Applies the rule to the women of a preview the admin confirmed: each is erased as by
 * eraseWoman, all in one compaction.
 */
export async function applyRetention(client: SyncClient, preview: RetentionPreview, onStep?: (step: CompactionStep) => void): Promise<CompactionResult> {
  await adminDevice();
  requireOrgKey();
  if (!preview.women.length) throw new Error('The rule applies to no one today: nothing to do.');
  if (requireSession().config.retentionYears !== preview.years) throw new Error('The retention rule changed since you checked. Check again.');
  await reportAudit(client, 'retention.applied');
  const s = requireSession();
  await recordDirectoryEvents(preview.women.map((womanId): EventOf<'woman.erased'> => ({ ...stamp(s), type: 'woman.erased', womanId })));
  return compactErasures(client, 'retention', onStep).catch((error: unknown) => {
    throw new Error(`They are erased from the directory here, and on every other device as it syncs, but ${stillOnServer(error, 'their names are')}`);
  });
}

/** Checked before anything is done, so a locked key never leaves an erasure half-way. */
function requireOrgKey(): void {
  if (!orgKey()) throw new Error(KEY_LOCKED);
}
