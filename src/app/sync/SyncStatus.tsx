import { useContext, useEffect, useState } from 'react';
import { useFootfall, type SyncStatus as SyncStatusState } from '../store.ts';
import type { DeviceCore } from '../core/core.ts';
import { CoreContext } from '../shared/useCore.ts';
import { downloadText } from '../shared/download.ts';
import { ErrorAlert, useAction } from '../shared/useAction.tsx';

const SKEW_WARNING_MS = 5 * 60_000;

function lastSyncLine(sync: SyncStatusState): string {
  if (sync.lastSyncedAt) return `last synced ${timeOrDate(sync.lastSyncedAt)}`;
  if (!sync.enrolled) return 'not enrolled yet';
  return sync.lastSyncKnown ? 'not synced yet' : 'last sync shown once unlocked';
}

/**
 * Always visible, on the lock screen too: how many records this device holds that the server has
 * not confirmed and since when, when it last synced, until when they are held, and anything that
 * needs a person (a clock that is off, a refused batch). Locked, it shows only what needs no keys:
 * the count, the held time and the last sync. When the oldest record was made is sealed with it,
 * so it shows once someone unlocks. For a moment after the app starts the count is not read yet,
 * and the line says so.
 */
export function SyncStatus() {
  const unsynced = useFootfall((s) => s.unsynced);
  const sync = useFootfall((s) => s.sync);
  // Shown on the lock screen too, where no core is open.
  const core = useContext(CoreContext);
  const since = useWaitingSince(core, unsynced);
  const online = useOnline();
  const waiting =
    unsynced === null
      ? 'Checking for records waiting to sync'
      : unsynced === 0
        ? 'Nothing waiting to sync'
        : `${unsynced} ${unsynced === 1 ? 'record' : 'records'} waiting to sync${since ? ` since ${timeOrDate(since)}` : ''}`;
  // Until the status is read (the count comes first at start), whether the device is enrolled and
  // when it last synced are not known either: nothing is said of them.
  const last = unsynced === null || !sync.read ? null : lastSyncLine(sync);
  return (
    <div className="sync-status">
      <p role="status" aria-live="polite">
        <span className={online ? 'dot online' : 'dot offline'} aria-hidden="true" />
        {online ? '' : 'Offline · '}
        {waiting}
        {last && `; ${last}`}
        {sync.running && ' · syncing…'}
      </p>
      {!sync.revoked && (unsynced ?? 0) > 0 && sync.heldUntil !== null && <Held until={sync.heldUntil} online={online} />}
      {sync.revoked && <Revoked core={core} waiting={unsynced} />}
      {!sync.revoked && sync.problem && online && <p className="status-problem">{sync.problem}</p>}
      {sync.quarantined > 0 && (
        <p className="status-problem">
          {sync.quarantined} {sync.quarantined === 1 ? 'batch was' : 'batches were'} refused by the server and set aside. Nothing is lost; see Settings.
        </p>
      )}
      {sync.skewMs !== null && Math.abs(sync.skewMs) > SKEW_WARNING_MS && (
        <p className="status-problem">
          This device’s clock is {describeSkew(sync.skewMs)} the server’s. Times recorded will be wrong: set the clock.
        </p>
      )}
    </div>
  );
}

/**
 * Records held for a random time (docs/sync.md#held-uploads), said in plain words, with a way to
 * send them at once: before going where there is no signal, say. Not a live region: the minutes
 * change as they pass, and the count above already says when something is saved.
 */
function Held({ until, online }: { until: number; online: boolean }) {
  const now = useNow(15_000);
  const { run, error, busy } = useAction();
  const sentence = heldSentence(until, now, online);
  if (!sentence) return null;
  return (
    <div className="status-held">
      <p>{sentence}</p>
      <button
        type="button"
        disabled={busy}
        // Loaded when asked for: the status line is on the lock screen, whose code is kept small.
        onClick={() => run(async () => (await import('./runtime.ts')).syncNow())}
      >
        Send now
      </button>
      <ErrorAlert message={error} />
    </div>
  );
}

