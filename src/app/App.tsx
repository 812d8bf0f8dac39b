import { lazy, Suspense, type ReactNode } from 'react';
import { useFootfall } from './store.ts';
import { LockScreen } from './lock/LockScreen.tsx';

// The lock screen is what a cold start shows, so it loads first; the rest of the app (and the
// schemas and crypto it needs) loads from the service worker's cache while she types her PIN.
const SetupScreen = lazy(() => import('./lock/SetupScreen.tsx').then((m) => ({ default: m.SetupScreen })));
const Shell = lazy(() => import('./Shell.tsx').then((m) => ({ default: m.Shell })));
export const loadUnlockedApp = () => Promise.all([import('./Shell.tsx'), import('./lock/access.ts')]);

/** Which screen the device is on follows from the store's phase alone. */
export function App({ banner }: { banner?: ReactNode }) {
  return (
    <>
      {banner}
      <Suspense fallback={<Opening />}>
        <Screen />
      </Suspense>
    </>
  );
}

function Screen() {
  const phase = useFootfall((s) => s.phase);
  switch (phase.kind) {
    case 'loading':
      return <Opening />;
    case 'failed':
      return (
        <main className="narrow">
          <h1>Footfall cannot open</h1>
          <p role="alert" className="error">
            {phase.message}
          </p>
        </main>
      );
    case 'setup':
      return <SetupScreen />;
    case 'locked':
      return <LockScreen />;
    case 'unlocked':
      return <Shell />;
  }
}

function Opening() {
  return (
    <main className="narrow" aria-busy="true">
      <p role="status">Opening Footfall…</p>
    </main>
  );
}
