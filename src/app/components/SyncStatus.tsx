import { useEffect, useState } from 'react';
import { useFootfall } from '../store.ts';

/** Always visible: how many records this device holds that no server has yet confirmed. */
export function SyncStatus() {
  const unsynced = useFootfall((s) => s.unsynced);
  const online = useOnline();
  return (
    <p className="sync-status" role="status" aria-live="polite">
      <span className={online ? 'dot online' : 'dot offline'} aria-hidden="true" />
      {online ? 'Online' : 'Offline'} · {unsynced === 0 ? 'Nothing waiting to sync' : `${unsynced} ${unsynced === 1 ? 'record' : 'records'} waiting to sync`}
    </p>
  );
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