/** What the held time means to the person holding the device; null once it has come. */
export function heldSentence(until: number, now: number, online: boolean): string | null {
  const minutes = Math.ceil((until - now) / 60_000);
  if (minutes <= 0) return null;
  const within = minutes === 1 ? '1 minute' : `${minutes} minutes`;
  return online
    ? `Sending within ${within}, at a random time, so the server cannot tell when they were made.`
    : `Held for up to ${within} more, at a random time, so the server cannot tell when they were made; then sent once there is signal.`;
}

/**
 * A revoked device says so in plain words, and offers what it could not send as a sealed file
 * for the admin (src/app/sync/recordsFile.ts). Locked, it can only say so.
 */
function Revoked({ core, waiting: read }: { core: DeviceCore | null; waiting: number | null }) {
  // A count not read yet is said once it is read, never guessed.
  const waiting = read ?? 0;
  const { run, error, busy } = useAction();
  const [saved, setSaved] = useState(false);
  return (
    <div className="status-problem" role="region" aria-label="This device was removed">
      <p>
        This device has been removed from the organisation. It no longer takes new records or sends any.
        {waiting > 0 && ` ${waiting} ${waiting === 1 ? 'record was' : 'records were'} not sent: save them as a file and give it to your admin, who can import it.`}
      </p>
      {waiting > 0 && core && (
        <button
          type="button"
          disabled={busy}
          onClick={() =>
            run(async () => {
              // Loaded when asked for: the status line is on the lock screen, whose code is kept small.
              const { waitingRecordsFile } = await import('./recordsFile.ts');
              const file = await waitingRecordsFile(core);
              downloadText(file.fileName, file.text, 'application/json');
              setSaved(true);
            })
          }
        >
          Save the records for your admin
        </button>
      )}
      {saved && <p>Saved. The file is sealed: only your admin’s laptop can open it. The records also stay here.</p>}
      <ErrorAlert message={error} />
    </div>
  );
}

/** When the oldest waiting record was made, read again whenever the count changes; null while locked. */
function useWaitingSince(core: DeviceCore | null, unsynced: number | null): string | null {
  const [since, setSince] = useState<string | null>(null);
  useEffect(() => {
    if (!core || !unsynced) {
      setSince(null);
      return;
    }
    let live = true;
    core.outbox.oldestWaitingAt().then(
      (at) => live && setSince(at),
      () => live && setSince(null),
    );
    return () => {
      live = false;
    };
  }, [core, unsynced]);
  return core && unsynced ? since : null;
}

const DAY_MS = 24 * 60 * 60_000;

/** "14:02" today, "Mon 14:02" within the last week, "3 Mar 14:02" before that. */
function timeOrDate(iso: string, now = new Date()): string {
  const d = new Date(iso);
  const time = d.toLocaleTimeString('en-GB', { hour: '2-digit', minute: '2-digit' });
  if (d.toDateString() === now.toDateString()) return time;
  const startOfToday = new Date(now.getFullYear(), now.getMonth(), now.getDate()).getTime();
  const day =
    d.getTime() >= startOfToday - 6 * DAY_MS && d.getTime() < startOfToday
      ? d.toLocaleDateString('en-GB', { weekday: 'short' })
      : d.toLocaleDateString('en-GB', { day: 'numeric', month: 'short' });
  return `${day} ${time}`;
}

function describeSkew(skewMs: number): string {
  const minutes = Math.round(Math.abs(skewMs) / 60_000);
  const amount = minutes >= 120 ? `${Math.round(minutes / 60)} hours` : `${minutes} minutes`;
  // skew = server − device: positive means the device is behind.
  return `${amount} ${skewMs > 0 ? 'behind' : 'ahead of'}`;
}

/** The time now, read again every `everyMs`. */
function useNow(everyMs: number): number {
  const [now, setNow] = useState(Date.now);
  useEffect(() => {
    const id = setInterval(() => setNow(Date.now()), everyMs);
    return () => clearInterval(id);
  }, [everyMs]);
  return now;
}

function useOnline(): boolean {
  const [online, setOnline] = useState(navigator.onLine);
  useEffect(() => {
    const update = () => setOnline(navigator.onLine);
    window.addEventListener('online', update);
    window.addEventListener('offline', update);
    return () => {
      window.removeEventListener('online', update);
      window.removeEventListener('offline', update);
    };
  }, []);
  return online;
}
