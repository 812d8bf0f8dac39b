import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { showBooted, showKeptLockScreen } from './core/publish.ts';
import { App } from './App.tsx';
import { useFootfall } from './store.ts';
import { UpdateBanner } from './UpdateBanner.tsx';
import './styles.css';

// The lock screen as last kept is drawn first; the device's code (Dexie, the schemas) loads and
// opens the database after it (docs/architecture.md#cold-start).
showKeptLockScreen();
createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App banner={<UpdateBanner />} />
  </StrictMode>,
);

void import('./core/device.ts')
  .then(({ boot }) => boot())
  .then(async () => {
    if (useFootfall.getState().phase.kind === 'failed') return;
    (await import('./sync/runtime.ts')).startSync();
  })
  .catch(() => showBooted({ kind: 'failed', message: 'Footfall’s code did not load. Reload the page; if it still fails, reconnect to the internet and reload.' }));
// Ask the browser not to evict this origin's storage under pressure: it holds unsynced records.
void navigator.storage?.persist?.();
