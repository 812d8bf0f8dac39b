/**
 * One round of sync: seal what is waiting (when unlocked), upload every pending batch in order,
 * then read what other devices added to the shared directory (when unlocked).
 */
import { bytesJson, openWithTeamKey, teamKeyVersionOf } from '../../crypto/envelope.ts';
import { FootfallEvent } from '../../domain/events.ts';
import type { DeviceCore } from '../core/core.ts';
import { readEnrolment, readIdentity, readSyncState, saveSyncState } from '../core/device.ts';
import { acknowledge, pendingBatches, recordRefusal } from '../core/outbox.ts';
import { applyDirectory } from '../directory/directoryActions.ts';
import type { DeviceCredentials, SyncClient } from './client.ts';
import { receiveTeamKeys } from './organisation.ts';

export interface RoundResult {
  /** Events the server acknowledged in this round. */
  acknowledged: number;
  /** Why the round stopped early, if it did. */
  stopped: null | { kind: 'revoked' | 'unreachable'; message: string };
  skewMs: number | null;
}

/**
 * One round. `core` is the unlocked device, lent while someone is signed in: it seals what is
 * waiting and reads the shared directory. Without it (locked), sealed batches still upload.
 */
export async function syncRound(client: SyncClient, core: DeviceCore | null): Promise<RoundResult> {
  const [enrolment, identity] = await Promise.all([readEnrolment(), readIdentity()]);
  if (!enrolment || !identity) return { acknowledged: 0, stopped: null, skewMs: null };
  const device: DeviceCredentials = { orgId: enrolment.orgId, deviceId: identity.deviceId, signingKey: enrolment.signingKey };
  const unlocked = core && !core.closed && core.teamKeys.size ? core : null;

  if (unlocked) {
    await receiveTeamKeys(client, unlocked);
    await unlocked.sealWaiting(enrolment);
  }

  const result: RoundResult = { acknowledged: 0, stopped: null, skewMs: null };
  // "Last synced" means the server answered: a locked round with nothing to upload asks it nothing.
  let answered = false;
  const note = (serverTime: string | null) => {
    if (serverTime) result.skewMs = Date.parse(serverTime) - Date.now();
  };

  for (const batch of await pendingBatches()) {
    const outcome = await client.putBatch(device, batch.batchId, { seq: batch.seq, activity: batch.activity, directory: batch.directory });
    if (outcome.kind === 'ok') {
      await acknowledge(batch);
      result.acknowledged += batch.eventIds.length;
      answered = true;
      note(outcome.serverTime);
    } else if (outcome.kind === 'refused') {
      // Set aside; the batches behind it go on.
      await recordRefusal(batch, outcome.message, outcome.error === 'batch_conflict');
      answered = true;
    } else {
      result.stopped = { kind: outcome.kind, message: outcome.message };
      break;
    }
  }

  if (unlocked && result.acknowledged > 0) await unlocked.pruneSynced();

  let state = await readSyncState();
  if (!result.stopped && unlocked) {
    const pulled = await pullDirectory(client, device, state.directoryCursor, unlocked);
    if (pulled.stopped) result.stopped = pulled.stopped;
    else {
      state = { ...state, directoryCursor: pulled.cursor };
      answered = true;
    }
    note(pulled.serverTime);
  }
  if (!result.stopped && answered) state = { ...state, lastSyncedAt: new Date().toISOString() };
  if (result.skewMs !== null) state = { ...state, skewMs: result.skewMs };
  await saveSyncState(state);
  return result;
}

async function pullDirectory(
  client: SyncClient,
  device: DeviceCredentials,
  cursor: string | null,
  unlocked: DeviceCore,
): Promise<{ cursor: string | null; serverTime: string | null; stopped: RoundResult['stopped'] }> {
  let serverTime: string | null = null;
  for (;;) {
    const page = await client.directory(device, cursor);
    if (page.kind === 'revoked' || page.kind === 'unreachable') return { cursor, serverTime, stopped: { kind: page.kind, message: page.message } };
    if (page.kind === 'refused') return { cursor, serverTime, stopped: { kind: 'unreachable', message: page.message } };
    serverTime = page.serverTime;
    const events: FootfallEvent[] = [];
    for (const item of page.value.items) {
      if (item.deviceId === device.deviceId) continue; // this device's own, already applied
      const opened = await readDirectoryPart(unlocked.teamKeys, item.directory);
      // A part damaged beyond opening with a key this device holds never will open: it is passed
      // (the admin's archive reports it), so one damaged batch cannot hold up every later entry.
      if (!opened.ok && opened.damaged) continue;
      // Otherwise stop before it, not past it: the cursor stays, and the next round reads it again.
      if (!opened.ok) return { cursor, serverTime, stopped: { kind: 'unreachable', message: opened.message } };
      events.push(...opened.events);
    }
    if (events.length) await applyDirectory(unlocked, events);
    if (page.value.items.length) cursor = page.value.items.at(-1)!.cursor;
    if (!page.value.next) return { cursor, serverTime, stopped: null };
  }
}

async function readDirectoryPart(
  teamKeys: ReadonlyMap<number, CryptoKey>,
  sealed: string,
): Promise<{ ok: true; events: FootfallEvent[] } | { ok: false; damaged: boolean; message: string }> {
  let plain: unknown;
  try {
    plain = bytesJson(await openWithTeamKey(teamKeys, sealed));
  } catch (error) {
    // Damaged, unless it names a team key this device does not hold yet (one issued since).
    const version = teamKeyVersionOf(sealed);
    const damaged = version === null || teamKeys.has(version);
    return { ok: false, damaged, message: `The shared directory could not be read: ${error instanceof Error ? error.message : 'unknown error'}` };
  }
  const parsed = FootfallEvent.array().safeParse(plain);
  if (!parsed.success) return { ok: false, damaged: false, message: 'The shared directory holds records from a newer version of Footfall. Update this device.' };
  return { ok: true, events: parsed.data };
}
