/**
 * When sync runs: soon after every save, when the network comes back, at start, every minute,
 * and when someone presses "Sync now". Only one tab syncs at a time (Web Locks); failures back
 * off exponentially with full jitter so a fleet of tablets never hammers a recovering server.
 * A device that holds its uploads (docs/sync.md#held-uploads) starts no round on a save, and its
 * rounds send only once the held time has come, or when someone presses "Sync now".
 */
import type { DeviceCore } from '../core/core.ts';
import { readEnrolment, readSyncState } from '../core/device.ts';
import { showSync } from '../core/publish.ts';
import { refreshStatus } from '../core/syncStatus.ts';
import { settleUploadHold, type HoldStep } from '../core/uploadHold.ts';
import { useFootfall } from '../store.ts';
import type { SyncClient } from './client.ts';
import { syncRound, type RoundResult } from './engine.ts';

export const SYNC_LOCK = 'footfall-sync';
const SOON_MS = 500;
const PERIOD_MS = 60_000;
const LOCK_BUSY_RETRY_MS = 1_000;
const BACKOFF_BASE_MS = 2_000;
const BACKOFF_CAP_MS = 5 * 60_000;

export interface SchedulerDeps {
  client: SyncClient;
  /** The unlocked device core, or null while locked. */
  core: () => DeviceCore | null;
  random?: () => number;
}

export interface Scheduler {
  /** Sync soon (debounced). */
  request: () => void;
  /** Sync now, sending what is held too, and wait for the round to finish: "Sync now". */
  runNow: () => Promise<void>;
  stop: () => void;
}

export function startScheduler(deps: SchedulerDeps): Scheduler {
  // The held time must not be guessable from earlier draws: the browser's cryptographic source.
  const random = deps.random ?? (() => crypto.getRandomValues(new Uint32Array(1))[0]! / 2 ** 32);
  const settleHold = (step: HoldStep) =>
    settleUploadHold(step, random, Date.now(), async () => (await deps.core()?.outbox.oldestWaitingAt()) ?? null);
  let timer: ReturnType<typeof setTimeout> | undefined;
  let failures = 0;
  let stopped = false;
  // A save after a round began may come after that round sealed: it gets a round of its own soon
  // after, not a minute later. Set by every request, cleared as a round begins: a request before
  // that point is covered by the round, which reads what is waiting after it.
  let requested = false;

  const schedule = (delay: number) => {
    if (stopped) return;
    clearTimeout(timer);
    timer = setTimeout(() => void run(false), delay);
  };

  // The round this tab is running, if any: "Sync now" follows it rather than running beside it.
  let current: Promise<unknown> = Promise.resolve();

  async function run(sendNow: boolean): Promise<void> {
    if (sendNow) await current;
    clearTimeout(timer);
    let revoked = false;
    let heldUntil: number | null = null;
    // "Sync now" waits for a round already running (this tab's or another's) and then runs its own:
    // that round may have read the server before what she is waiting for reached it.
    const going = withSyncLock(sendNow, async () => {
      requested = false;
      if (!(await readEnrolment())) return;
      // A revoked device stops asking: the server will refuse it for good.
      revoked = Boolean((await readSyncState()).revoked);
      // Another tab's round may have learnt it: this tab's open core takes no new records either.
      if (revoked) return deps.core()?.markRevoked();
      showSync({ running: true });
      try {
        // What is held waits for its time, unless someone asked to send it now.
        const hold = await settleHold(sendNow ? 'sendNow' : 'check');
        const upload = hold.sendAfter === null || hold.sendAfter <= Date.now();
        // The acknowledged rows are deleted after the round, not awaited: the status is right already.
        const result = await syncRound(deps.client, deps.core(), { upload, awaitSweep: false });
        heldUntil = (await settleHold(upload && !result.stopped ? 'sent' : 'check')).sendAfter;
        failures = result.stopped?.kind === 'unreachable' ? failures + 1 : 0;
        revoked = result.stopped?.kind === 'revoked';
        showSync({ problem: result.stopped?.message ?? null });
      } catch (error) {
        failures++;
        showSync({ problem: error instanceof Error ? error.message : 'Sync failed.' });
      } finally {
        await refreshStatus();
      }
    });
    current = going.catch(() => undefined);
    const ran = await going;
    // Another tab held the lock: its round may have started before this tab's save, so try again
    // once it is done rather than a minute later (this tab's status line is refreshed then too).
    if (!ran) return schedule(LOCK_BUSY_RETRY_MS);
    if (revoked) return;
    // Full jitter: a random wait up to the backoff ceiling.
    const wait = failures ? random() * Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** (failures - 1)) : requested ? SOON_MS : PERIOD_MS;
    // The round at the held time comes then, not up to a minute later.
    const untilHeld = heldUntil === null ? Infinity : heldUntil - Date.now();
    schedule(untilHeld > 0 ? Math.min(wait, untilHeld) : wait);
  }

  const request = () => {
    requested = true;
    schedule(SOON_MS);
  };
  const onOnline = () => {
    failures = 0;
    request();
  };
  window.addEventListener('online', onOnline);
  /**
   * A save: sync soon, unless uploads are held. Then what was saved waits for the held time, and
   * no round starts, since even a directory read right after a save would say when it was made.
   */
  const saved = async () => {
    const hold = await settleHold('check').catch(() => null);
    if (hold?.on) showSync({ heldUntil: hold.sendAfter });
    else request();
  };
  const unsubscribe = useFootfall.subscribe((s, prev) => {
    // Locking seals what was saved, so it can upload while locked; unlocking lends the keys to
    // seal and read the directory. The count read after boot is not a save: the round at start covers it.
    if (s.phase.kind !== prev.phase.kind) request();
    else if (s.unsynced !== null && prev.unsynced !== null && s.unsynced > prev.unsynced) void saved();
  });
  void refreshStatus().then(request);

  return {
    request,
    runNow: () => run(true),
    stop() {
      stopped = true;
      clearTimeout(timer);
      window.removeEventListener('online', onOnline);
      unsubscribe();
    },
  };
}

/**
 * Reads what other devices added to the shared directory, now, after any round already running
 * (in this tab or another): for an action that must know every woman registered so far, as an
 * import matching names does. Seals and sends nothing. Says why the read stopped, if it did.
 */
export async function readDirectoryNow(client: SyncClient, core: DeviceCore): Promise<RoundResult['stopped']> {
  let stopped: RoundResult['stopped'] = null;
  await withSyncLock(true, async () => {
    ({ stopped } = await syncRound(client, core, { upload: false }));
  });
  return stopped;
}

/** Resolves once no tab of this app is running a sync round (one may start right after). */
export async function afterSyncRound(): Promise<void> {
  if (typeof navigator === 'undefined' || !navigator.locks) return;
  await navigator.locks.request(SYNC_LOCK, async () => undefined);
}

/**
 * Runs `work` holding the sync lock, so one round runs at a time across this app's tabs; says
 * whether it ran. Unless `queue`, it does not run when a round is already running.
 */
async function withSyncLock(queue: boolean, work: () => Promise<void>): Promise<boolean> {
  if (typeof navigator === 'undefined' || !navigator.locks) return work().then(() => true);
  return navigator.locks.request(SYNC_LOCK, { ifAvailable: !queue }, async (lock) => {
    if (!lock) return false;
    await work();
    return true;
  });
}
