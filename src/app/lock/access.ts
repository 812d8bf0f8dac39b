/**
 * Who holds the device's keys: setting a new device up, unlocking with a PIN and locking. Unlocking
 * opens the device core (src/app/core/core.ts) and locking closes it; this module is the one place
 * that knows which core is open, for the composition root (the shell, sync) to hand it on.
 */
import { createKeyring, unwrapRoot, wrapRoot, type Keyring } from '../../crypto/keyring.ts';
import { defaultConfig, keyFromLabel } from '../../domain/config.ts';
import { DeviceCore, writeNewDevice } from '../core/core.ts';
import type { DeviceIdentity, StaffRow } from '../core/database.ts';
import { OPEN_LOCK } from '../core/lockSnapshot.ts';
import { activeStaff, forgetUnfinishedJoin, readIdentity, saveLock, takePinTry } from '../core/device.ts';
import { showDevice, showLocked } from '../core/publish.ts';
import { ClientError } from '../problems.ts';
import { admit } from '../people/admit.ts';
import { completeJoin, type JoinOffer } from '../sync/organisation.ts';
import { afterSyncRound } from '../sync/scheduler.ts';
import '../zodConfig.ts';
import { afterWrongPin, formatWait, mayRelease, pinProblem, waitRemaining, wrongPinMessage } from './lockPolicy.ts';
import { timelessPersonId } from '../../crypto/ids.ts';

export interface SetupInput {
  deviceName: string;
  siteName: string;
  staffName: string;
  pin: string;
}

let opened: DeviceCore | null = null;
const listeners = new Set<(core: DeviceCore | null) => void>();

/**
 * Held by the one tab of this browser that is unlocked (docs/security.md#one-unlocked-tab). Each
 * tab keeps its own view of the day and the directory, so two unlocked at once would each save
 * from a view the other has changed (a woman registered in one not found in the other, one tab's
 * services on a visit overwritten by the other's). Unlocking takes it before it reads the
 * device's records, and the tab that held it locks.
 */
const UNLOCKED_TAB_LOCK = 'footfall-unlocked-tab';
let releaseTab: (() => void) | null = null;
let holds = 0;

/** The longest an unlock waits for another tab's sync round: a round on a bad connection can take minutes. */
const ROUND_WAIT_MS = 10_000;

/**
 * Takes the unlocked tab's lock, and then waits (a while at most) for a sync round another tab may
 * still be running: the tab it locked stops applying the shared directory at its next page
 * (engine.ts), and the records this tab then reads are all there are.
 */
async function holdUnlockedTab(): Promise<void> {
  if (typeof navigator === 'undefined' || !navigator.locks) return;
  releaseTab?.();
  const hold = ++holds;
  const held = new Promise<void>((resolve) => (releaseTab = resolve));
  await new Promise<void>((granted) => {
    navigator.locks
      .request(UNLOCKED_TAB_LOCK, { steal: true }, () => {
        granted();
        return held;
      })
      .catch(() => {
        // Taken by a tab unlocked since: this one's view is out of date, so it locks, saying why.
        if (hold === holds) void lockNow(true);
      });
  });
  await Promise.race([afterSyncRound(), new Promise((resolve) => setTimeout(resolve, ROUND_WAIT_MS))]);
}

/** The open core, for the composition root only: feature code is handed it. */
export function openedCore(): DeviceCore | null {
  return opened;
}

