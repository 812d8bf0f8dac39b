import { useState } from 'react';
import { labelOf } from '../../domain/config.ts';
import { lock } from '../actions.ts';
import { SyncStatus } from '../components/SyncStatus.tsx';
import { useIdleLock } from '../components/useIdleLock.ts';
import { useFootfall, useSession } from '../store.ts';
import { CheckInScreen } from './CheckInScreen.tsx';
import { SettingsScreen } from './SettingsScreen.tsx';
import { TodayScreen } from './TodayScreen.tsx';

type Tab = 'checkIn' | 'today' | 'settings';

/** The unlocked app: who is signed in, the lock button, sync status and the screens. */
export function Shell() {
  const session = useSession();
  const siteKey = useFootfall((s) => s.identity?.siteKey ?? '');
  const [tab, setTab] = useState<Tab>('checkIn');
  useIdleLock(session.config.idleLockMinutes);
  const tabs: [Tab, string][] = [
    ['checkIn', 'Check in'],
    ['today', 'Today'],
    ...(session.staff.role === 'admin' ? ([['settings', 'Settings']] as [Tab, string][]) : []),
  ];

  return (
    <div className="shell">
      <header className="topbar">
        <div className="who">
          <span className="brand">Footfall</span>
          <span className="muted">
            {labelOf(session.config.sites, siteKey)} · {session.staff.name}
          </span>
        </div>
        <SyncStatus />
        <button type="button" className="lock-button" onClick={lock}>
          Lock
        </button>
      </header>
      {session.unreadable > 0 && (
        <p role="alert" className="warning banner">
          {session.unreadable === 1 ? 'One stored record' : `${session.unreadable} stored records`} could not be read on this device.
          Nothing has been deleted; tell your admin before anyone clears this browser.
        </p>
      )}
      <nav aria-label="Screens" className="tabs">
        {tabs.map(([key, label]) => (
          <button key={key} type="button" aria-current={tab === key ? 'page' : undefined} onClick={() => setTab(key)}>
            {label}
          </button>
        ))}
      </nav>
      <main>
        {tab === 'checkIn' && <CheckInScreen />}
        {tab === 'today' && <TodayScreen />}
        {tab === 'settings' && <SettingsScreen />}
      </main>
    </div>
  );
}
