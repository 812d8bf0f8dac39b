/**
 * One round of sync: seal what is waiting (when unlocked) and upload every pending batch in order,
 * while reading what other devices added to the shared directory (when unlocked).
 */
import { openWithTeamKey } from '../../crypto/envelope.ts';
import type { FootfallEvent } from '../../domain/events.ts';
import type { DirectoryPage } from '../../domain/protocol.ts';
import type { DeviceCore, UnlockedEnrolment } from '../core/core.ts';
import { readEnrolment, readIdentity, readSyncState, saveSyncState } from '../core/device.ts';
import { acknowledge, pendingBatches, recordRefusal, sweepAcknowledged } from '../core/outbox.ts';
import { adoptAnnouncedKeys, announcementsIn } from '../core/orgKeys.ts';
import { noteLastSync, noteSkew } from '../core/syncStatus.ts';
import { uploadKeys } from '../core/uploadSigner.ts';
import { applyDirectory } from '../directory/directoryActions.ts';
import type { DeviceCredentials, SyncClient } from './client.ts';
import { receiveTeamKeys, shareTeamKeys } from './organisation.ts';
import { UploadQueue } from './uploadQueue.ts';
import { readEvents, type Authority } from './parts.ts';

/**
 * How this version reads the shared directory: a device that read it another way reads it again
 * from the start. Raise it whenever a version starts to read parts an earlier one passed over
 * (signed parts in form 2; the organisation's people in form 3), so an update never leaves entries behind.
 */