/** Hears every unlock (the new core) and lock (null). */
export function onCoreChange(listener: (core: DeviceCore | null) => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

async function open(keyring: Keyring, staff: StaffRow): Promise<DeviceCore> {
  await holdUnlockedTab();
  return publish(await DeviceCore.open(keyring, staff));
}

async function publish(core: DeviceCore): Promise<DeviceCore> {
  // Kept before it is shown, so no screen renders before the core can be handed to it.
  opened = core;
  for (const listener of listeners) listener(core);
  await core.show();
  return core;
}

/**
 * First run on a new device. Everything set up here is kept when the device is later enrolled
 * with the organisation's server: the device id, the staff and every record made before.
 */
export async function setUpDevice(input: SetupInput): Promise<DeviceCore> {
  const problem = pinProblem(input.pin);
  if (problem) throw new ClientError('input', { message: problem });
  const keyring = await createKeyring();
  const id = timelessPersonId();
  const staff: StaffRow = { id, name: input.staffName.trim(), role: 'admin', wrappedRoot: await wrapRoot(keyring, input.pin, id) };
  const site = { key: keyFromLabel(input.siteName), name: input.siteName.trim() };
  // Random (v4), as a joining device's is: a UUIDv7 would date the device on a copy of it. Her own
  // id stays a UUIDv7, as the organisation's people are named by event ids (docs/security.md#known-gaps).
  const identity: DeviceIdentity = { key: 'identity', deviceId: crypto.randomUUID(), deviceName: input.deviceName.trim(), siteKey: site.key };
  await writeNewDevice(keyring, defaultConfig(site), staff, identity);
  showDevice({ identity, staff: [staff], lock: OPEN_LOCK });
  return open(keyring, staff);
}

/**
 * A device joining the organisation with the admin's code (sync/organisation.ts claimJoin): the
 * first person proves she is one of the people it was made for with her personal code and sets
 * her PIN, and the device is set up as the admin planned it, never as an admin of its own.
 */
export async function finishJoin(offer: JoinOffer, input: { personId: string; code: string; pin: string }): Promise<DeviceCore> {
  const { device } = offer.pkg;
  const person = device.people.find((p) => p.id === input.personId);
  if (!person) throw new ClientError('choose_name');
  if (await readIdentity()) throw new ClientError('already_set_up');
  const keyring = await createKeyring();
  const staff = await admit(keyring, person, offer.role, input.code, input.pin);
  // A device with no site of its own (an outreach phone) records no visits; the first site stands in.
  const siteKey = device.siteKey ?? device.config.sites.find((s) => !s.retired)?.key ?? device.config.sites[0]!.key;
  const identity: DeviceIdentity = { key: 'identity', deviceId: offer.deviceId, deviceName: device.name, siteKey };
  // The device shows as set up only once it has joined: a join cut short (storage full, a package
  // that does not check out) leaves nothing, and says so on the join screen, where the offer is
  // still held to try again.
  let core: DeviceCore | null = null;
  try {
    await writeNewDevice(keyring, device.config, staff, identity);
    await holdUnlockedTab();
    core = await DeviceCore.open(keyring, staff);
    await completeJoin(core, offer);
  } catch (error) {
    await core?.close().catch(() => undefined);
    await forgetUnfinishedJoin();
    throw new ClientError('join_unfinished', { name: device.name, reason: joinFailure(error) });
  }
  showDevice({ identity, staff: [staff], lock: OPEN_LOCK });
  return publish(core);
}

/** Why a join was cut short, in words for the person at the device. */
function joinFailure(error: unknown): string {
  if (error instanceof ClientError) return error.message;
  // A DOMException is not an Error in every browser.
  if ((error as { name?: unknown } | null)?.name === 'QuotaExceededError') return 'this device is out of storage space';
  return 'something went wrong on this device';
}

export type UnlockResult = { ok: true; core: DeviceCore } | { ok: false; message: string };

export async function unlock(staffId: string, pin: string): Promise<UnlockResult> {
  const staff = (await activeStaff()).find((s) => s.id === staffId);
  if (!staff) return refused(new ClientError('choose_name'));
  // The try is counted as wrong before the PIN is checked, atomically, so tries made at once in
  // several tabs all count; a right PIN then opens the lock.
  let problem: ClientError | null = null;
  const taken = await takePinTry((lock) => {
    const wait = waitRemaining(lock);
    if (wait > 0) problem = new ClientError('pin_wait', { wait: formatWait(wait) });
    else if (lock.held && !mayRelease(staff)) problem = new ClientError('device_held');
    return problem ? null : afterWrongPin(lock);
  });
  if (!taken.taken) return refused(problem!);
  const keyring = await unwrapRoot(staff.wrappedRoot, pin, staff.id);
  if (!keyring) {
    showDevice({ lock: taken.lock });
    return { ok: false, message: wrongPinMessage(taken.lock) };
  }
  await saveLock(OPEN_LOCK);
  showDevice({ lock: OPEN_LOCK });
  return { ok: true, core: await open(keyring, staff) };
}

function refused(problem: ClientError): UnlockResult {
  return { ok: false, message: problem.message };
}

/**
 * Locks at once: the lock screen shows, then the core seals what was saved (so it can sync while
 * locked) and drops every key. The promise settles when the keys are gone.
 */
export function lock(): Promise<void> {
  return lockNow(false);
}

function lockNow(elsewhere: boolean): Promise<void> {
  const core = opened;
  if (!core) return Promise.resolve();
  opened = null;
  releaseTab?.();
  releaseTab = null;
  showLocked(elsewhere);
  for (const listener of listeners) listener(null);
  return core.close();
}
