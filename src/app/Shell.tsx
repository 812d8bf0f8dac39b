import { lazy, Suspense, useState } from 'react';
import { labelOf } from '../domain/config.ts';
import { lock, openedCore } from './lock/access.ts';
import { CoreContext } from './shared/useCore.ts';
import { SyncStatus } from './sync/SyncStatus.tsx';
import { useIdleLock } from './lock/useIdleLock.ts';
import { MODE_LABELS, modesFor, type Mode } from './modes.ts';
import { useFootfall, useSession } from './store.ts';
import { CheckInScreen } from './frontDesk/CheckInScreen.tsx';
import { SettingsScreen } from './settings/SettingsScreen.tsx';
import { TodayScreen } from './frontDesk/TodayScreen.tsx';

// Modes most devices never show are loaded when first opened.
const OutreachScreen = lazy(() => import('./outreach/OutreachScreen.tsx').then((m) => ({ default: m.OutreachScreen })));
const CaseworkScreen = lazy(() => import('./casework/CaseworkScreen.tsx').then((m) => ({ default: m.CaseworkScreen })));
const CareScreen = lazy(() => import('./admin/care/CareScreen.tsx').then((m) => ({ default: m.CareScreen })));
const ReportsScreen = lazy(() => import('./admin/reports/ReportsScreen.tsx').then((m) => ({ default: m.ReportsScreen })));
const PinsDialog = lazy(() => import('./people/PinsDialog.tsx').then((m) => ({ default: m.PinsDialog })));
const ImportScreen = lazy(() => import('./admin/import/ImportScreen.tsx').then((m) => ({ default: m.ImportScreen })));

/** The unlocked app: who is signed in, the lock button, sync status and the modes her role sees. */
export function Shell() {
  const session = useSession();
  // Unlocking keeps the core before it shows this screen; locking shows the lock screen first.
  const core = openedCore();
  const siteKey = useFootfall((s) => s.identity?.siteKey ?? '');
  const onAdminDevice = useFootfall((s) => s.sync.enrolled && s.sync.deviceRole === 'admin');
  const modes = modesFor(session.staff.role, onAdminDevice);
  const [chosen, setTab] = useState<Mode>(modes[0]!);
  const tab = modes.includes(chosen) ? chosen : modes[0]!;
  const [pins, setPins] = useState(false);
  useIdleLock(session.config.idleLockMinutes);

  if (!core) return null;
  return (
    <CoreContext.Provider value={core}>
    <div className="shell">
      <header className="topbar">
        <div className="who">
          <span className="brand">Footfall</span>
          <span className="muted">
            {labelOf(session.config.sites, siteKey)} · {session.staff.name}
          </span>
        </div>
        <SyncStatus />
        <button type="button" onClick={() => setPins(true)}>
          PINs
        </button>
        <button type="button" className="lock-button" onClick={() => void lock()}>
          Lock
        </button>
      </header>
      {session.unreadable > 0 && (
        <p role="alert" className="warning banner">
          {session.unreadable === 1 ? 'One stored record' : `${session.unreadable} stored records`} could not be read on this device.
          Nothing has been deleted; tell your admin before anyone clears this browser.
        </p>
      )}
      {modes.length > 1 && (
        <nav aria-label="Screens" className="tabs">
          {modes.map((mode) => (
            <button key={mode} type="button" aria-current={tab === mode ? 'page' : undefined} onClick={() => setTab(mode)}>
              {MODE_LABELS[mode]}
            </button>
          ))}
        </nav>
      )}
      {pins && (
        <Suspense fallback={null}>
          <PinsDialog onClose={() => setPins(false)} />
        </Suspense>
      )}
      <main>
        <Suspense fallback={<p role="status">Opening…</p>}>
          {tab === 'checkIn' && <CheckInScreen />}
          {tab === 'today' && <TodayScreen />}
          {tab === 'outreach' && <OutreachScreen />}
          {tab === 'casework' && <CaseworkScreen />}
          {tab === 'reports' && <ReportsScreen />}
          {tab === 'import' && <ImportScreen />}
          {tab === 'care' && <CareScreen />}
          {tab === 'settings' && <SettingsScreen />}
        </Suspense>
      </main>
    </div>
    </CoreContext.Provider>
  );
}
