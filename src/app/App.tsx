import type { ReactNode } from 'react';
import { useFootfall } from './store.ts';
import { LockScreen } from './screens/LockScreen.tsx';
import { SetupScreen } from './screens/SetupScreen.tsx';
import { Shell } from './screens/Shell.tsx';

/** Which screen the device is on follows from the store's phase alone. */
export function App({ banner }: { banner?: ReactNode }) {
  return (
    <>
      {banner}
      <Screen />
    </>
  );
}

function Screen() {
  const phase = useFootfall((s) => s.phase);
  switch (phase.kind) {
    case 'loading':
      return (
        <main className="narrow" aria-busy="true">
          <p role="status">Opening Footfall…</p>
        </main>
      );
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