const DIRECTORY_FORM = 3;

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
 * Without `upload` (uploads held, docs/sync.md#held-uploads) nothing is sealed or sent: what waits
 * goes later in as few batches as it fills, and the round only picks up team keys and the directory.
 * The rows of acknowledged batches are deleted at the end (outbox.ts sweepAcknowledged): awaited,
 * unless `awaitSweep` is false, as the scheduler asks, so the round is over once the server has
 * everything and the waiting count says so (docs/sync.md#acknowledging).
 */
export async function syncRound(client: SyncClient, core: DeviceCore | null, { upload = true, awaitSweep = true } = {}): Promise<RoundResult> {
  const [enrolment, identity] = await Promise.all([readEnrolment(), readIdentity()]);
  if (!enrolment || !identity) return { acknowledged: 0, stopped: null, skewMs: null };
  const unlocked = core && !core.closed && core.teamKeys.size ? core : null;
  // Locked, the keys opened at the last unlock in this page sign and open the batches' numbers;
  // after a restart there are none until someone unlocks, and nothing is sent (docs/security.md#device-keys).
  const kept = uploadKeys(identity.deviceId);
  const signingKey = unlocked ? unlocked.deviceKeys().signing : (kept?.signing ?? enrolment.signingKey);
  if (!signingKey) return { acknowledged: 0, stopped: null, skewMs: null };
  const device: DeviceCredentials = { orgId: enrolment.orgId, deviceId: identity.deviceId, signingKey };

  // A new team key may open parts this device passed over: receiving one marks the directory to
  // be read again from the start.
  if (unlocked) await receiveTeamKeys(client, unlocked);

  // The shared directory is read while this device's batches are sealed and sent: it needs
  // neither, and at the end of a long round it was the last thing waited for. Parts this round
  // uploads are its own, passed over by the next read. A device that read it another way reads it
  // all again once (DIRECTORY_FORM). A write it makes to the marks (learning when the organisation
  // began to sign, once in a device's life; adopting a rotated organisation key, once a rotation)
  // stops that round's sealing at its next batch, as another tab's would (outbox.ts): the rest is
  // sealed by the next round.
  const pulling = unlocked
    ? Promise.all([readSyncState(), unlocked.enrolment()]).then(([state, marked]) =>
        pullDirectory(client, device, state.directoryForm === DIRECTORY_FORM ? state.directoryCursor : null, unlocked, marked ?? enrolment),
      )
    : null;
  pulling?.catch(() => undefined); // reported where it is awaited
  const result: RoundResult = { acknowledged: 0, stopped: null, skewMs: null };
  // "Last synced" means the server answered: a locked round with nothing to upload asks it nothing.
  let answered = false;
  const note = (serverTime: string | null) => {
    if (serverTime) result.skewMs = Date.parse(serverTime) - Date.now();
  };

  // Batches left pending go first, then each one sealed now as soon as it is stored, while the next
  // is sealed. The last, partly filled one is sealed only when the server has answered, or nothing
  // was left unanswered, so a device that cannot reach it keeps filling that batch rather than
  // sealing a small one each round (docs/sync.md#batches-and-padding).
  const queue = new UploadQueue(upload ? await pendingBatches(kept?.upload ?? null) : []);
  const sealing = unlocked && upload ? unlocked.sealWaiting(enrolment, { stored: (batch) => queue.add(batch), lastBatch: () => queue.reachable() }) : null;
  if (sealing) void sealing.then(() => queue.end(), () => queue.end());
  else queue.end();

  // Each batch is acknowledged (its events no longer waiting here) while the next one goes up. The server
  // has it either way: a batch whose acknowledgement did not happen is sent again and stored once.
  let acknowledging: Promise<void> = Promise.resolve();
  const ackFailures: unknown[] = [];
  for (let batch = await queue.next(); batch; batch = await queue.next()) {
    if (ackFailures.length) break;
    const outcome = await client.putBatch(device, batch.batchId, { seq: batch.seq, activity: batch.activity, directory: batch.directory });
    if (outcome.kind === 'ok') {
      acknowledging = acknowledging
        .then(() => (ackFailures.length ? undefined : acknowledge(batch)))
        .catch((error: unknown) => {
          ackFailures.push(error);
        });
      result.acknowledged += batch.eventCount;
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
  // What is sealed meanwhile waits for the next round.
  queue.stop();

  try {
    await acknowledging;
    // A row that could not be sealed stops the round, after the batches before it went up.
    await sealing;
    if (ackFailures.length) throw ackFailures[0];
  } catch (error) {
    // Pages it applied are read again next round, which is harmless (docs/sync.md#the-shared-directory).
    await pulling?.catch(() => undefined);
    throw error;
  }

  if (unlocked && result.acknowledged > 0) await unlocked.pruneSynced();
  // An admin device gives its team keys to devices that joined without the newest (its own
  // failure waits for a later round: this round's uploads stand).
  if (unlocked && !result.stopped) await shareTeamKeys(unlocked, client).catch(() => undefined);

  let state = await readSyncState();
  if (pulling) {
    const pulled = await pulling;
    // The pages applied before a stop are kept: the next round carries on after them.
    state = { ...state, directoryCursor: pulled.cursor, directoryForm: DIRECTORY_FORM };
    // An upload told this device it is revoked: the read, going on beside it, may have been cut short since, and says less.
    if (pulled.stopped && result.stopped?.kind !== 'revoked') result.stopped = pulled.stopped;
    else answered = true;
    note(pulled.serverTime);
  }
  // Told once, kept: the device takes no new records from now on, and sync stops asking.
  if (result.stopped?.kind === 'revoked') {
    state = { ...state, revoked: true };
    core?.markRevoked();
  }
  if (result.skewMs !== null) noteSkew(result.skewMs);
  await saveSyncState(state);
  if (!result.stopped && answered) {
    // Sealed under the upload key this page holds; shown from this page's memory either way.
    await noteLastSync(new Date().toISOString(), kept?.upload ?? null);
  }
  const sweeping = sweepAcknowledged();
  if (awaitSweep) await sweeping;
  else sweeping.catch(() => undefined); // what is left is deleted by the next round's sweep
  return result;
}

async function pullDirectory(
  client: SyncClient,
  device: DeviceCredentials,
  cursor: string | null,
  unlocked: DeviceCore,
  enrolment: UnlockedEnrolment,
): Promise<{ cursor: string | null; serverTime: string | null; stopped: RoundResult['stopped'] }> {
  let serverTime: string | null = null;
  const authority: Authority = { orgId: enrolment.orgId, orgPublicKey: enrolment.orgPublicKey, authoritySince: enrolment.authoritySince ?? null };
  for (;;) {
    // Locked meanwhile (here, or by another tab unlocking): the tab unlocked next reads on from here.
    if (unlocked.closed) return { cursor, serverTime, stopped: null };
    const page = await client.directory(device, cursor);
    if (page.kind === 'revoked' || page.kind === 'unreachable') return { cursor, serverTime, stopped: { kind: page.kind, message: page.message } };
    if (page.kind === 'refused') return { cursor, serverTime, stopped: { kind: 'unreachable', message: page.message } };
    serverTime = page.serverTime;
    const events: FootfallEvent[] = [];
    for (const item of page.value.items) {
      if (item.deviceId === device.deviceId) continue; // this device's own, already applied
      const read = await readDirectoryPart(unlocked.teamKeys, item, authority);
      // A part that cannot be read (damaged, forged, naming a team key this device does not hold,
      // or holding records of a newer version) is passed, never a stop, so no device's upload can
      // hold up every later entry: the admin's archive reports it, a new team key marks the
      // directory to be read again, and so does an update that reads new kinds of record.
      if (!read) continue;
      // Learnt only from a part its certified signer uploaded itself, not from a copy another device re-sent.
      if (read.signedBy?.deviceId === item.deviceId && authority.authoritySince === null) {
        authority.authoritySince = read.signedBy.authoritySince;
        await unlocked.keepAuthority({ authoritySince: authority.authoritySince });
      }
      events.push(...read.accepted);
    }
    if (events.length) await applyDirectory(unlocked, events);
    // A new organisation key, its signature checked (readEvents): records are sealed to it from now on.
    await adoptAnnouncedKeys(unlocked.keyring, enrolment, announcementsIn(events));
    if (page.value.items.length) cursor = page.value.items.at(-1)!.cursor;
    if (!page.value.next) return { cursor, serverTime, stopped: null };
  }
}

/** A directory part's events that may be applied here, or null when it cannot be read. */
async function readDirectoryPart(teamKeys: ReadonlyMap<number, CryptoKey>, item: DirectoryPage['items'][number], authority: Authority) {
  try {
    return await readEvents(await openWithTeamKey(teamKeys, item.directory), item, authority);
  } catch {
    return null;
  }
}
