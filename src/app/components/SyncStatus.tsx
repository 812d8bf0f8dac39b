import { useEffect, useState } from 'react';
import { useFootfall } from '../store.ts';

const SKEW_WARNING_MS = 5 * 60_000;

/**
 * Always visible: how many records this device holds that the server has not confirmed, when it
 * last synced, and anything that needs a person (a clock that is off, a refused batch).
 */
export function SyncStatus() {
  const unsynced = useFootfall((s) => s.unsynced);
  const sync = useFootfall((s) => s.sync);
  const online = useOnline();
  const waiting = unsynced === 0 ? 'Nothing waiting to sync' : `${unsynced} ${unsynced === 1 ? 'record' : 'records'} waiting to sync`;
  const last = sync.lastSyncedAt ? `last synced ${timeOrDate(sync.lastSyncedAt)}` : sync.enrolled ? 'not synced yet' : 'not enrolled yet';
  return (
    <div className="sync-status">
      <p role="status" aria-live="polite">
        <span className={online ? 'dot online' : 'dot offline'} aria-hidden="true" />
        {online ? '' : 'Offline · '}
        {waiting}; {last}
        {sync.running && ' · syncing…'}
      </p>
      {sync.revoked && <p className="status-problem">This device has been revoked. Its records stay on it; ask your admin.</p>}
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

function timeOrDate(iso: string): string {
  const d = new Date(iso);
  const sameDay = d.toDateString() === new Date().toDateString();
  return sameDay
    ? d.toLocaleTimeString('en-GB', { hour: '2-digit', minute: '2-digit' })
    : d.toLocaleDateString('en-GB', { day: 'numeric', month: 'short' }) + ' ' + d.toLocaleTimeString('en-GB', { hour: '2-digit', minute: '2-digit' });
}

function describeSkew(skewMs: number): string {
  const minutes = Math.round(Math.abs(skewMs) / 60_000);
  const amount = minutes >= 120 ? `${Math.round(minutes / 60)} hours` : `${minutes} minutes`;
  // skew = server − device: positive means the device is behind.
  return `${amount} ${skewMs > 0 ? 'behind' : 'ahead of'}`;
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
