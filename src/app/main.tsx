import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { boot } from './core/device.ts';
import { App } from './App.tsx';
import { useFootfall } from './store.ts';
import { UpdateBanner } from './UpdateBanner.tsx';
import './styles.css';

void boot().then(async () => {
  if (useFootfall.getState().phase.kind === 'failed') return;
  (await import('./sync/runtime.ts')).startSync();
});
// Ask the browser not to evict this origin's storage under pressure: it holds unsynced records.
void navigator.storage?.persist?.();

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App banner={<UpdateBanner />} />
  </StrictMode>,
);
